"""A string wrapper that keeps credentials out of logs, reprs and API payloads."""

from __future__ import annotations

from typing import Any

_MASK = "**********"


class Secret:
    """Holds a credential. Only `reveal()` gives the value back.

    `repr`, `str` and `format` all print a mask, so a config object can be logged or shown in a
    traceback without leaking the token. Pickling is refused so a secret never lands in Redis by
    accident (rq jobs get the tenant name and look the configuration up in the worker).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("Secret values are not picklable; pass the tenant name instead")
