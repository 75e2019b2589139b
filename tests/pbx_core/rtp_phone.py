"""A test phone's audio: sends a PCMU tone and records what it hears, for checking who hears whom.

Each phone plays one sine at a multiple of 50 Hz (a whole number of cycles per 20 ms frame), so
the tone's level in any received frame is read exactly with one Goertzel bin. Its media address
goes into the SIPp phone's SDP (`media_port`); it sends to wherever audio last came from
(symmetric RTP), which follows rtpengine and the PBX's mixer without parsing SDP.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import socket
import struct
from typing import Self

from pbx_core.media import g711
from tests.pbx_core.support import pcm, samples_of

FRAME = 160
RTP_HEADER = struct.Struct("!BBHII")


def tone_frame(frequency: float, amplitude: int = 6000) -> bytes:
    wave = [round(amplitude * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(FRAME)]
    return g711.encode(g711.PCMU, pcm(wave))


def level(samples: list[int], frequency: float) -> float:
    """Amplitude of `frequency` in a frame (Goertzel)."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / 8000)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous * previous + before * before - coefficient * previous * before
    return 2 * math.sqrt(max(power, 0.0)) / len(samples)


class RtpPhone:
    def __init__(self, frequency: float | None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        self._frame = tone_frame(frequency) if frequency is not None else None
        self.peer: tuple[str, int] | None = None
        self.received: list[tuple[float, list[int]]] = []
        """(arrival time, decoded samples) of every G.711 packet."""
        self.packets: list[tuple[float, tuple[str, int]]] = []
        """Arrival time and source of every packet."""
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> Self:
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._talk())]
        return self

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.sock.close()

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data, source = await loop.sock_recvfrom(self.sock, 2048)
            now = loop.time()
            self.packets.append((now, source))
            self.peer = source
            payload_type = data[1] & 0x7F
            if len(data) > 12 and payload_type in g711.PAYLOAD_TYPES:
                self.hear(now, g711.decode(payload_type, data[12:]))

    def hear(self, now: float, pcm: bytes) -> None:
        """A G.711 packet's audio arrived (a subclass may listen otherwise: a fax machine)."""
        self.received.append((now, samples_of(pcm)))

    def say(self) -> bytes | None:
        """The next 20 ms to send, PCMU (None: nothing); asked once a peer is known."""
        return self._frame

    async def _talk(self) -> None:
        loop = asyncio.get_running_loop()
        ssrc, sequence, timestamp = secrets.randbits(32), 0, 0
        next_send = loop.time()
        while True:
            # A steady 50 packets/s like a phone's clock, not 20 ms plus the loop's delays.
            next_send += 0.02
            await asyncio.sleep(max(0.0, next_send - loop.time()))
            frame = self.say() if self.peer is not None else None
            if frame is None or self.peer is None:
                continue
            header = RTP_HEADER.pack(0x80, g711.PCMU, sequence, timestamp, ssrc)
            with contextlib.suppress(OSError):
                await loop.sock_sendto(self.sock, header + frame, self.peer)
            sequence, timestamp = (sequence + 1) & 0xFFFF, timestamp + FRAME

    def speak(self, frequency: float | None) -> None:
        """From now on send `frequency` (None: silence), as a user starting or stopping talking."""
        self._frame = tone_frame(frequency) if frequency is not None else None

    def sources(self, since: float) -> set[tuple[str, int]]:
        return {source for at, source in self.packets if at >= since}

    def share(self, frequency: float, since: float) -> float:
        """Share of the frames received since `since` in which `frequency` is clearly there."""
        frames = [samples for at, samples in self.received if at >= since and len(samples) == FRAME]
        if not frames:
            return 0.0
        return sum(level(samples, frequency) > 1500 for samples in frames) / len(frames)

    async def wait_to_hear(self, frequency: float, timeout: float = 5.0) -> None:
        """Until most of 10 consecutive frames carry `frequency`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            recent = [samples for _, samples in self.received[-10:]]
            if len(recent) == 10 and sum(level(s, frequency) > 1500 for s in recent) >= 8:
                return
            await asyncio.sleep(0.05)
        heard = self.share(frequency, loop.time() - 1.0)
        raise AssertionError(f"{frequency} Hz not heard (share in the last second {heard:.2f})")
