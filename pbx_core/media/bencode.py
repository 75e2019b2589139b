"""Bencode (the encoding of rtpengine's NG protocol): dicts, lists, byte strings, integers."""

from __future__ import annotations

from typing import Any


class BencodeError(ValueError):
    pass


def encode(value: Any) -> bytes:
    if isinstance(value, bool):
        return encode(int(value))
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list | tuple):
        return b"l" + b"".join(encode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(encode(k) + encode(v) for k, v in items) + b"e"
    raise BencodeError(f"cannot bencode {type(value).__name__}")


def decode(data: bytes) -> Any:
    """Decode one value; byte strings come back as `str` (NG replies are text)."""
    value, end = _decode_at(data, 0)
    if end != len(data):
        raise BencodeError("trailing data")
    return value


def _decode_at(data: bytes, pos: int) -> tuple[Any, int]:
    if pos >= len(data):
        raise BencodeError("truncated")
    lead = data[pos : pos + 1]
    if lead == b"i":
        end = data.index(b"e", pos)
        return int(data[pos + 1 : end]), end + 1
    if lead == b"l":
        items: list[Any] = []
        pos += 1
        while data[pos : pos + 1] != b"e":
            item, pos = _decode_at(data, pos)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        result: dict[str, Any] = {}
        pos += 1
        while data[pos : pos + 1] != b"e":
            key, pos = _decode_at(data, pos)
            result[str(key)], pos = _decode_at(data, pos)
        return result, pos + 1
    if lead.isdigit():
        colon = data.index(b":", pos)
        length = int(data[pos:colon])
        start = colon + 1
        if start + length > len(data):
            raise BencodeError("truncated string")
        return data[start : start + length].decode(errors="replace"), start + length
    raise BencodeError(f"unexpected byte {lead!r} at {pos}")
