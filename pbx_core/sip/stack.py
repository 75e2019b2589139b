"""The sippy reactor (ED2) in one dedicated thread that owns every SIP object.

Traps handled here (architecture.md, decision 1): `ED2.my_ident` is set to this thread before
anything creates a timer; the global config carries a `_sip_logger`; one UDP sender thread so
packets leave in order. ED2 is a process-wide singleton, so there is one `SipThread` per
process at a time (it can be stopped and a new one started, as the tests do).
"""

from __future__ import annotations

import gc
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sippy.SdpOrigin
import sippy.SipConf
import sippy.SipTransactionManager
import sippy.SipURL
import sippy.SipVia
import sippy.SipWWWAuthenticate
from sippy.Core.EventDispatcher import ED2
from sippy.SipConf import SipConf
from sippy.SipTransactionManager import SipTransactionManager
from sippy.Udp_server import Udp_server, Udp_server_opts

from pbx_core.sip import fast_clock

log = logging.getLogger(__name__)

RequestHandler = Callable[[Any, Any], Any]
"""sippy's request callback: (request, server transaction) -> (response, cancel_cb, noack_cb)."""


RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024

GC_THRESHOLDS = (10_000, 10, 10)
"""Cyclic garbage collector thresholds for the process (Python's default: 700, 10, 10). sippy
builds dozens of objects per message, many in reference cycles (UA and its states,
transactions and their timers), so with the default a young-generation collection ran every
few messages: 30% of the PBX's CPU in the benchmark (gc callbacks: 3.3 s of 11.6 s for 4000
calls), under 10% with these (garbage in cycles waits a little longer to be freed)."""

_running: SipThread | None = None
_running_lock = threading.Lock()


_MARKED = ("my",)
_UNMARKED = ()


def _marker_dir(obj: object) -> tuple[str, ...]:
    """Stands in for `dir` in the sippy modules whose only use of it is `'my' in dir(x)` (is
    `x` a placeholder for our own address, port or transport?). The real `dir` builds and sorts
    a list of every attribute on each call: with several such checks per URL and Via written,
    that was ~20% of the PBX's CPU in the benchmark profile."""
    return _MARKED if hasattr(obj, "my") else _UNMARKED


def install_marker_checks() -> None:
    for module in (
        sippy.SdpOrigin,
        sippy.SipConf,
        sippy.SipTransactionManager,
        sippy.SipURL,
        sippy.SipVia,
        sippy.SipWWWAuthenticate,
    ):
        module.dir = _marker_dir


class SipLogAdapter:
    """sippy logs every message it sends and receives; route that to `logging` at DEBUG so it
    costs nothing unless asked for."""

    _log = logging.getLogger("pbx_core.sip.wire")

    def write(self, *args: Any, **kwargs: Any) -> None:
        if self._log.isEnabledFor(logging.DEBUG):
            self._log.debug("".join(str(arg) for arg in args))


@dataclass
class SipCounters:
    """SIP datagrams through the process's stack since its SipThread started (one per process,
    like ED2); written by the reactor thread only, read by anyone (ints: no torn reads)."""

    received: int = 0
    sent: int = 0


COUNTERS = SipCounters()


class DirectSendUdpServer(Udp_server):  # type: ignore[misc]
    """Send from the SIP thread itself instead of handing each datagram to sippy's sender
    thread through a `Queue`: the hand-off (lock, condition, thread switch) was the largest
    single CPU item per call in the benchmark profile, and one sender keeps packet order."""

    def __init__(self, global_config: dict[str, Any], uopts: Any) -> None:
        super().__init__(global_config, uopts)
        # A burst (many calls at once, or the reactor busy for a while) must wait in the kernel,
        # not be dropped: each lost INVITE or 200 costs its sender a 500 ms+ retransmission.
        # The kernel caps this at net.core.rmem_max.
        self.skt.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)

    def handle_read(self, data: Any, address: Any, rtime: Any, delayed: bool = False) -> None:
        if not delayed:
            COUNTERS.received += 1
        super().handle_read(data, address, rtime, delayed)

    def send_to(self, data: Any, address: Any, delayed: bool = False) -> None:
        COUNTERS.sent += 1
        host, port = address
        if self.uopts.family == socket.AF_INET and _is_ipv4_literal(str(host)):
            payload = data if isinstance(data, bytes) else str(data).encode()
            try:
                self.skt.sendto(payload, (str(host), int(port)))
                return
            except OSError:
                pass  # full buffer or the like: let sippy's sender retry it
        super().send_to(data, address, delayed)


def _is_ipv4_literal(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return host.count(".") == 3


class PbxTransactionManager(SipTransactionManager):  # type: ignore[misc]
    """sippy compares a target's transport case-sensitively; RFC 3261 says URI parameters
    are case-insensitive and phones (and SIPp) send `transport=UDP` in their Contact."""

    model_udp_server = (DirectSendUdpServer, Udp_server_opts)

    def newTransaction(self, msg: Any, *args: Any, **kwargs: Any) -> Any:  # sippy's name
        address, transport = msg.getTarget()
        if isinstance(transport, str) and transport != transport.lower():
            msg.setTarget((address, transport.lower()))
        return super().newTransaction(msg, *args, **kwargs)


class SipThread:
    def __init__(
        self,
        host: str,
        port: int,
        build_handler: Callable[[dict[str, Any]], RequestHandler],
        user_agent: str = "opencc-pbx",
    ) -> None:
        self.host = host
        self.port = port
        self._build_handler = build_handler
        self._user_agent = user_agent
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.global_config: dict[str, Any] = {}

    def start(self, timeout: float = 10.0) -> None:
        global _running
        with _running_lock:
            if _running is not None:
                raise RuntimeError(
                    "a SIP thread already runs in this process (ED2 is global): "
                    f"{_running.host}:{_running.port}"
                )
            _running = self
        gc.set_threshold(*GC_THRESHOLDS)
        self._thread = threading.Thread(target=self._run, name="sip-reactor", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("SIP thread did not start")
        if self._startup_error is not None:
            self._release()
            raise RuntimeError("SIP thread failed to start") from self._startup_error

    def _run(self) -> None:
        try:
            ED2.my_ident = threading.get_ident()
            fast_clock.install()
            install_marker_checks()
            # Sippy reads these class attributes for Via/Contact of everything it generates.
            SipConf.my_address = self.host
            SipConf.my_port = self.port
            SipConf.my_uaname = self._user_agent
            Udp_server_opts.nworkers = 1
            config: dict[str, Any] = {
                "_sip_address": self.host,
                "_sip_port": self.port,
                "_sip_logger": SipLogAdapter(),
            }
            handler = self._build_handler(config)
            COUNTERS.received = COUNTERS.sent = 0
            config["_sip_tm"] = PbxTransactionManager(config, handler)
            self.global_config = config
        except BaseException as error:
            self._startup_error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            ED2.loop()
        finally:
            config["_sip_tm"].shutdown()
            # ED2 outlives this thread: timers of this stack's dead UAs and transactions would
            # fire in the next SipThread of the process, against a shut-down transaction manager.
            ED2.tlisteners = []
            ED2.twasted = 0

    def transactions(self) -> int:
        """SIP transactions in progress (client and server); safe from any thread."""
        manager = self.global_config.get("_sip_tm")
        if manager is None:
            return 0
        return len(manager.tclient) + len(manager.tserver)

    def call(self, func: Callable[..., Any], *args: Any) -> None:
        """Run `func(*args)` in the SIP thread on its next tick (safe from any thread)."""
        ED2.callFromThread(func, *args)

    def call_sync(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run in the SIP thread and wait for the result (for tests and setup, not hot paths)."""
        return ED2.callFromThreadSync(func, *args)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        ED2.callFromThread(ED2.breakLoop)
        self._thread.join(timeout)
        self._thread = None
        self._release()

    def _release(self) -> None:
        global _running
        with _running_lock:
            if _running is self:
                _running = None
