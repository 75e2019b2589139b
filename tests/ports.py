"""Free ports for the tests' servers, phones and products.

Asking the kernel for port 0 hands out a port of the ephemeral range (32768-60999 on Linux),
which is also where every outgoing connection's source port comes from: on a busy machine a
client socket of another test (an HTTP request, a Redis connection) could take the port between
the moment a test picked it and the moment its server bound it (CI saw a product refuse to start
with "port in use" for its TLS port). These ports come from below both that range and the
window rtpengine draws its RTP ports from (20000 and up, `pbx_core/media/rtpengine_process.py`),
at random so parallel test processes rarely try the same one.
"""

from __future__ import annotations

import random
import socket

TEST_PORTS = range(10_000, 20_000)


def _bindable(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(kind: int = socket.SOCK_STREAM, *, both: bool = False) -> int:
    """A port free on 127.0.0.1 for `kind` (TCP by default), or for UDP and TCP with `both`."""
    kinds = (socket.SOCK_DGRAM, socket.SOCK_STREAM) if both else (kind,)
    while True:
        port = random.choice(TEST_PORTS)  # nosec B311: spreading tests over ports, not secrecy
        if all(_bindable(port, each) for each in kinds):
            return port
