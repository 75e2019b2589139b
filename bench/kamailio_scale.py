"""Calls per second through Kamailio with 1, 2 and 3 PBX nodes, as a ratio to 1 node in the same
run, and the Kamailio-only ceiling (issue 20, "Performance"; docs/deploy.md).

Each run is `bench/sip_cps.py`'s extension-to-extension call (SIPp caller, digest-authenticated
INVITE, location lookup in Redis, B2BUA leg to a SIPp phone, BYE) sent to Kamailio
(`pbx_core/edge`), which dispatches it to N PBX nodes (`bench.sip_cps.pbx_node`, one Python
process each, all on one Redis location table). The caller leg passes Kamailio (record-routed:
its ACK and BYE too); the B2BUA's leg goes from the node straight to the called phone.

The ceiling run is Kamailio relaying the same caller's calls straight to a SIPp phone that
challenges like the PBX does (`sip_cps/uac_auth.xml` -> Kamailio ->
`sip_cps/uas_carrier_digest.xml`): the same messages through Kamailio per call, no PBX. On a
machine of few cores the processes share them: the CPU of each (Kamailio's workers together,
every node, SIPp) is printed per run.

Run: `python bench/kamailio_scale.py [--nodes 1,2,3] [--calls 3000] [--limit 100]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sip_cps.harness import (  # noqa: E402
    ERRORS_DIR,
    SCENARIOS,
    SIPP_BUFFER_BYTES,
    cpu_seconds,
    run_sipp,
    sipp_caller,
    sipp_counts,
    start_server,
    stop,
    udp_drops,
)
from pbx_core.edge.kamailio import EdgeSettings, KamailioProcess, start_kamailio  # noqa: E402
from pbx_core.media.rtpengine_process import free_udp_port  # noqa: E402


def edge_settings(port: int, nodes: tuple[tuple[str, int], ...], probe: bool) -> EdgeSettings:
    """Pike and ratelimit stay in the path (their cost is measured) but never trip: every call
    of the benchmark comes from one address."""
    return EdgeSettings(
        port, nodes, probe_nodes=probe, flood_requests=1_000_000, max_invites_per_second=1_000_000
    )


@dataclass
class ScaleRun:
    name: str
    calls_ok: int
    calls_failed: int
    seconds: float
    load_average: float
    udp_drops: int
    cpu: dict[str, float] = field(default_factory=dict)
    """Process name -> CPU seconds used in the run."""

    @property
    def cps(self) -> float:
        return self.calls_ok / self.seconds if self.seconds else 0.0

    def share(self, name: str) -> float:
        return self.cpu[name] / self.seconds if self.seconds else 0.0

    def ms_per_call(self, prefix: str) -> float:
        """CPU milliseconds per call of the processes whose name starts with `prefix`."""
        used = sum(seconds for name, seconds in self.cpu.items() if name.startswith(prefix))
        return 1000 * used / self.calls_ok if self.calls_ok else 0.0


def group_cpu_seconds(leader: int) -> float:
    """CPU of every process in `leader`'s process group (Kamailio forks its workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == leader:  # pgrp
            total += cpu_seconds(int(stat.parent.name))
    return total


def _callee(scenario: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_udp_port()
    process = subprocess.Popen(
        [
            "sipp", "-sf", str(SCENARIOS / scenario),
            "-i", "127.0.0.1", "-p", str(port), "-buff_size", str(SIPP_BUFFER_BYTES),
            "-nostdin", "-max_recv_loops", "10000",
            "-trace_err", "-error_file", str(ERRORS_DIR / f"sipp-callee-{port}-errors.log"),
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return process, port


def _measure(
    name: str,
    edge: KamailioProcess,
    nodes: list[subprocess.Popen[str]],
    callee: subprocess.Popen[bytes],
    sipp: list[str],
    ports: list[int],
) -> ScaleRun:
    processes = {f"node {n + 1}": node.pid for n, node in enumerate(nodes)}
    processes["SIPp phone"] = callee.pid
    load, drops = os.getloadavg()[0], udp_drops(ports)
    before = {label: cpu_seconds(pid) for label, pid in processes.items()}
    edge_before = group_cpu_seconds(edge.process.pid)
    started = time.perf_counter()
    output, caller_cpu = run_sipp(sipp)
    seconds = time.perf_counter() - started
    cpu = {"kamailio": group_cpu_seconds(edge.process.pid) - edge_before}
    cpu |= {label: cpu_seconds(pid) - before[label] for label, pid in processes.items()}
    cpu["SIPp caller"] = caller_cpu
    ok, failed = sipp_counts(output)
    if failed:
        for log in sorted(ERRORS_DIR.glob(f"sipp-{sipp[1].rsplit(':', 1)[1]}-errors.log")):
            print(
                f"{name}: first SIPp errors ({log.name}):\n{log.read_text(errors='replace')[:1200]}"
            )
    return ScaleRun(name, ok, failed, seconds, load, udp_drops(ports) - drops, cpu)


def _caller(edge_port: int, calls: int, limit: int) -> tuple[list[str], int]:
    port = free_udp_port()
    scenario = [
        "-sf", str(SCENARIOS / "uac_auth.xml"),
        "-set", "from", "1001", "-set", "to", "1002", "-set", "media_port", "9",
        "-au", "1001", "-ap", "pw1001", "-auth_uri", f"1002@127.0.0.1:{edge_port}",
    ]  # fmt: skip
    return sipp_caller(edge_port, port, calls, limit, scenario), port


def nodes_run(count: int, calls: int, limit: int, work: Path) -> ScaleRun:
    callee, callee_port = _callee("uas_answer.xml")
    edge_port = free_udp_port()
    prefix = f"bench-kamailio-{uuid.uuid4().hex[:8]}:"
    nodes: list[subprocess.Popen[str]] = []
    edge = None
    try:
        node_ports = [free_udp_port() for _ in range(count)]
        for port in node_ports:
            nodes.append(start_server([
                "bench.sip_cps.pbx_node", "--port", str(port), "--callee-port", str(callee_port),
                "--prefix", prefix, "--edge", f"127.0.0.1:{edge_port}",
            ]))  # fmt: skip
        settings = edge_settings(edge_port, tuple(("127.0.0.1", port) for port in node_ports), True)
        edge = start_kamailio(settings, work / f"kamailio-{count}")
        sipp, caller_port = _caller(edge_port, calls, limit)
        name = f"Kamailio + {count} PBX node{'s' if count > 1 else ''}"
        ports = [edge_port, caller_port, callee_port, *node_ports]
        return _measure(name, edge, nodes, callee, sipp, ports)
    finally:
        if edge is not None:
            edge.stop()
        for node in nodes:
            stop(node)
        callee.kill()
        callee.wait()


def ceiling_run(calls: int, limit: int, work: Path) -> ScaleRun:
    """Kamailio relaying to a SIPp phone that challenges like the PBX: no PBX at all."""
    callee, callee_port = _callee("uas_carrier_digest.xml")
    edge = None
    try:
        edge_port = free_udp_port()
        settings = edge_settings(edge_port, (("127.0.0.1", callee_port),), False)
        edge = start_kamailio(settings, work / "kamailio-ceiling")
        sipp, caller_port = _caller(edge_port, calls, limit)
        ports = [edge_port, caller_port, callee_port]
        return _measure("Kamailio -> SIPp (ceiling)", edge, [], callee, sipp, ports)
    finally:
        if edge is not None:
            edge.stop()
        callee.kill()
        callee.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", default="1,2,3", help="node counts to run, e.g. 1,2,3")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--limit", type=int, default=100, help="calls open at once")
    args = parser.parse_args()
    counts = [int(part) for part in args.nodes.split(",")]
    if not counts or min(counts) < 1:
        sys.exit("--nodes: positive node counts, e.g. 1,2,3")
    if shutil.which("sipp") is None:
        sys.exit("sipp is missing (Debian package sip-tester)")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [nodes_run(count, args.calls, args.limit, Path(tmp)) for count in counts]
        runs.append(ceiling_run(args.calls, args.limit, Path(tmp)))
    base = runs[0].cps
    print(
        f"{'run':30} {'ok':>6} {'failed':>6} {'seconds':>8} {'calls/s':>8} {'ratio':>6} "
        f"{'drops':>6} {'load':>5} {'kam ms':>6} {'PBX ms':>6}  CPU per process (1 core = 100%)"
    )
    for run in runs:
        shares = ", ".join(f"{label} {run.share(label):.0%}" for label in run.cpu)
        total = sum(run.cpu.values()) / run.seconds if run.seconds else 0.0
        print(
            f"{run.name:30} {run.calls_ok:6d} {run.calls_failed:6d} {run.seconds:8.2f} "
            f"{run.cps:8.1f} {run.cps / base if base else 0.0:6.2f} {run.udp_drops:6d} "
            f"{run.load_average:5.1f} {run.ms_per_call('kamailio'):6.2f} "
            f"{run.ms_per_call('node'):6.2f}  {shares}; all {total:.0%}"
        )
    print(
        f"ratio = calls/s / the first run's ({runs[0].name}); load = 1-minute load average "
        f"when the run started, on {os.cpu_count()} CPUs; kam ms / PBX ms = CPU milliseconds "
        "per call of Kamailio (all its processes) / of the PBX nodes together; all = the CPU of "
        "every process of the run together: where it nears the cores of the machine (or what "
        "other load leaves of them), more nodes cannot add calls"
    )


if __name__ == "__main__":
    main()
