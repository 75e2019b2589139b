"""Kamailio in front of the product for the chaos harness (bench/chaos.py `--kamailio`, and its
`kamailio` fault): the scaled-out layout's SIP edge (docs/deploy.md, "Kamailio") with the
product as its one dispatcher node.

The harness's callers, probe calls and agents' registrations go to Kamailio; it dispatches them
to the product (`pbx_core/edge`, the config of `deploy/kamailio/kamailio.cfg`) and
record-routes the calls, so a caller's ACK and BYE come back through it. The product calls the
agents straight at the Contact their REGISTER left in Redis (no `Path`, docs/deploy.md).

The fault: `kill -9` of every Kamailio process (its process group: the main process and its
workers), then, once its port is free, a new Kamailio on the same address and config after
`RESTART_SECONDS`, as systemd restarts a unit that died.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from bench.kamailio_scale import edge_settings
from pbx_core.edge.kamailio import KamailioProcess, start_kamailio
from tests.pbx_core.support import udp_port_bound

RESTART_SECONDS = 1.0
"""From the kill to the new Kamailio's start: systemd's `RestartSec=1`, as `opencc.service`
restarts the product (Debian's `kamailio.service` restarts on failure after systemd's default
0.1 s)."""
PORT_FREED_SECONDS = 10.0


class OwnKamailio:
    """Kamailio on `port` (the product is told it: `OPENCC_SIP_EDGE`), dispatching to the
    product's SIP port."""

    def __init__(self, work: Path, port: int, product_sip_port: int) -> None:
        self.dir = work / "kamailio"
        self.port = port
        # Every SIPp of the harness sends from 127.0.0.1: pike and ratelimit stay in the path
        # but must not take the harness's own load for a flood (bench/kamailio_scale.py).
        self.settings = edge_settings(self.port, (("127.0.0.1", product_sip_port),), probe=True)
        self.starts = 0
        self.running = self._start()

    def _start(self) -> KamailioProcess:
        self.starts += 1
        return start_kamailio(self.settings, self.dir / f"run-{self.starts}")

    def crash_and_restart(self) -> None:
        started = time.monotonic()
        # start_kamailio gives Kamailio a session (and process group) of its own.
        os.killpg(self.running.process.pid, signal.SIGKILL)
        self.running.process.wait()
        deadline = started + PORT_FREED_SECONDS
        while udp_port_bound(self.port):  # its workers may outlive the main process a bit
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kamailio's port {self.port} still taken after the kill")
            time.sleep(0.02)
        time.sleep(max(RESTART_SECONDS - (time.monotonic() - started), 0.0))
        self.running = self._start()

    def stop(self) -> None:
        self.running.stop()
