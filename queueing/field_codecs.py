"""Codecs of the engine state's fields, compiled once per type hint: each dataclass field is
encoded to JSON and decoded back (checked: a malformed value raises `SnapshotError`) by what its
type hint says, so a new field of a supported type needs no change here and an unsupported one
fails at import. The snapshot document itself is `state_codec`'s.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import operator
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any


class SnapshotError(ValueError):
    """A stored snapshot this engine cannot restore: malformed, another version or tenant."""


Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


def failure(value: Any, expected: str) -> SnapshotError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SnapshotError(f"{shown} is not {expected}")


def _identity(value: Any) -> Any:
    return value


@functools.cache
def encoder(hint: Any) -> Encode:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (str, int, float, bool, None, types.NoneType):
        return _identity
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        # `_value_` rather than the `value` property, whose descriptor call was a quarter of
        # the encoding time of 50,000 calls in a profile.
        return operator.attrgetter("_value_")
    if origin in (typing.Union, types.UnionType):
        if all(encoder(a) is _identity for a in args):
            return _identity
        inner = encoder(_optional(hint))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = encoder(args[0])
            return list if item is _identity else lambda value: [item(v) for v in value]
        items = [encoder(a) for a in args]
        if all(enc is _identity for enc in items):
            return list
        return lambda value: [enc(v) for enc, v in zip(items, value, strict=True)]
    if origin is dict:
        key, val = encoder(args[0]), encoder(args[1])
        if args[1] in (None, types.NoneType):
            # An ordered set (dict with None values): the keys in order.
            return list if key is _identity else lambda value: [key(k) for k in value]
        return lambda value: [[key(k), val(v)] for k, v in value.items()]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        fields = Fields.of(hint)
        return lambda value: dict(zip(fields.names, fields.encode(value), strict=True))
    raise TypeError(f"state_codec cannot store a field of type {hint!r}")


@functools.cache
def decoder(hint: Any) -> Decode:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        return _checked(str, "a string")
    if hint is bool:
        return _checked(bool, "a boolean")
    if hint is int:
        return _decode_int
    if hint is float:
        return _decode_float
    if hint in (None, types.NoneType):
        return _decode_none
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return functools.partial(_decode_enum, hint)
    if origin in (typing.Union, types.UnionType):
        inner = decoder(_optional(hint))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = decoder(args[0])
            return lambda value: tuple(item(v) for v in as_list(value, "a list"))
        return functools.partial(_decode_fixed_tuple, tuple(decoder(a) for a in args))
    if origin is dict:
        key, val = decoder(args[0]), decoder(args[1])
        if args[1] in (None, types.NoneType):
            return lambda value: dict.fromkeys(key(k) for k in as_list(value, "a list of keys"))
        return lambda value: {
            key(k): val(v) for k, v in (as_pair(p) for p in as_list(value, "a list of pairs"))
        }
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return functools.partial(_decode_dataclass, hint, Fields.of(hint))
    raise TypeError(f"state_codec cannot restore a field of type {hint!r}")


def _optional(hint: Any) -> Any:
    """X for `X | None`; other unions have no stored form (which member would a value be?)."""
    others = [a for a in typing.get_args(hint) if a is not types.NoneType]
    if len(others) != 1 or len(others) == len(typing.get_args(hint)):
        raise TypeError(f"state_codec stores only `X | None` unions, not {hint!r}")
    return others[0]


def _checked(kind: type, expected: str) -> Decode:
    def decode(value: Any) -> Any:
        if type(value) is not kind:
            raise failure(value, expected)
        return value

    return decode


def _decode_int(value: Any) -> int:
    if type(value) is not int:
        raise failure(value, "an integer")
    return value


def _decode_float(value: Any) -> float:
    # An int is kept as it is: the engine may hold one where a float is expected (now=0).
    if type(value) not in (float, int):
        raise failure(value, "a number")
    return typing.cast(float, value)


def _decode_none(value: Any) -> None:
    if value is not None:
        raise failure(value, "null")


def _decode_enum(kind: type[enum.Enum], value: Any) -> enum.Enum:
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return kind(value)
        except ValueError:
            pass
    raise failure(value, f"a {kind.__name__} ({', '.join(repr(m.value) for m in kind)})")


def _decode_dataclass(kind: type, fields: Fields, value: Any) -> Any:
    try:
        return kind(**fields.decode(value))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"not a valid {kind.__name__}: {exc}") from None


def _decode_fixed_tuple(items: tuple[Decode, ...], value: Any) -> tuple[Any, ...]:
    parts = as_list(value, f"a list of {len(items)}")
    if len(parts) != len(items):
        raise failure(value, f"a list of {len(items)}")
    return tuple(dec(v) for dec, v in zip(items, parts, strict=True))


def as_list(value: Any, expected: str) -> list[Any]:
    if not isinstance(value, list):
        raise failure(value, expected)
    return value


def as_pair(value: Any) -> tuple[Any, Any]:
    parts = as_list(value, "a [key, value] pair")
    if len(parts) != 2:
        raise failure(value, "a [key, value] pair")
    return parts[0], parts[1]


def as_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SnapshotError(f"{what}: {failure(value, 'an object')}")
    return value


class Fields:
    """The stored fields of one dataclass (those not rebuilt from the config), in field order."""

    _cache: typing.ClassVar[dict[tuple[type, frozenset[str]], Fields]] = {}

    def __init__(self, cls: type, skip: frozenset[str]) -> None:
        hints = typing.get_type_hints(cls)
        self.names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in skip)
        get = operator.attrgetter(*self.names) if self.names else lambda obj: ()
        self._values: Callable[[Any], list[Any]] = (
            (lambda obj: [get(obj)]) if len(self.names) == 1 else (lambda obj: list(get(obj)))
        )
        encoders = [encoder(hints[name]) for name in self.names]
        # Most stored values are plain already: only the others go through their encoder.
        self._converted = tuple((i, enc) for i, enc in enumerate(encoders) if enc is not _identity)
        self._decoders = {name: decoder(hints[name]) for name in self.names}
        # A field added in a later release has a default: snapshots written before it was added
        # still restore (the default fills in); only fields without a default are required.
        self._defaults: dict[str, Callable[[], Any]] = {}
        for f in dataclasses.fields(cls):
            if f.name not in self.names:
                continue
            if f.default_factory is not dataclasses.MISSING:
                self._defaults[f.name] = f.default_factory
            elif f.default is not dataclasses.MISSING:
                self._defaults[f.name] = functools.partial(_identity, f.default)
        self._required = tuple(name for name in self.names if name not in self._defaults)

    @classmethod
    def of(cls, kind: type, skip: Iterable[str] = ()) -> Fields:
        key = (kind, frozenset(skip))
        found = cls._cache.get(key)
        if found is None:
            found = cls._cache[key] = cls(kind, key[1])
        return found

    def encode(self, obj: Any) -> list[Any]:
        values = self._values(obj)
        for index, enc in self._converted:
            values[index] = enc(values[index])
        return values

    def decode(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise failure(raw, "an object")
        self._check_required(raw, "")
        names = [name for name in self.names if name in raw]
        return self._decode_values(names, [raw[name] for name in names])

    def _check_required(self, stored: Iterable[str], what: str) -> None:
        missing = [name for name in self._required if name not in stored]
        if missing:
            raise SnapshotError(f"{what}field {missing[0]!r} is missing")

    def _decode_values(self, names: list[str], values: list[Any]) -> dict[str, Any]:
        decoders = self._decoders
        try:
            decoded = [decoders[name](v) for name, v in zip(names, values, strict=True)]
        except SnapshotError:
            # Rare: find the field again, to say which one.
            for name, value in zip(names, values, strict=True):
                try:
                    decoders[name](value)
                except SnapshotError as exc:
                    raise SnapshotError(f"field {name!r}: {exc}") from None
            raise
        found = dict(zip(names, decoded, strict=True))
        if len(found) < len(self.names):
            return {
                name: found[name] if name in found else self._defaults[name]()
                for name in self.names
            }
        return found

    def table(self, objs: Iterable[Any]) -> dict[str, Any]:
        # Positional rows with the names once: a big tenant holds 50,000 calls.
        return {"fields": list(self.names), "rows": [self.encode(obj) for obj in objs]}

    def rows(self, raw: Any, what: str) -> list[dict[str, Any]]:
        table = as_object(raw, what)
        names, rows = table.get("fields"), table.get("rows")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SnapshotError(f"{what}: 'fields' is not a list of names")
        if not isinstance(rows, list):
            raise SnapshotError(f"{what}: 'rows' is not a list")
        self._check_required(names, f"{what}: ")
        known = [name for name in self.names if name in names]
        positions = [names.index(name) for name in known]
        decoded = []
        for number, row in enumerate(rows):
            try:
                if not isinstance(row, list) or len(row) != len(names):
                    raise failure(row, f"a list of {len(names)} values")
                decoded.append(self._decode_values(known, [row[p] for p in positions]))
            except SnapshotError as exc:
                raise SnapshotError(f"{what} row {number}: {exc}") from None
        return decoded
