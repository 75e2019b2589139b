"""The STUN/TURN servers browser phones use (`OPENCC_WEBRTC_ICE_SERVERS`, docs/webrtc.md
"TURN and STUN"): none by default, because rtpengine offers its own address as an ICE candidate
and a browser behind NAT reaches it; an installation whose rtpengine is not reachable from its
agents' networks names a TURN server here. The list is handed to each browser with its SIP
credential and used as the `iceServers` of its RTCPeerConnections."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

ICE_SERVERS_ENV = "OPENCC_WEBRTC_ICE_SERVERS"
MAX_ICE_SERVERS = 8
"""Each one costs every browser a gathering round at every call: a handful is plenty."""
_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


class IceServer(BaseModel):
    """One RTCIceServer (W3C WebRTC 4.2.4) as the browser takes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: list[str]
    """`stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]`, `turns:...` (RFC 7064, 7065)."""
    username: str | None = None
    credential: str | None = None
    """TURN's long-term credential. Every signed-in user's browser gets it: give the TURN
    server a user of its own for this, which can relay and nothing else."""

    @field_validator("urls", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("urls")
    @classmethod
    def _stun_or_turn(cls, urls: list[str]) -> list[str]:
        if not urls:
            raise ValueError("urls is empty")
        for url in urls:
            if not url.startswith(_SCHEMES) or len(url) == url.index(":") + 1:
                raise ValueError(f"{url!r} is no stun:, stuns:, turn: or turns: URL")
        return urls

    @model_validator(mode="after")
    def _turn_has_credentials(self) -> IceServer:
        # A browser refuses the whole configuration otherwise (InvalidAccessError): no call.
        turn = any(url.startswith(("turn:", "turns:")) for url in self.urls)
        if turn and not (self.username and self.credential):
            raise ValueError("a TURN server needs username and credential")
        return self


class IceServersError(ValueError):
    """The setting cannot be used; the message says why and names the setting."""


def parse_ice_servers(text: str) -> tuple[IceServer, ...]:
    """`text`: the setting's JSON, an array of RTCIceServer objects; empty: none."""
    if not text.strip():
        return ()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise IceServersError(f"{ICE_SERVERS_ENV} is not JSON: {error}") from error
    if not isinstance(value, list):
        raise IceServersError(f"{ICE_SERVERS_ENV} must be a JSON array of ICE servers")
    if len(value) > MAX_ICE_SERVERS:
        raise IceServersError(f"{ICE_SERVERS_ENV}: at most {MAX_ICE_SERVERS} ICE servers")
    servers = []
    for number, item in enumerate(value, start=1):
        try:
            servers.append(IceServer.model_validate(item))
        except ValidationError as error:
            reasons = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'server'}: {e['msg']}" for e in error.errors()
            )
            raise IceServersError(f"{ICE_SERVERS_ENV}, server {number}: {reasons}") from error
    return tuple(servers)
