"""SIP message boundaries on a byte stream (RFC 3261 18.3, 7.5; RFC 5626 3.5.1 keep-alives).

Sans I/O so every boundary case is a unit test: `feed` takes whatever one read returned and
gives back the complete messages in it, keep-alive pings, or one fatal `FramingError`. On a
stream, framing depends on Content-Length alone (it MUST be present, RFC 3261 20.14); once
it cannot be trusted (missing, not a number, larger than allowed, or the bytes are no SIP at
all) there is no way to find the next message, so the error is final for the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from pbx_core.sip.wire import ENCODING, ERRORS, canonical, is_start_line, unfold

MAX_MESSAGE = 8192
"""sippy reads datagrams with `recvfrom(8192)`: nothing larger can be relayed to it."""

_CRLF = b"\r\n"
_END_OF_HEADERS = b"\r\n\r\n"
_START_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
"""A method or `SIP/2.0` starts with a letter: anything else is refused at its first byte."""


@dataclass(frozen=True, slots=True)
class Message:
    data: bytes


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """A CRLF CRLF ping between messages; the answer is one CRLF (RFC 5626 4.4.1)."""


@dataclass(frozen=True, slots=True)
class FramingError:
    reason: str
    status: int | None = None
    """The response to give before closing when `head` is a request (None: close only)."""
    head: bytes = b""
    """The header block, when it was complete (to build that response from)."""


Frame: TypeAlias = Message | KeepAlive | FramingError


class StreamFramer:
    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._max = max_message
        self._buffer = bytearray()
        self._failed = False

    @property
    def partial(self) -> bool:
        """Part of a message is buffered (its rest has yet to come); a lone CRLF, which
        some phones send as their keep-alive, is none."""
        return not _END_OF_HEADERS.startswith(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        if self._failed:
            return []
        self._buffer += data
        frames: list[Frame] = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)
            if isinstance(frame, FramingError):
                self._failed = True
                self._buffer.clear()
                return frames

    def _next(self) -> Frame | None:
        buffer = self._buffer
        # CRLFs before a start line are ignored (RFC 3261 7.5), except that two in a row
        # are a keep-alive ping; up to three bytes of one may still be on their way.
        while True:
            if buffer.startswith(_END_OF_HEADERS):
                del buffer[:4]
                return KeepAlive()
            if _END_OF_HEADERS.startswith(buffer):
                return None
            if not buffer.startswith(_CRLF):
                break
            del buffer[:2]
        if buffer[0] not in _START_BYTES:
            return FramingError("not a SIP start line")
        line_end = buffer.find(_CRLF)
        if line_end < 0:
            if len(buffer) > self._max:
                return FramingError("start line too long")
            return None
        if not is_start_line(bytes(buffer[:line_end]).decode(ENCODING, ERRORS)):
            return FramingError("not a SIP start line")
        head_end = buffer.find(_END_OF_HEADERS)
        if head_end < 0:
            if len(buffer) > self._max:
                return FramingError("header block too long")
            return None
        head = bytes(buffer[:head_end])
        length = _content_length(head)
        if isinstance(length, FramingError):
            return length
        end = head_end + len(_END_OF_HEADERS) + length
        if end > self._max:
            return FramingError("message too large", 513, head)
        if len(buffer) < end:
            return None
        message = bytes(buffer[:end])
        del buffer[:end]
        return Message(message)


def _content_length(head: bytes) -> int | FramingError:
    values = set()
    for line in unfold(head.decode(ENCODING, ERRORS))[1:]:
        name, colon, value = line.partition(":")
        if colon and canonical(name) == "content-length":
            values.add(value.strip())
    if not values:
        return FramingError("no Content-Length on a stream", 400, head)
    if len(values) > 1:
        return FramingError("conflicting Content-Length values", 400, head)
    value = values.pop()
    if not value.isdigit() or not value.isascii():
        return FramingError(f"bad Content-Length {value[:20]!r}", 400, head)
    return int(value)
