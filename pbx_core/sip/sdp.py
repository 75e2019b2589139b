"""The little SDP and DTMF text handling the B2BUA needs (sippy passes bodies through)."""

from __future__ import annotations

import re

PLACEHOLDER_SDP = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 9 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
)
"""The far side while a caller waits in a queue with nobody bridged (architecture.md step 2):
rtpengine needs an answer to anchor the caller, and port 9 (discard) sends nothing anywhere."""

_HOLD = re.compile(r"^a=(sendonly|inactive)\s*$", re.MULTILINE)
_NULL_CONNECTION = re.compile(r"^c=IN IP4 0\.0\.0\.0\s*$", re.MULTILINE)


def is_hold(sdp: str) -> bool:
    """RFC 3264 hold (sendonly/inactive) or the older RFC 2543 style (c=0.0.0.0)."""
    return bool(_HOLD.search(sdp) or _NULL_CONNECTION.search(sdp))


DTMF_DIGITS = "0123456789*#ABCD"
_SIGNAL = re.compile(r"^\s*Signal\s*=\s*(\S+)", re.MULTILINE | re.IGNORECASE)


def dtmf_from_info(content_type: str, body: str) -> str | None:
    """The digit of a SIP INFO (application/dtmf-relay `Signal=5`, or application/dtmf `5`)."""
    content_type = content_type.lower()
    if content_type == "application/dtmf-relay":
        match = _SIGNAL.search(body)
        digit = match.group(1) if match else ""
    elif content_type == "application/dtmf":
        digit = body.strip()
    else:
        return None
    if digit in ("10", "11"):  # some phones send the RFC 4733 event number
        digit = "*" if digit == "10" else "#"
    digit = digit.upper()
    return digit if len(digit) == 1 and digit in DTMF_DIGITS else None


def dtmf_from_event_code(code: int) -> str | None:
    """RFC 4733 event number -> digit."""
    return DTMF_DIGITS[code] if 0 <= code < len(DTMF_DIGITS) else None
