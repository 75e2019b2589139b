"""Inputs as plain JSON documents, so a journal can be stored (Redis) and replayed later."""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Any

from queueing import inputs
from queueing.inputs import Input

INPUT_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(inputs.Input)}


class JournalError(ValueError):
    """A stored journal entry that is not an input this engine knows."""


def encode_input(event: Input) -> dict[str, Any]:
    fields = {
        f.name: (v.value if isinstance(v := getattr(event, f.name), enum.Enum) else v)
        for f in dataclasses.fields(event)
    }
    return {"kind": type(event).__name__, **fields}


def decode_input(raw: dict[str, Any]) -> Input:
    kind = raw.get("kind")
    cls = INPUT_TYPES.get(str(kind))
    if cls is None:
        raise JournalError(f"unknown input kind {kind!r}")
    hints = typing.get_type_hints(cls, vars(inputs))
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        hint = hints[f.name]
        enum_type = next(
            (
                t
                for t in (hint, *typing.get_args(hint))
                if isinstance(t, type) and issubclass(t, enum.Enum)
            ),
            None,
        )
        values[f.name] = enum_type(value) if enum_type is not None and value is not None else value
    try:
        event: Input = cls(**values)
    except TypeError as exc:
        raise JournalError(f"{kind}: {exc}") from exc
    return event
