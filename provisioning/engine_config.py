"""JSON settings into the queue engine's own config objects, refused with the field and reason.

The engine's dataclasses (queueing.config, queueing.schedule) validate themselves when built;
provisioning builds them with pydantic (strict JSON mode: no "25" for 25) so the engine's rules are
the only rules, written once. A `ConfigError` raised inside names its own field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from provisioning.errors import Invalid
from queueing.errors import ConfigError

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[T]) -> TypeAdapter[T]:
    if kind not in _ADAPTERS:  # building an adapter compiles a validator: once a type
        _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


def _path(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _invalid(error: ValidationError, prefix: str) -> Invalid:
    first = error.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return Invalid(f"{prefix}{cause.field}", cause.message)
    return Invalid(f"{prefix}{_path(tuple(first['loc']))}" or prefix, first["msg"])


def _unknown_key(given: Any, built: Any, path: str) -> str | None:
    """The first key of `given` the built object has no field for (pydantic ignores those)."""
    if isinstance(given, Mapping) and isinstance(built, Mapping):
        for key, value in given.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in built:
                return where
            found = _unknown_key(value, built[key], where)
            if found:
                return found
    if isinstance(given, list) and isinstance(built, list):
        for index, (value, made) in enumerate(zip(given, built, strict=False)):
            found = _unknown_key(value, made, f"{path}[{index}]")
            if found:
                return found
    return None


def build(kind: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """`kind` built from JSON-shaped `data`, or Invalid naming the field (with `prefix`)."""
    adapter = _adapter(kind)
    try:
        built: T = adapter.validate_json(json.dumps(data), strict=True)
    except ValidationError as error:
        raise _invalid(error, prefix) from None
    unknown = _unknown_key(data, adapter.dump_python(built, mode="json"), "")
    if unknown is not None:
        raise Invalid(f"{prefix}{unknown}", "no such setting")
    return built


def dump(kind: type[T], value: T) -> dict[str, Any]:
    dumped: dict[str, Any] = _adapter(kind).dump_python(value, mode="json")
    return dumped
