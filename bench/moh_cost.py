"""Benchmark: the CPU rtpengine spends on music on hold, per waiter (issue 20.5).

Starts a private rtpengine as the product does, opens N call sessions through the ng protocol
(the callers' and the far side's RTP go to UDP sinks of this process, which count what arrives),
starts music on hold toward every caller as the PBX does (`play media`, the loop repeated), and
measures rtpengine's CPU (utime + stime from /proc) over a window, against the same sessions
without music measured in the same run. Variants of the music source are measured side by side:

- `pcm16`: the loop as 16-bit PCM 8 kHz, what the product played before;
- `mulaw`: the product's music on hold before: a 12 s loop pre-encoded as G.711 mu-law (the
  callers' codec);
- `mulaw-pcma`: the same file to callers who offer only PCMA (rtpengine transcodes mu-law to
  A-law);
- `ptime-60`: the 16-bit loop with the callers offered `a=ptime:60` (a third of the packets);
- `long-loop`: the 16-bit loop ten times over in one file (rtpengine reopens it at each repeat);
- `mulaw-long`: the product's `music_on_hold.wav` now: the mu-law loop
  `MUSIC_ON_HOLD_SECONDS` long.

Besides the CPU while the music plays, each variant prints the CPU rtpengine spends per session
to set it up and start the player, which callers arriving at 20 a second pay 20 times a second.

    .venv/bin/python bench/moh_cost.py [--waiters 525] [--seconds 10]

Prints % of one core per variant, per waiter, the ratio to today's, and the share of the
expected packets the sinks received (every waiter hears music when that is ~100%).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pbx_core.media.ng_client import NgClient  # noqa: E402
from pbx_core.media.prompts import MUSIC_ON_HOLD, generate_all, generate_music_on_hold  # noqa: E402
from pbx_core.media.rtpengine_process import RtpengineProcess, start_rtpengine  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PACKETS_PER_SECOND_20MS = 50


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class Sink:
    """A UDP port that counts datagrams (the callers' phones)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.packets = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                self.sock.recv(2048)
            except TimeoutError:
                continue
            self.packets += 1

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


PCMU, PCMA = (0, "PCMU"), (8, "PCMA")


def sdp(port: int, ptime: int | None, codec: tuple[int, str] = PCMU) -> str:
    lines = [
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        f"m=audio {port} RTP/AVP {codec[0]} 101",
        f"a=rtpmap:{codec[0]} {codec[1]}/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=sendrecv",
    ]
    if ptime is not None:
        lines.append(f"a=ptime:{ptime}")
    return "\r\n".join(lines) + "\r\n"


def measure(
    rtpengine: RtpengineProcess,
    waiters: int,
    seconds: float,
    music: Path | None,
    ptime: int | None,
    label: str,
    codec: tuple[int, str] = PCMU,
) -> tuple[float, float]:
    """(% of one core, share of expected packets received) for `waiters` sessions."""
    ng = NgClient(rtpengine.host, rtpengine.ng_port, timeout=2.0, retries=1)
    callers, far = Sink(), Sink()
    calls = [f"moh-{label}-{i}" for i in range(waiters)]
    try:
        setup_cpu = cpu_seconds(rtpengine.process.pid)
        for call_id in calls:
            offer = ng.offer(call_id, "caller", sdp(callers.port, ptime, codec))
            del offer  # the PBX would answer the caller with it; the bench needs no SIP
            ng.answer(call_id, "caller", "pbx", sdp(far.port, ptime, codec))
            if music is not None:
                ng.play_media(call_id, "caller", str(music), repeat_times=10_000)
        setup_cpu = cpu_seconds(rtpengine.process.pid) - setup_cpu
        print(f"  {label}: {setup_cpu / waiters * 1000:.2f} ms CPU per session to set up and start")
        time.sleep(1.0)  # the players' start-up, outside the window
        before_cpu, before_packets = cpu_seconds(rtpengine.process.pid), callers.packets
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        cpu = (cpu_seconds(rtpengine.process.pid) - before_cpu) / elapsed * 100
        packets_per_second = PACKETS_PER_SECOND_20MS * 20 / (ptime or 20)
        expected = waiters * packets_per_second * elapsed if music is not None else 0
        received = (callers.packets - before_packets) / expected if expected else 1.0
        return cpu, received
    finally:
        for call_id in calls:
            ng.delete(call_id)
        ng.close()
        callers.close()
        far.close()


def pcm16_copy(source: Path, target: Path) -> Path:
    subprocess.run(["sox", str(source), "-e", "signed-integer", "-b", "16", str(target)],
                   check=True)  # fmt: skip
    return target


def repeated(source: Path, target: Path, times: int) -> Path:
    """The loop `times` over in one file: rtpengine opens and decodes the file again at each
    repeat."""
    subprocess.run(["sox", str(source), str(target), "repeat", str(times - 1)], check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiters", type=int, default=525)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="only these (the first: the base)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        prompts = work / "prompts"
        generate_all(prompts)
        long_mulaw = prompts / f"{MUSIC_ON_HOLD}.wav"
        mulaw = work / "moh_12s.wav"
        generate_music_on_hold(mulaw, seconds=12)
        pcm16 = pcm16_copy(mulaw, work / "moh_pcm16.wav")
        long = repeated(pcm16, work / "moh_long.wav", 10)
        # 4 ports per session (two legs, RTP and RTCP): more than the product's default window.
        base = 20000 + os.getpid() % 20 * 1000
        rtpengine = start_rtpengine(work / "rtpengine", port_range=(base, base + 9998))
        try:
            idle, _ = measure(rtpengine, args.waiters, args.seconds, None, None, "idle")
            print(f"{args.waiters} sessions, no music: rtpengine {idle:.1f}% of a core")
            variants = [
                ("pcm16", pcm16, None, PCMU),
                ("mulaw", mulaw, None, PCMU),
                ("mulaw-pcma", mulaw, None, PCMA),
                ("ptime-60", pcm16, 60, PCMU),
                ("long-loop", long, None, PCMU),
                ("mulaw-long", long_mulaw, None, PCMU),
            ]
            if args.only:
                variants = [v for name in args.only for v in variants if v[0] == name]
            # Twice each, interleaved: the machine is shared, its load changes from run to run.
            results: dict[str, list[tuple[float, float]]] = {v[0]: [] for v in variants}
            for _round in range(args.rounds):
                for label, music, ptime, codec in variants:
                    results[label].append(
                        measure(rtpengine, args.waiters, args.seconds, music, ptime, label, codec)
                    )
            today = min(cpu for cpu, _ in results[variants[0][0]])
            for label, runs in results.items():
                cpu = min(c for c, _ in runs)  # the least disturbed run
                received = min(r for _, r in runs)
                print(
                    f"{label:10s} rtpengine {cpu:5.1f}% of a core (runs: "
                    f"{', '.join(f'{c:.1f}' for c, _ in runs)}), "
                    f"{cpu / args.waiters * 1000:.1f} milli-% per waiter, "
                    f"ratio to today {cpu / today:.2f}, packets received {received:.1%}"
                )
        finally:
            rtpengine.stop()


if __name__ == "__main__":
    main()
