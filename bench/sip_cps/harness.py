"""What the SIP benchmarks share (`bench/sip_cps.py`, `bench/kamailio_scale.py`): servers
started as `python -m` modules that print READY, SIPp callers at saturation with their output
and CPU, the kernel's drops on the run's sockets, a process's CPU.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def udp_drops(ports: list[int]) -> int:
    """Drops counted by the kernel on the 127.0.0.1 UDP sockets bound to `ports`."""
    wanted = {f"0100007F:{port:04X}" for port in ports}
    total = 0
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] in wanted:
            total += int(fields[-1])
    return total


def start_server(args: list[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    before_ready: list[str] = []
    for line in process.stdout:  # warnings may come first (logged, not fatal)
        if "READY" in line:
            break
        before_ready.append(line)
    else:
        process.kill()
        raise RuntimeError(f"{args[0]} did not start: {''.join(before_ready)}")
    for line in before_ready:
        print(f"[{args[0]}] {line.rstrip()}", file=sys.stderr)
    # Keep reading: a server blocked on a full stdout pipe would stall mid-benchmark.
    drain = threading.Thread(target=_drain, args=(process, args[0]), daemon=True)
    drain.start()
    _drains[process.pid] = drain
    return process


_drains: dict[int, threading.Thread] = {}
_message_counts: dict[int, int] = {}
"""Server pid -> SIP messages received + sent, from the `MESSAGES` line it prints when stopped."""


SERVER_LINES_SHOWN = 30
"""Warnings and errors of a server shown per run (e.g. rtpengine timeouts), not a flood."""


def _drain(process: subprocess.Popen[str], name: str) -> None:
    assert process.stdout is not None
    shown = 0
    for line in process.stdout:
        if line.startswith("MESSAGES "):
            counts = dict(field.split("=") for field in line.split()[1:])
            _message_counts[process.pid] = int(counts["received"]) + int(counts["sent"])
        elif shown < SERVER_LINES_SHOWN and any(
            word in line for word in ("Traceback", "ERROR", "WARNING")
        ):
            shown += 1
            print(f"[{name}] {line.rstrip()}", file=sys.stderr)


def stop(process: subprocess.Popen[str]) -> int:
    """Stops a server; returns the SIP messages it counted (0 if it did not say)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    drain = _drains.pop(process.pid, None)
    if drain is not None:
        drain.join(timeout=5)
    return _message_counts.pop(process.pid, 0)


ERRORS_DIR = Path(tempfile.mkdtemp(prefix="opencc-sip-cps-"))
"""SIPp error traces of this run only."""


def sipp_counts(output: str) -> tuple[int, int]:
    def cumulative(label: str) -> int:
        match = re.search(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", output)
        return int(match.group(1)) if match else 0

    return cumulative("Successful call"), cumulative("Failed call")


def run_sipp(args: list[str]) -> tuple[str, float]:
    """SIPp's output and the CPU seconds it used."""
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(args, stdout=output, stderr=subprocess.DEVNULL, text=True)
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped above: keep Popen from waiting for it again
        output.seek(0)
        return output.read(), usage.ru_utime + usage.ru_stime


SIPP_BUFFER_BYTES = 4 * 1024 * 1024
"""SIPp's socket buffers (the kernel caps them at net.core.rmem_max/wmem_max)."""


def sipp_caller(
    target_port: int, own_port: int, calls: int, limit: int, scenario: list[str]
) -> list[str]:
    return [
        "sipp", f"127.0.0.1:{target_port}", *scenario,
        "-i", "127.0.0.1", "-p", str(own_port), "-buff_size", str(SIPP_BUFFER_BYTES),
        "-r", "5000", "-l", str(limit), "-m", str(calls),
        "-nostdin", "-timeout", "300s", "-max_recv_loops", "10000",
        "-trace_err", "-error_file", str(ERRORS_DIR / f"sipp-{target_port}-errors.log"),
    ]  # fmt: skip
