"""Kamailio in front of N PBX nodes: the config rendered from `deploy/kamailio/kamailio.cfg`
and a runner that keeps Kamailio in the foreground (tests, benchmarks, `python -m pbx_core.edge`).

The template is Kamailio's own language; this module only fills its `{{field}}`s (ports, the
dispatcher list, flood limits) and refuses a template field it does not know, so the template
and `EdgeSettings` cannot drift apart silently. Production renders the same file once
(docs/deploy.md) and runs Debian's `kamailio.service` on it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from common.child_processes import dies_with_parent

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg"
_FIELD = re.compile(r"\{\{(\w+)\}\}")

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class EdgeSettings:
    port: int
    nodes: tuple[Address, ...]
    """The PBX nodes (host, SIP/UDP port) requests are dispatched over."""
    host: str = "127.0.0.1"
    children: int = 2
    """UDP worker processes (one per core is Kamailio's rule of thumb)."""
    probe_seconds: int = 1
    """OPTIONS to every node this often; a node that misses three in a row is taken out."""
    probe_nodes: bool = True
    """False: no OPTIONS to nodes that are up (the ceiling benchmark's SIPp phone answers none);
    a node that leaves a request unanswered is still taken out and probed until it answers."""
    node_timeout_ms: int = 2000
    """A node silent this long on a request (no reply at all) is marked down; the request then
    goes to the next node."""
    flood_requests: int = 200
    """Requests per `flood_window_seconds` from one address before pike bans it."""
    flood_window_seconds: int = 2
    ban_seconds: int = 60
    max_invites_per_second: int = 2000
    """New calls per second for all sources together; above it 503 (ratelimit)."""
    log_dispatch: bool = False
    """Log every dispatched request with its node (tests read it; costs CPU under load)."""
    debug: int = 2
    """Kamailio's log level: 2 notices and worse, 3 info."""

    def __post_init__(self) -> None:
        if not self.nodes:
            raise ValueError("nodes: at least one PBX node")
        for host, port in (*self.nodes, (self.host, self.port)):
            if not re.fullmatch(r"[A-Za-z0-9.:\-]+", host) or not 0 < port < 65536:
                raise ValueError(f"address {host}:{port}: not a host and port")
        numbers = (
            self.children, self.probe_seconds, self.node_timeout_ms, self.flood_requests,
            self.flood_window_seconds, self.ban_seconds, self.max_invites_per_second,
        )  # fmt: skip
        if min(numbers) < 1:
            raise ValueError("children, timers and limits must be at least 1")


def host_and_port(text: str) -> Address:
    """`HOST:PORT` from a command line (argparse shows the error's message)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT")
    return host, int(port)


def edge_addresses(text: str | None, setting: str) -> tuple[Address, ...]:
    """The Kamailios a node sits behind from a setting's `HOST:PORT[,HOST:PORT...]`; unset or
    empty: none. A bad address is refused with the setting named."""
    try:
        parts = [part.strip() for part in (text or "").split(",")]
        return tuple(host_and_port(part) for part in parts if part)
    except argparse.ArgumentTypeError as error:
        raise ValueError(f"{setting}: {error}") from None


def dispatcher_list(nodes: tuple[Address, ...]) -> str:
    """Set 1 of the dispatcher module: every node, equal weight."""
    return "".join(f"1 sip:{host}:{port} 0 0\n" for host, port in nodes)


def render(settings: EdgeSettings, dispatcher_path: Path, template: str | None = None) -> str:
    values = {
        "host": settings.host,
        "port": str(settings.port),
        "children": str(settings.children),
        "dispatcher_list": str(dispatcher_path),
        "probe_seconds": str(settings.probe_seconds),
        "probing_mode": "1" if settings.probe_nodes else "0",
        "node_timeout_ms": str(settings.node_timeout_ms),
        "flood_requests": str(settings.flood_requests),
        "flood_window_seconds": str(settings.flood_window_seconds),
        "ban_seconds": str(settings.ban_seconds),
        "max_invites_per_second": str(settings.max_invites_per_second),
        "log_dispatch": "" if settings.log_dispatch else "# ",
        "debug": str(settings.debug),
    }
    text = TEMPLATE.read_text() if template is None else template

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"kamailio.cfg: unknown template field {name!r}")
        return values[name]

    return _FIELD.sub(fill, text)


class KamailioMissing(RuntimeError):
    pass


@dataclass
class KamailioProcess:
    settings: EdgeSettings
    process: subprocess.Popen[bytes]
    log_path: Path
    run_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def kamailio_binary() -> str:
    found = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin")
    if found is None:
        raise KamailioMissing("kamailio is missing: run `make system-packages` (Debian: kamailio)")
    return found


def start_kamailio(settings: EdgeSettings, run_dir: Path, timeout: float = 20.0) -> KamailioProcess:
    """Kamailio in the foreground (`-DD`, logging to stderr `-E`) with its config, dispatcher
    list, pid file and runtime files in `run_dir`; returns once it listens. It dies with the
    calling process (`dies_with_parent`)."""
    binary = kamailio_binary()
    run_dir.mkdir(parents=True, exist_ok=True)
    dispatcher = run_dir / "dispatcher.list"
    dispatcher.write_text(dispatcher_list(settings.nodes))
    config = run_dir / "kamailio.cfg"
    config.write_text(render(settings, dispatcher))
    log_path = run_dir / "kamailio.log"
    argv = [
        binary, "-f", str(config), "-DD", "-E",
        "-P", str(run_dir / "kamailio.pid"), "-Y", str(run_dir),
        # TLSF: Debian builds q_malloc with debugging, which ran out of 64 MB under the benchmark.
        "-x", "tlsf", "-m", "256", "-M", "16",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            dies_with_parent(argv), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    running = KamailioProcess(settings, process, log_path, run_dir)
    deadline = time.monotonic() + timeout
    while not _listening(settings.port):
        if process.poll() is not None or time.monotonic() > deadline:
            running.stop()
            raise RuntimeError(f"kamailio did not start:\n{running.log()[-3000:]}")
        time.sleep(0.05)
    return running


def _listening(port: int) -> bool:
    wanted = f":{port:04X}"
    with open("/proc/net/udp") as rows:
        next(rows)
        return any(row.split()[1].endswith(wanted) for row in rows)
