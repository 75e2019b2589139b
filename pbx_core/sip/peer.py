"""Where a request really came from, through our own stream gateways as well (issue 15.1).

sippy sees every request the TCP gateway (`tcp_transport`) relays as coming from the gateway's
UDP relay socket on loopback. Trust by address (a carrier trunk), the digest nonce binding and
the ban on password guessing (`auth_throttle`) need the phone's own address instead: the gateway
writes it into the phone's Via as `received` (RFC 3261 18.2.1; always when the Via names another
host) before pushing its own Via on top, so the second Via of a relayed request names the peer.

Only requests whose UDP source *is* a live relay socket are read this way: the relay addresses
are loopback sockets of this process, and a datagram from another machine cannot carry a
loopback source, so nobody outside can make the PBX believe a Via. The one exception is the
SIP edge a node is configured behind (`PbxConfig.edge_proxies`, Kamailio, docs/deploy.md):
Kamailio writes `received` the same way, and such a node must be reachable from the edge only
(a private network), or a forged UDP source could make it believe a Via.
"""

from __future__ import annotations

import threading
from typing import Any

Address = tuple[str, int]

_relays: set[Address] = set()
"""The relay sockets of the gateways running in this process (a fact about this process's
sockets, like its file descriptors; each gateway adds its own on start and removes it on stop)."""
_lock = threading.Lock()


def add_relay(address: Address) -> None:
    with _lock:
        _relays.add(address)


def remove_relay(address: Address) -> None:
    with _lock:
        _relays.discard(address)


def peer_host(req: Any) -> str:
    """The address of the phone or carrier that sent `req` (a sippy request)."""
    host, port = req.getSource()
    if (str(host), int(port)) not in _relays:
        return str(host)
    vias = req.getHFBodys("via")
    if len(vias) < 2:
        return str(host)  # not the shape the gateway relays: trust nothing in it
    phone_via = vias[1]
    received = phone_via.params.get("received")
    return str(received if received else phone_via.getAddr()[0])
