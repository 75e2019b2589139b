"""The SDP handling the conference mixer needs: where a party's audio goes, and the same
session description moved to another address (for re-anchoring a leg on the mixer)."""

from __future__ import annotations

import re

from pbx_core.media import g711

_CONNECTION = re.compile(r"^c=IN IP4 (\S+)\s*$", re.MULTILINE)
_AUDIO = re.compile(r"^m=audio (\d+) (\S+) ([\d ]+?)\s*$", re.MULTILINE)
_ORIGIN = re.compile(r"^(o=\S+ \S+ )(\d+)( .*)$", re.MULTILINE)


class SdpError(ValueError):
    """No usable IPv4 audio stream with a G.711 codec in the SDP."""


def audio_endpoint(sdp: str) -> tuple[tuple[str, int], int]:
    """((host, port), payload type) of the first audio stream: its first G.711 codec."""
    media = _AUDIO.search(sdp)
    if media is None:
        raise SdpError("no audio stream")
    # A media-level c= line wins over the session-level one.
    connections = [c for c in _CONNECTION.finditer(sdp) if c.start() < _next_media(sdp, media)]
    if not connections:
        raise SdpError("no IPv4 connection address")
    codecs = [int(pt) for pt in media.group(3).split()]
    g711_codecs = [pt for pt in codecs if pt in g711.PAYLOAD_TYPES]
    if not g711_codecs:
        raise SdpError(f"no G.711 codec among {codecs}")
    return (connections[-1].group(1), int(media.group(1))), g711_codecs[0]


def audio_codecs(sdp: str) -> list[int]:
    """The G.711 payload type to take from each audio section (PCMU where none is offered:
    rtpengine transcodes for a subscriber that allows it)."""
    chosen = []
    for media in _AUDIO.finditer(sdp):
        offered = [int(pt) for pt in media.group(3).split()]
        chosen.append(next((pt for pt in offered if pt in g711.PAYLOAD_TYPES), g711.PCMU))
    return chosen


def receive_only_answer(streams: list[tuple[tuple[str, int], int]]) -> str:
    """An answer with one recvonly audio section per (mixer address, payload type)."""
    host = streams[0][0][0]
    lines = ["v=0", f"o=- {streams[0][0][1]} 1 IN IP4 {host}", "s=-", f"c=IN IP4 {host}", "t=0 0"]
    for (_, port), payload_type in streams:
        name = "PCMU" if payload_type == g711.PCMU else "PCMA"
        lines += [
            f"m=audio {port} RTP/AVP {payload_type}",
            f"a=rtpmap:{payload_type} {name}/8000",
            "a=recvonly",
        ]
    return "\r\n".join(lines) + "\r\n"


def _next_media(sdp: str, media: re.Match[str]) -> int:
    following = sdp.find("\nm=", media.end())
    return len(sdp) if following < 0 else following


def moved(sdp: str, address: tuple[str, int]) -> str:
    """`sdp` with its connection address and first audio port replaced by `address`."""
    host, port = address
    result = _CONNECTION.sub(f"c=IN IP4 {host}", sdp)
    return _AUDIO.sub(lambda m: f"m=audio {port} {m.group(2)} {m.group(3)}", result, count=1)


def with_version(sdp: str, raise_by: int) -> str:
    """`sdp` with the origin's version raised (RFC 3264 wants a new version in each new offer
    within a dialog)."""
    return _ORIGIN.sub(
        lambda m: f"{m.group(1)}{int(m.group(2)) + raise_by}{m.group(3)}", sdp, count=1
    )


def offer(address: tuple[str, int], version: int = 1) -> str:
    """A sendrecv G.711 offer (with telephone-events) for a mixer socket."""
    host, port = address
    return (
        "v=0\r\n"
        f"o=- {port} {version} IN IP4 {host}\r\n"
        "s=-\r\n"
        f"c=IN IP4 {host}\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 8 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\n"
        "a=ptime:20\r\n"
        "a=sendrecv\r\n"
    )
