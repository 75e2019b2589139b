"""Just enough SIP message syntax for a relay: headers, Via, Contact and URIs, kept as text.

The TCP gateway (`tcp_transport.py`) must pass messages through untouched except for the few
fields it rewrites, so it does not round-trip them through sippy's parser (which normalises,
drops what it does not know and would have to run in the SIP thread). Values are decoded with
`surrogateescape` so that any byte a peer sends comes out again as it came in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

ENCODING = "utf-8"
ERRORS = "surrogateescape"

COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_REQUEST_LINE = re.compile(rf"^({_TOKEN}) (\S+) SIP/2\.0$", re.IGNORECASE)
_STATUS_LINE = re.compile(r"^SIP/2\.0 ([1-6][0-9][0-9])(?: (.*))?$", re.IGNORECASE)
_HEADER_NAME = re.compile(rf"^{_TOKEN}$")


class MalformedMessage(ValueError):
    """The bytes are not a SIP message this relay can handle (reason in the message)."""


def canonical(name: str) -> str:
    lower = name.strip().lower()
    return COMPACT_FORMS.get(lower, lower)


def is_start_line(line: str) -> bool:
    return bool(_REQUEST_LINE.match(line) or _STATUS_LINE.match(line))


def unfold(text: str) -> list[str]:
    """Header lines with continuation lines (leading space or tab) joined to their header."""
    lines: list[str] = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, not inside quotes or angle brackets."""
    parts: list[str] = []
    start, quoted, angle, escaped = 0, False, False, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            angle = True
        elif char == ">":
            angle = False
        elif char == "," and not angle:
            parts.append(value[start:index].strip())
            start = index + 1
    parts.append(value[start:].strip())
    return [part for part in parts if part]


def _split_params(text: str) -> list[tuple[str, str | None]]:
    params: list[tuple[str, str | None]] = []
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        params.append((name.strip(), value.strip() if sep else None))
    return params


def _join_params(params: list[tuple[str, str | None]]) -> str:
    return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params)


def _split_hostport(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise MalformedMessage(f"bad IPv6 reference {text!r}")
        host, rest = text[: end + 1], text[end + 1 :]
    else:
        host, _, port_text = text.partition(":")
        rest = f":{port_text}" if port_text else ""
    if not host:
        raise MalformedMessage(f"no host in {text!r}")
    if not rest:
        return host, None
    if not rest.startswith(":") or not rest[1:].isdigit() or not 0 < int(rest[1:]) < 65536:
        raise MalformedMessage(f"bad port in {text!r}")
    return host, int(rest[1:])


def _hostport(host: str, port: int | None) -> str:
    return host if port is None else f"{host}:{port}"


@dataclass
class Params:
    """`;name=value` parameters in their order (names compare case-insensitively)."""

    items: list[tuple[str, str | None]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        for key, value in self.items:
            if key.lower() == name:
                return value
        return None

    def has(self, name: str) -> bool:
        return any(key.lower() == name for key, _ in self.items)

    def set(self, name: str, value: str | None) -> None:
        for index, (key, _) in enumerate(self.items):
            if key.lower() == name:
                self.items[index] = (key, value)
                return
        self.items.append((name, value))

    def __str__(self) -> str:
        return _join_params(self.items)


@dataclass
class Via:
    protocol: str
    """`SIP/2.0/UDP`, `SIP/2.0/TCP`..."""
    host: str
    port: int | None
    params: Params

    @classmethod
    def parse(cls, value: str) -> Via:
        sent_protocol, _, rest = value.strip().partition(" ")
        protocol = "".join(sent_protocol.split())
        if protocol.count("/") != 2 or not protocol.upper().startswith("SIP/2.0/"):
            raise MalformedMessage(f"bad Via {value!r}")
        sent_by, _, params = rest.strip().partition(";")
        host, port = _split_hostport("".join(sent_by.split()))
        return cls(protocol, host, port, Params(_split_params(params)))

    @property
    def branch(self) -> str:
        return self.params.get("branch") or ""

    def __str__(self) -> str:
        return f"{self.protocol} {_hostport(self.host, self.port)}{self.params}"


@dataclass
class SipUri:
    scheme: str
    userinfo: str | None
    host: str
    port: int | None
    params: Params
    headers: str = ""
    """`?name=value&...` after the parameters, kept as sent (empty: none)."""

    @classmethod
    def parse(cls, text: str) -> SipUri:
        scheme, colon, rest = text.strip().partition(":")
        if not colon or scheme.lower() not in ("sip", "sips"):
            raise MalformedMessage(f"not a SIP URI: {text!r}")
        rest, question, headers = rest.partition("?")
        userinfo: str | None = None
        at = rest.rfind("@")
        if at >= 0:
            userinfo, rest = rest[:at], rest[at + 1 :]
        hostport, _, params = rest.partition(";")
        host, port = _split_hostport(hostport)
        return cls(scheme, userinfo, host, port, Params(_split_params(params)), question + headers)

    def __str__(self) -> str:
        user = f"{self.userinfo}@" if self.userinfo is not None else ""
        hostport = _hostport(self.host, self.port)
        return f"{self.scheme}:{user}{hostport}{self.params}{self.headers}"


def map_contact(value: str, rewrite: Callable[[str], str]) -> str:
    """One Contact (or Route-like) element with its URI replaced by `rewrite(uri)`;
    `*` and elements without a URI stay as they are."""
    element = value.strip()
    if element == "*":
        return element
    opening = _unquoted_index(element, "<")
    if opening >= 0:
        closing = element.find(">", opening)
        if closing < 0:
            raise MalformedMessage(f"unclosed '<' in {value!r}")
        uri = element[opening + 1 : closing]
        return f"{element[:opening]}<{rewrite(uri)}>{element[closing + 1 :]}"
    # addr-spec without brackets: what follows ';' are header parameters (RFC 3261 20.10),
    # so the rewritten URI, which has parameters of its own, needs the brackets.
    uri, semicolon, params = element.partition(";")
    return f"<{rewrite(uri.strip())}>{semicolon}{params}"


def _unquoted_index(text: str, wanted: str) -> int:
    quoted, escaped = False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == wanted and not quoted:
            return index
    return -1


@dataclass
class SipMessage:
    start_line: str
    headers: list[tuple[str, str]]
    """(name as sent, unfolded value) in order; several values of one name may share a line."""
    body: bytes = b""

    @classmethod
    def parse(cls, data: bytes, *, lenient: bool = False) -> SipMessage:
        """`lenient`: skip bad header lines instead of refusing the message (to answer it)."""
        head, separator, body = data.partition(b"\r\n\r\n")
        if not separator and not lenient:
            raise MalformedMessage("no end of headers")
        lines = unfold(head.decode(ENCODING, ERRORS))
        if not is_start_line(lines[0]):
            raise MalformedMessage(f"bad start line {lines[0][:80]!r}")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon and _HEADER_NAME.match(name.strip()):
                headers.append((name.strip(), value.strip()))
            elif not lenient:
                raise MalformedMessage(f"bad header line {line[:80]!r}")
        return cls(lines[0], headers, body)

    # -- start line ---------------------------------------------------------------------------

    @property
    def is_request(self) -> bool:
        return _REQUEST_LINE.match(self.start_line) is not None

    @property
    def method(self) -> str:
        """The request's method, or for a response the method of its CSeq."""
        request = _REQUEST_LINE.match(self.start_line)
        if request:
            return request.group(1).upper()
        cseq = self.first("cseq") or ""
        return cseq.split()[-1].upper() if cseq.split() else ""

    @property
    def request_uri(self) -> str:
        request = _REQUEST_LINE.match(self.start_line)
        if request is None:
            raise MalformedMessage("a response has no Request-URI")
        return request.group(2)

    def set_request_uri(self, uri: str) -> None:
        self.start_line = f"{self.method} {uri} SIP/2.0"

    # -- headers ------------------------------------------------------------------------------

    def values(self, name: str) -> list[str]:
        """Every element of header `name` (lower case, full form), commas split."""
        return [
            element
            for key, value in self.headers
            if canonical(key) == name
            for element in split_list(value)
        ]

    def first(self, name: str) -> str | None:
        for key, value in self.headers:
            if canonical(key) == name:
                return value
        return None

    def set(self, name: str, value: str) -> None:
        """Replace the first header `name` (full form), or append it."""
        for index, (key, _) in enumerate(self.headers):
            if canonical(key) == name:
                self.headers[index] = (key, value)
                return
        self.headers.append((name.title(), value))

    def _first_index(self, name: str) -> int:
        for index, (key, _) in enumerate(self.headers):
            if canonical(key) == name:
                return index
        return -1

    def top_via(self) -> Via:
        index = self._first_index("via")
        if index < 0:
            raise MalformedMessage("no Via")
        return Via.parse(split_list(self.headers[index][1])[0])

    def replace_top_via(self, via: Via) -> None:
        index = self._first_index("via")
        if index < 0:
            raise MalformedMessage("no Via")
        key, value = self.headers[index]
        self.headers[index] = (key, ", ".join([str(via), *split_list(value)[1:]]))

    def push_via(self, via: Via) -> None:
        index = self._first_index("via")
        self.headers.insert(max(index, 0), ("Via", str(via)))

    def pop_via(self) -> Via:
        index = self._first_index("via")
        if index < 0:
            raise MalformedMessage("no Via")
        key, value = self.headers[index]
        top, *rest = split_list(value)
        if rest:
            self.headers[index] = (key, ", ".join(rest))
        else:
            del self.headers[index]
        return Via.parse(top)

    def map_contacts(self, rewrite: Callable[[str], str]) -> None:
        self.headers = [
            (key, ", ".join(map_contact(element, rewrite) for element in split_list(value)))
            if canonical(key) == "contact"
            else (key, value)
            for key, value in self.headers
        ]

    def to_bytes(self) -> bytes:
        """The message with a Content-Length that matches its body."""
        self.set("content-length", str(len(self.body)))
        head = "\r\n".join([self.start_line, *(f"{key}: {value}" for key, value in self.headers)])
        return head.encode(ENCODING, ERRORS) + b"\r\n\r\n" + self.body


def make_response(request: SipMessage, status: int, reason: str) -> SipMessage:
    """A response the relay itself gives: Via, From, To (with a tag), Call-ID and CSeq of the
    request, no body (RFC 3261 8.2.6.2)."""
    copied = [
        (key, value)
        for key, value in request.headers
        if canonical(key) in ("via", "from", "to", "call-id", "cseq")
    ]
    response = SipMessage(f"SIP/2.0 {status} {reason}", copied)
    to = response.first("to")
    if to is not None and status > 100 and not _has_tag(to):
        response.set("to", f"{to};tag={secrets.token_hex(6)}")
    return response


def _has_tag(name_addr: str) -> bool:
    closing = name_addr.rfind(">")
    params = name_addr[closing + 1 :] if closing >= 0 else name_addr.partition(";")[2]
    return Params(_split_params(params)).has("tag")
