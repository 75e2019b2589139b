"""Benchmark: one 16-party conference's CPU as a share of one core (goal < 10%).

The PBX's conference mixer (pbx_core/media/conference.py, numpy mixing) runs in a process of
its own; 16 parties send it real G.711 RTP over UDP every 20 ms, each a constant of its own, and
each receives its mix. The mixer process's CPU time (/proc) over the measured window is the
figure. The baseline, measured in the same run the same way: a plain Python RTP relay with the
same sockets and the same 16 streams (each packet passed on to the next party unchanged), the
least any Python media path does per packet. Each party's mix is also checked: it must be the
sum of the other 15.

    .venv/bin/python bench/conference.py [--parties 16] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from pbx_core.media import g711, mixer  # noqa: E402
from pbx_core.media.conference import Conference  # noqa: E402

HEADER = struct.Struct("!BBHII")
WARM_UP_SECONDS = 1.0


def serve(kind: str, parties: int) -> None:
    """The child: a mixer or a relay on 127.0.0.1; prints its ports, reads the parties'
    addresses, runs until stdin closes."""
    names = [f"p{n}" for n in range(parties)]
    if kind == "mixer":
        conference = Conference("127.0.0.1", names)
        print(json.dumps([conference.address(name)[1] for name in names]), flush=True)
        remotes = json.loads(sys.stdin.readline())
        for name, port in zip(names, remotes, strict=True):
            conference.connect(name, ("127.0.0.1", port), g711.PCMU)
        conference.set_routes(mixer.everyone_else(names))
        conference.start()
        sys.stdin.read()
        conference.close()
        return
    socks = []
    selector = selectors.DefaultSelector()
    for index in range(parties):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, index)
        socks.append(sock)
    selector.register(sys.stdin, selectors.EVENT_READ, -1)
    print(json.dumps([sock.getsockname()[1] for sock in socks]), flush=True)
    remotes = json.loads(sys.stdin.readline())
    while True:
        for key, _ in selector.select():
            if key.data == -1:
                return
            index = int(key.data)
            try:
                packet = socks[index].recv(2048)
            except BlockingIOError:
                continue
            following = (index + 1) % parties
            socks[following].sendto(packet, ("127.0.0.1", remotes[following]))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(kind: str, parties: int, seconds: float) -> tuple[float, list[int], list[set[bytes]]]:
    """(CPU share of one core, packets each party received, payloads each received)."""
    socks = []
    for _ in range(parties):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        socks.append(sock)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--parties", str(parties)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    ports = json.loads(child.stdout.readline())
    child.stdin.write(json.dumps([sock.getsockname()[1] for sock in socks]) + "\n")
    child.stdin.flush()
    payloads = [
        g711.encode(g711.PCMU, np.full(mixer.FRAME_SAMPLES, value(n), np.int16).tobytes())
        for n in range(parties)
    ]
    received = [0] * parties
    heard: list[set[bytes]] = [set() for _ in range(parties)]
    start = time.monotonic()
    measuring_from: tuple[float, float] | None = None
    frame = 0
    try:
        while (elapsed := time.monotonic() - start) < WARM_UP_SECONDS + seconds:
            if measuring_from is None and elapsed >= WARM_UP_SECONDS:
                measuring_from = (time.monotonic(), cpu_seconds(child.pid))
                received = [0] * parties
            for n, sock in enumerate(socks):
                header = HEADER.pack(0x80, g711.PCMU, frame & 0xFFFF, frame * 160, 1000 + n)
                sock.sendto(header + payloads[n], ("127.0.0.1", ports[n]))
            frame += 1
            time.sleep(max(0.0, start + frame * 0.02 - time.monotonic()))
            for n, sock in enumerate(socks):
                while True:
                    try:
                        packet = sock.recv(2048)
                    except BlockingIOError:
                        break
                    received[n] += 1
                    heard[n].add(packet[HEADER.size :])
        assert measuring_from is not None
        wall, cpu = time.monotonic() - measuring_from[0], cpu_seconds(child.pid) - measuring_from[1]
        share = cpu / wall
    finally:
        child.stdin.close()
        child.wait(timeout=5)
        for sock in socks:
            sock.close()
    return share, received, heard


def value(party: int) -> int:
    """Party n's constant: small enough that 15 of them never clip."""
    return 50 * (party + 1)


def main(parties: int, seconds: float) -> None:
    relay_share, relay_received, _ = run("relay", parties, seconds)
    mixer_share, mixer_received, heard = run("mixer", parties, seconds)
    decoded = [
        int(mixer.decode(g711.PCMU, g711.encode(g711.PCMU, np.int16(value(n)).tobytes()))[0])
        for n in range(parties)
    ]
    wrong = [
        n
        for n in range(parties)
        if g711.encode(
            g711.PCMU,
            np.full(mixer.FRAME_SAMPLES, sum(decoded) - decoded[n], np.int16).tobytes(),
        )
        not in heard[n]
    ]
    expected = int(seconds / 0.02)
    print(f"{parties} parties, {seconds:.0f} s measured, {expected} packets sent by each")
    print(f"plain RTP relay (baseline): {relay_share:.1%} of one core, {min(relay_received)} min")
    print(
        f"numpy conference mixer:     {mixer_share:.1%} of one core,"
        f" {min(mixer_received)}-{max(mixer_received)} packets received per party"
    )
    print(f"mixer / relay CPU: {mixer_share / relay_share:.2f}x (goal: mixer < 10% of a core)")
    print("every party heard the sum of the others" if not wrong else f"WRONG MIX for {wrong}")
    if wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parties", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve", choices=("mixer", "relay"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.parties)
    else:
        main(args.parties, args.seconds)
