"""Turn an rtpengine pcap recording (link type 101: raw IP) into a stereo 8 kHz WAV.

Each direction of the call (one RTP source address) becomes one channel, placed by the pcap
arrival time, so gaps (hold, silence suppression) stay gaps. G.711 mu-law and A-law are
decoded here; other payloads (telephone-event, unknown codecs) are skipped.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path

from pbx_core.media import g711

SAMPLE_RATE = 8000
LINKTYPE_RAW = 101
LINKTYPE_ETHERNET = 1


@dataclass
class Channel:
    pcm: bytearray = field(default_factory=bytearray)
    """Linear PCM (`g711`) from the call's first packet on; zeros (silence) where none came."""

    def place(self, offset: int, pcm: bytes) -> None:
        """Write `pcm` from sample `offset` on (a later packet overwrites an earlier one's
        samples); samples before the call's first packet are dropped."""
        start = offset * g711.SAMPLE_WIDTH
        if start < 0:
            pcm, start = pcm[-start:], 0
        if not pcm:
            return
        end = start + len(pcm)
        if end > len(self.pcm):
            self.pcm.extend(bytes(end - len(self.pcm)))
        self.pcm[start:end] = pcm


def _packets(data: bytes) -> tuple[int, list[tuple[float, bytes]]]:
    if len(data) < 24:
        raise ValueError("not a pcap file")
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    packets: list[tuple[float, bytes]] = []
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _origlen = struct.unpack(endian + "IIII", data[pos : pos + 16])
        pos += 16
        packets.append((sec + frac / (1e9 if nano else 1e6), data[pos : pos + caplen]))
        pos += caplen
    return linktype, packets


def _rtp_of(frame: bytes, linktype: int) -> tuple[tuple[bytes, int], int, bytes] | None:
    """(source address, payload type, payload) of an RTP-over-UDP-over-IPv4 frame."""
    if linktype == LINKTYPE_ETHERNET:
        frame = frame[14:]
    elif linktype != LINKTYPE_RAW:
        return None
    if len(frame) < 20 or frame[0] >> 4 != 4 or frame[9] != 17:
        return None
    ihl = (frame[0] & 0x0F) * 4
    udp = frame[ihl:]
    if len(udp) < 8 + 12:
        return None
    source = (frame[12:16], struct.unpack("!H", udp[0:2])[0])
    rtp = udp[8:]
    if rtp[0] >> 6 != 2:
        return None
    csrc_count = rtp[0] & 0x0F
    header = 12 + 4 * csrc_count
    if rtp[0] & 0x10 and len(rtp) >= header + 4:  # header extension
        header += 4 + 4 * struct.unpack("!H", rtp[header + 2 : header + 4])[0]
    payload = rtp[header:]
    if rtp[0] & 0x20 and payload:  # padding
        payload = payload[: -payload[-1]]
    return source, rtp[1] & 0x7F, payload


def convert(pcap_path: Path, wav_path: Path) -> int:
    """Write the WAV; returns its length in samples per channel."""
    linktype, packets = _packets(pcap_path.read_bytes())
    channels: dict[tuple[bytes, int], Channel] = {}
    start: float | None = None
    for when, frame in packets:
        parsed = _rtp_of(frame, linktype)
        if parsed is None:
            continue
        source, payload_type, payload = parsed
        if payload_type not in g711.PAYLOAD_TYPES:
            continue
        if source not in channels:
            if len(channels) == 2:
                continue  # a stereo file holds the two parties; extra sources are dropped
            channels[source] = Channel()
        if start is None:
            start = when
        offset = round((when - start) * SAMPLE_RATE)
        channels[source].place(offset, g711.decode(payload_type, payload))
    length = max((len(channel.pcm) for channel in channels.values()), default=0)
    lanes = [bytes(c.pcm.ljust(length, b"\0")) for c in channels.values()]
    lanes += [bytes(length)] * (2 - len(lanes))
    frames = g711.stereo_wav_frames(lanes[0], lanes[1])
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(wav_path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(g711.SAMPLE_WIDTH)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)
    return length // g711.SAMPLE_WIDTH
