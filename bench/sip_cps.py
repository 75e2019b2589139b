"""SIP calls per second through the PBX (extension to extension), as a ratio to a bare sippy UAS
measured in the same run, with the CPU each server used.

Both runs use SIPp as the caller with at most `--limit` calls open at once and as many calls as
the server takes (`-r` set far above what either can do), so the figure is each server's
throughput. The PBX run is the full path: digest-authenticated INVITE (401, retry), location
lookup in Redis, B2BUA second leg to a SIPp UAS, BYE through both legs.

The second leg is answered by SIPp with `sip_cps/uas_answer.xml` (a phone that answers a
retransmitted INVITE again, where SIPp's built-in `uas` aborted the call). Each run also reports
SIPp's CPU (it shares the cores), the datagrams the kernel dropped on the run's SIP sockets,
the calls the called phone aborted, and the load average when it started.

Run: `python bench/sip_cps.py [--calls 3000] [--limit 100] [--media] [--waiters 525] [--trunk]`
(`--trunk`: also 1001 dialling 0201234567 out through a carrier trunk that challenges with
digest, `sip_cps/uas_carrier_digest.xml`, and its ratio to the extension-to-extension run).
(`--media` also runs extension calls anchored in a private rtpengine, and trunk -> queue ->
agent calls: the application answers, rings an agent and bridges; `--waiters N` puts N trunk
callers on music on hold at once and counts how many of them receive RTP; `--beside-cps` makes
the extension-to-extension run again while they wait and counts, each second, how many hear
music, issue 20.5).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
from pbx_core.media.prompts import generate_all  # noqa: E402
from pbx_core.media.rtpengine_process import free_udp_port, start_rtpengine  # noqa: E402


@dataclass
class Run:
    name: str
    calls_ok: int
    calls_failed: int
    seconds: float
    server_cpu_seconds: float
    load_average: float
    """1-minute load average when the run started (the machine is shared)."""
    udp_drops: int
    """Datagrams the kernel dropped on the run's SIP sockets (full receive buffers)."""
    sipp_cpu_seconds: float
    """SIPp's CPU (caller, and the called phone of PBX runs): the cores are shared with it."""
    callee_errors: int = 0
    """Calls the SIPp phone answering the PBX's second leg gave up on."""
    messages: int = 0
    """SIP datagrams the server received and sent in the run (its own counters)."""

    @property
    def cps(self) -> float:
        return self.calls_ok / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.server_cpu_seconds / self.calls_ok if self.calls_ok else 0.0

    @property
    def calls_per_cpu_second(self) -> float:
        """Throughput one fully used core would give: steadier than calls/s on a shared machine."""
        return self.calls_ok / self.server_cpu_seconds if self.server_cpu_seconds else 0.0

    @property
    def messages_per_call(self) -> float:
        return self.messages / self.calls_ok if self.calls_ok else 0.0

    @property
    def cpu_share(self) -> float:
        """Cores the server kept busy on average (1.0 = one core)."""
        return self.server_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def sipp_cpu_share(self) -> float:
        return self.sipp_cpu_seconds / self.seconds if self.seconds else 0.0


def run_caller(
    name: str,
    server: subprocess.Popen[str],
    sipp_args: list[str],
    ports: list[int],
    callee: subprocess.Popen[bytes] | None = None,
    callee_errors: Path | None = None,
) -> Run:
    """`ports`: every SIP socket of the run (server, SIPp caller and callee), for the drops."""
    load = os.getloadavg()[0]
    drops_before = udp_drops(ports)
    cpu_before = cpu_seconds(server.pid)
    callee_cpu_before = cpu_seconds(callee.pid) if callee is not None else 0.0
    started = time.perf_counter()
    output, sipp_cpu = run_sipp(sipp_args)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(server.pid) - cpu_before
    if callee is not None:
        sipp_cpu += cpu_seconds(callee.pid) - callee_cpu_before
    drops = udp_drops(ports) - drops_before
    ok, failed = sipp_counts(output)
    if failed:
        for log in sorted(ERRORS_DIR.glob(f"sipp-{sipp_args[1].rsplit(':', 1)[1]}-errors.log")):
            print(f"{name}: first SIPp errors ({log.name}):")
            print(log.read_text(errors="replace")[:1200])
    aborted = 0
    if callee_errors is not None and callee_errors.exists():
        text = callee_errors.read_text(errors="replace")
        # Not counted: "unexpected CANCEL" (and the BYE after it), the caller hanging up while
        # the phone still rang (queue runs hang up as soon as the PBX answers).
        aborted = text.count("Aborting call on unexpected message")
        if aborted:
            print(f"{name}: the called SIPp phone aborted {aborted} calls, first:")
            print(text[text.index("Aborting call on unexpected message") :][:1200])
    return Run(name, ok, failed, seconds, cpu, load, drops, sipp_cpu, aborted)


def bare_run(calls: int, limit: int) -> Run:
    port, caller_port = free_udp_port(), free_udp_port()
    server = start_server(["bench.sip_cps.bare_uas", str(port)])
    try:
        sipp = sipp_caller(port, caller_port, calls, limit, ["-sn", "uac"])
        run = run_caller("bare sippy UAS", server, sipp, [port, caller_port])
    finally:
        messages = stop(server)
    run.messages = messages
    return run


def pbx_run(
    calls: int, limit: int, media: bool, work: Path, queue: bool = False, trunk: bool = False
) -> Run:
    """Extension to extension (digest auth), or with `queue` a trunk call to 7001 that the
    application answers, rings 1002 for and bridges (needs media), or with `trunk` 1001 dialling
    0201234567 out through a carrier trunk that challenges with digest (docs/trunks.md)."""
    callee_port = free_udp_port()
    callee_errors = ERRORS_DIR / f"sipp-callee-{callee_port}-errors.log"
    callee_scenario = "uas_carrier_digest.xml" if trunk else "uas_answer.xml"
    callee = subprocess.Popen(
        [
            "sipp", "-sf", str(SCENARIOS / callee_scenario),
            "-i", "127.0.0.1", "-p", str(callee_port), "-buff_size", str(SIPP_BUFFER_BYTES),
            "-nostdin", "-max_recv_loops", "10000", "-trace_err", "-error_file", str(callee_errors),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    rtpengine = None
    server = None
    try:
        # Everything started so far is stopped in `finally`, also when a later start fails.
        rtpengine = start_rtpengine(work / "rtpengine") if media else None
        port = free_udp_port()
        prefix = f"bench-sip-cps-{uuid.uuid4().hex[:8]}:"
        node_args = [
            "bench.sip_cps.pbx_node", "--port", str(port), "--callee-port", str(callee_port),
            "--prefix", prefix, "--handler", "queue" if queue else "none",
        ]  # fmt: skip
        if rtpengine is not None:
            node_args += ["--ng-port", str(rtpengine.ng_port)]
        if trunk:
            node_args += ["--carrier-port", str(callee_port)]
        server = start_server(node_args)
        if queue:
            scenario = [
                "-sf", str(SCENARIOS / "uac_trunk_wait.xml"),
                "-set", "from", "+31201234567", "-set", "to", "7001", "-set", "media_port", "9",
                "-set", "hold_ms", "0",
            ]  # fmt: skip
            name = "PBX trunk->queue->agent + rtpengine"
        else:
            scenario = [
                "-sf", str(SCENARIOS / "uac_auth.xml"),
                "-set", "from", "1001", "-set", "to", "0201234567" if trunk else "1002",
                "-set", "media_port", "9", "-au", "1001", "-ap", "pw1001",
                # The digest uri is the Request-URI, as the PBX checks (SIPp's default is not).
                "-auth_uri", f"{'0201234567' if trunk else '1002'}@127.0.0.1:{port}",
            ]  # fmt: skip
            name = "PBX ext->" + ("trunk (digest)" if trunk else "ext")
            name += " + rtpengine" if media else ""
        caller_port = free_udp_port()
        sipp = sipp_caller(port, caller_port, calls, limit, scenario)
        ports = [port, caller_port, callee_port]
        run = run_caller(name, server, sipp, ports, callee, callee_errors)
        run.messages = stop(server)
        server = None
        return run
    finally:
        if server is not None:
            stop(server)
        callee.kill()
        callee.wait()
        if rtpengine is not None:
            rtpengine.stop()


@dataclass
class WaitersRun:
    waiters: int
    hearing_rtp: int
    packets_per_second: float
    calls_ok: int
    calls_failed: int
    pbx_cpu_share: float
    rtpengine_cpu_share: float
    beside: Run | None = None
    """The extension-to-extension run made while the callers waited (`--beside-cps`)."""
    fewest_hearing_beside: int | None = None
    """The fewest callers receiving RTP in any second of that run."""


class RtpCounter:
    """One UDP port all callers' SDP points to; counts packets per RTP source (SSRC)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.last_seen: dict[int, float] = {}
        self.packets = 0
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buffer = bytearray(2048)
        while self._running:
            try:
                size = self.sock.recv_into(buffer)
            except TimeoutError:
                continue
            if size > 12 and buffer[0] >> 6 == 2:
                self.packets += 1
                self.last_seen[int.from_bytes(buffer[8:12], "big")] = time.monotonic()

    def active(self, within: float = 3.0) -> int:
        now = time.monotonic()
        return sum(1 for seen in list(self.last_seen.values()) if now - seen <= within)

    def close(self) -> None:
        self._running = False
        self._thread.join()
        self.sock.close()


BESIDE_SECONDS = 90
"""How long the waiters stay for a run beside them (issue 20.5: music for 525 of 525 waiters
while the CPS benchmark runs); sampled only while that run goes on."""


def waiters_run(waiters: int, work: Path, beside: Callable[[], Run] | None = None) -> WaitersRun:
    """N callers to 7003 (Premium, 525 waiters), answered with music on hold, all at once; with
    `beside`, that run is made while they wait, counting each second how many hear music."""
    generate_all(work / "prompts")
    rtpengine = start_rtpengine(work / "rtpengine-waiters", port_range=(30000, 39998))
    port = free_udp_port()
    prefix = f"bench-waiters-{uuid.uuid4().hex[:8]}:"
    node = start_server(
        [
            "bench.sip_cps.pbx_node", "--port", str(port), "--prefix", prefix,
            "--ng-port", str(rtpengine.ng_port), "--prompts", str(work / "prompts"),
            "--handler", "moh",
        ]
    )  # fmt: skip
    counter = RtpCounter()
    rate, hold_ms = 50, 8000
    ramp = waiters / rate
    wait_ms = round(ramp * 1000) + hold_ms  # the first caller stays until the last has waited
    if beside is not None:
        wait_ms += BESIDE_SECONDS * 1000
    caller = subprocess.Popen(
        [
            "sipp", f"127.0.0.1:{port}", "-sf", str(SCENARIOS / "uac_trunk_wait.xml"),
            "-set", "from", "+31201234567", "-set", "to", "7003",
            "-set", "media_port", str(counter.port), "-set", "hold_ms", str(wait_ms),
            "-i", "127.0.0.1", "-p", str(free_udp_port()),
            "-r", str(rate), "-l", str(waiters + 10), "-m", str(waiters),
            "-nostdin", "-timeout", "600s", "-max_recv_loops", "10000",
            "-trace_err", "-error_file", str(work / "waiters-sipp-errors.log"),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        time.sleep(ramp + 2)  # every caller is in and has heard the music start
        cpu_node, cpu_rtp = cpu_seconds(node.pid), cpu_seconds(rtpengine.process.pid)
        started, packets_before = time.perf_counter(), counter.packets
        time.sleep(hold_ms / 1000 / 2)
        hearing = counter.active()
        seconds = time.perf_counter() - started
        packet_rate = (counter.packets - packets_before) / seconds
        node_share = (cpu_seconds(node.pid) - cpu_node) / seconds
        rtp_share = (cpu_seconds(rtpengine.process.pid) - cpu_rtp) / seconds
        beside_run, fewest = (
            _beside(beside, counter, BESIDE_SECONDS - 5) if beside else (None, None)
        )
        output = caller.communicate(timeout=600)[0]
    finally:
        caller.kill()
        counter.close()
        stop(node)
        rtpengine.stop()
    ok, failed = sipp_counts(output)
    errors = work / "waiters-sipp-errors.log"
    if failed and errors.exists():
        print("first SIPp errors:", errors.read_text(errors="replace")[:1500])
    return WaitersRun(
        waiters, hearing, packet_rate, ok, failed, node_share, rtp_share, beside_run, fewest
    )


def _beside(run: Callable[[], Run], counter: RtpCounter, seconds: float) -> tuple[Run, int]:
    """`run` in a thread while the waiters wait; the fewest of them hearing music per second
    (counted from the second second on: each count looks 3 s back)."""
    done: list[Run] = []
    thread = threading.Thread(target=lambda: done.append(run()), daemon=True)
    thread.start()
    fewest = counter.active()
    deadline = time.monotonic() + seconds
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(1.0)
        fewest = min(fewest, counter.active())
    thread.join(timeout=max(deadline - time.monotonic(), 0.0))
    if not done:
        raise RuntimeError(f"the run beside the waiters took more than {seconds} s")
    return done[0], fewest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--limit", type=int, default=100, help="calls open at once")
    parser.add_argument("--media", action="store_true", help="also run with rtpengine anchoring")
    parser.add_argument("--waiters", type=int, default=0, help="callers on music on hold at once")
    parser.add_argument(
        "--beside-cps", action="store_true",
        help="with --waiters: the extension-to-extension run again while they wait",
    )  # fmt: skip
    parser.add_argument(
        "--trunk", action="store_true", help="also 1001 dialling out through a digest trunk"
    )
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        sys.exit("sipp is missing (Debian package sip-tester)")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [bare_run(args.calls, args.limit), pbx_run(args.calls, args.limit, False, Path(tmp))]
        if args.trunk:
            runs.append(pbx_run(args.calls, args.limit, False, Path(tmp), trunk=True))
        if args.media:
            runs.append(pbx_run(args.calls, args.limit, True, Path(tmp)))
            runs.append(pbx_run(args.calls, args.limit, True, Path(tmp), queue=True))
        beside = (
            (lambda: pbx_run(args.calls, args.limit, False, Path(tmp))) if args.beside_cps else None
        )
        waiting = waiters_run(args.waiters, Path(tmp), beside) if args.waiters else None
    base, base_cpu = runs[0].cps, runs[0].calls_per_cpu_second
    print(
        f"{'run':36} {'ok':>6} {'failed':>6} {'seconds':>8} {'calls/s':>8} {'ratio':>6} "
        f"{'CPU':>5} {'ms CPU/call':>11} {'calls/CPU-s':>11} {'ratio':>6} {'SIPp':>5} "
        f"{'drops':>6} {'load':>5} {'msgs/call':>9} {'us CPU/msg':>10}"
    )
    for run in runs:
        ratio = run.cps / base if base else 0.0
        cpu_ratio = run.calls_per_cpu_second / base_cpu if base_cpu else 0.0
        print(
            f"{run.name:36} {run.calls_ok:6d} {run.calls_failed:6d} {run.seconds:8.2f} "
            f"{run.cps:8.1f} {ratio:6.2f} {run.cpu_share:5.0%} {run.cpu_ms_per_call:11.2f} "
            f"{run.calls_per_cpu_second:11.1f} {cpu_ratio:6.2f} {run.sipp_cpu_share:5.0%} "
            f"{run.udp_drops:6d} {run.load_average:5.1f} {run.messages_per_call:9.1f} "
            f"{1000 * run.cpu_ms_per_call / run.messages_per_call if run.messages else 0:10.1f}"
        )
        if run.callee_errors:
            print(f"{'':36} the called phone aborted {run.callee_errors} calls")
    print(
        "CPU = server process CPU time / wall time (1 core = 100%), SIPp not counted;\n"
        "SIPp = the SIPp processes' CPU the same way (caller, and the called phone);\n"
        "calls/CPU-s = calls per second of server CPU (what one saturated core would do);\n"
        "drops = datagrams dropped by full receive buffers on the run's SIP sockets;\n"
        "load = 1-minute load average when the run started;\n"
        "msgs/call = SIP datagrams the server received + sent per call (its own counters)."
    )
    pbx = runs[1]
    if base and pbx.messages and runs[0].messages:
        # At the bare UAS's cost per message, the PBX's ratio could be at most this.
        ceiling = runs[0].messages_per_call / pbx.messages_per_call
        print(
            f"message ceiling: the PBX handles {pbx.messages_per_call:.1f} messages per call"
            f" where the bare UAS handles {runs[0].messages_per_call:.1f}: at equal cost per"
            f" message its ratio could be at most {ceiling:.2f}"
        )
    if args.trunk:
        outbound = runs[2]
        per_second = outbound.cps / pbx.cps if pbx.cps else 0.0
        per_cpu = pbx.calls_per_cpu_second
        per_cpu = outbound.calls_per_cpu_second / per_cpu if per_cpu else 0.0
        print(
            f"trunk / extension: {per_second:.2f} calls/s, {per_cpu:.2f} calls per CPU-second"
            " (issue 15's goal: >= 0.9, 0 failed)"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if waiting is not None:
        print(
            f"waiters: {waiting.waiters} callers on music on hold at once, "
            f"{waiting.hearing_rtp} receiving RTP (distinct streams in the last 3 s; "
            f"{waiting.packets_per_second:.0f} packets/s received, 50/s per caller sent), "
            f"calls ok {waiting.calls_ok} / failed {waiting.calls_failed}; "
            f"CPU: PBX {waiting.pbx_cpu_share:.0%}, rtpengine {waiting.rtpengine_cpu_share:.0%}"
        )
        if waiting.beside is not None:
            alone = runs[1].cps
            print(
                f"beside the waiters: extension calls {waiting.beside.cps:.1f}/s "
                f"({waiting.beside.calls_ok} ok, {waiting.beside.calls_failed} failed; "
                f"{waiting.beside.cps / alone if alone else 0:.2f} of the run without them), "
                f"fewest waiters receiving RTP in any second: {waiting.fewest_hearing_beside} "
                f"of {waiting.waiters}"
            )


if __name__ == "__main__":
    main()
