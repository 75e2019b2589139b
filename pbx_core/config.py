"""Settings of one PBX node (addresses, Redis prefix, media); defaults follow contract.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pbx_core.sip.auth_throttle import ThrottlePolicy
from pbx_core.sip.browser_credentials import BrowserCredentials
from pbx_core.sip.calls.park import DEFAULT_PARK_TIMEOUT
from pbx_core.sip.tls_context import TlsFiles
from pbx_core.sip.tls_transport import DEFAULT_PORT as DEFAULT_TLS_PORT
from pbx_core.trunks.registration import RegistrationPolicy


@dataclass(frozen=True, slots=True)
class RtpengineAddress:
    host: str
    ng_port: int


@dataclass(frozen=True, slots=True)
class PbxConfig:
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sip_tcp: bool = True
    """Also listen for SIP over TCP at sip_host:sip_port (docs/pbx.md, "SIP over TCP")."""
    sip_tls: TlsFiles | None = None
    """Also listen for SIP over TLS at sip_host:sip_tls_port with this certificate and key
    (docs/pbx.md, "SIP over TLS"). None: no TLS listener."""
    sip_tls_port: int = DEFAULT_TLS_PORT
    sip_ws_port: int | None = None
    """Also listen for SIP over WebSocket (browser phones, RFC 7118) at sip_host:sip_ws_port;
    their media goes through rtpengine (docs/webrtc.md). None: no WebSocket listener."""
    sip_wss_port: int | None = None
    """Also listen for SIP over secure WebSocket (`wss:`, for pages served over https) at
    sip_host:sip_wss_port, with `sip_wss_tls`. None: no WSS listener."""
    sip_wss_tls: TlsFiles | None = None
    """The WSS listener's certificate and key (needed with `sip_wss_port`)."""
    sip_ws_origins: tuple[str, ...] | None = None
    """Web pages (their `Origin`) allowed to open the SIP WebSocket (ws and wss); None: any."""
    browser_credentials: BrowserCredentials | None = None
    """Short-lived SIP passwords the API hands to browser phones; None: phones' own only."""
    webrtc_opus: bool = True
    """Browsers are offered Opus (rtpengine transcodes); False: G.711 to the browser too."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "pbx:"
    """Prefix of every Redis key the PBX writes (tests use their own, so runs never mix)."""
    realm: str = "opencc"
    edge_proxies: tuple[tuple[str, int], ...] = ()
    """(host, port) of the SIP edge (Kamailio) this node sits behind: a request from there is
    read as coming from the address in the Via below the edge's (the phone's), so the ban on
    password guessing, nonces and trust by address see the phone, not the edge (one phone's
    wrong password must not ban every phone behind it). Only for a node that nothing but the
    edge can reach (docs/deploy.md, "Kamailio")."""
    auth_throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    """Failed digest authentications per source address before a ban, and its length."""
    carrier_registration: RegistrationPolicy = field(default_factory=RegistrationPolicy)
    """Back-off and refresh of trunks registering to their carriers."""
    binding_cache_seconds: float = 60.0
    """Longest time a location lookup is reused in memory; 0: no cache. Registrations and
    expiries are seen at once on every node (pub/sub invalidation, key TTL, see
    `LocationStore`); only keys edited in Redis by hand can be served this much late."""
    rtpengine: RtpengineAddress | None = None
    """None: SDP passes through between phones, no prompts, music or recording."""
    prompts_dir: Path = Path("var/prompts")
    recordings_dir: Path | None = None
    """Where rtpengine writes pcap recordings; the PBX adds a metadata JSON per call."""
    dtmf_listen_port: int | None = None
    """UDP port for rtpengine's `--dtmf-log-dest` feed (RFC 4733 digits as JSON)."""
    max_calls_per_extension: int = 1
    """An extension already ringing or talking this many times is busy (486); 0: no limit."""
    outbound_trunk: tuple[str, int] | None = None
    """(host, port) of the carrier that numbers other than extensions are sent to, until the
    owner hands the PBX a whole `TrunkRouting` (`PbxService.update_trunks`)."""
    extension_ring_timeout: float = 30.0
    carrier_tls_ca: Path | None = None
    """CA certificates (PEM) a TLS trunk's carrier is checked against; None: the system's."""
    park_timeout: float = DEFAULT_PARK_TIMEOUT
    """How long a parked call waits before it rings the user who parked it again."""
    keep_dialogs: bool = False
    """Keep the callers' dialogs of application-driven calls in Redis, so a restarted PBX takes
    them over (`PbxService.stored_dialogs`, `take_over`; docs/deploy.md)."""
    """How long an extension-to-extension call rings before the caller hears 480."""
