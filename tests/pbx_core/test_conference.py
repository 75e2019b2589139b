"""The conference mixer and G.711 tables with plain UDP sockets: known frames in, the mix out."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import numpy as np
import pytest

from pbx_core.media import g711, mixer
from pbx_core.media.conference import Conference
from pbx_core.media.mixer import FRAME_SAMPLES
from tests.pbx_core.support import pcm, samples_of

HEADER = struct.Struct("!BBHII")


def _ulaw_value(code: int) -> int:
    """G.711 mu-law decoding, written out from the standard (the pre-audioop tables)."""
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    sample = ((((code & 0x0F) << 3) + 0x84) << exponent) - 0x84
    return -sample if code & 0x80 else sample


def _alaw_value(code: int) -> int:
    """G.711 A-law decoding: segment 0 linear, each further segment twice as coarse."""
    code ^= 0x55
    exponent = (code >> 4) & 0x07
    base = ((code & 0x0F) << 4) + 8
    sample = base if exponent == 0 else (base + 0x100) << (exponent - 1)
    return sample if code & 0x80 else -sample


def test_g711_decodes_every_code_to_its_g711_value() -> None:
    codes = bytes(range(256))
    assert samples_of(g711.decode(g711.PCMU, codes)) == [_ulaw_value(c) for c in codes]
    assert samples_of(g711.decode(g711.PCMA, codes)) == [_alaw_value(c) for c in codes]
    ulaw = samples_of(g711.decode(g711.PCMU, bytes([0xFF, 0x7F, 0x00, 0x80, 0x70])))
    assert ulaw == [0, 0, -32124, 32124, -120]
    alaw = samples_of(g711.decode(g711.PCMA, bytes([0xD5, 0x55, 0xAA, 0x2A])))
    assert alaw == [8, -8, 32256, -32256]


def test_g711_round_trip_and_clip() -> None:
    for payload_type in g711.PAYLOAD_TYPES:
        codes = bytes(range(256))
        back = g711.encode(payload_type, g711.decode(payload_type, codes))
        # μ-law has two zeros (0x7F, 0xFF); everything else comes back as it was.
        assert [c for c, b in zip(codes, back, strict=True) if c != b] in ([], [0x7F])
    assert g711.encode(g711.PCMU, pcm([0, 32767, -32768])) == bytes([0xFF, 0x80, 0x00])
    assert g711.encode(g711.PCMA, pcm([0, 32767, -32768])) == bytes([0xD5, 0xAA, 0x2A])


def test_mixer_tables_are_g711_and_each_listener_gets_its_clipped_sum() -> None:
    every = np.arange(-32768, 32768, dtype=np.int16)
    for payload_type in g711.PAYLOAD_TYPES:
        codes = bytes(range(256))
        assert samples_of(mixer.decode(payload_type, codes).tobytes()) == samples_of(
            g711.decode(payload_type, codes)
        )
        assert mixer.encode(payload_type, every) == g711.encode(payload_type, every.tobytes())
    frames = np.array([[30000, -30000, 5], [10000, -10000, 6], [-20000, 20000, 7]], np.int16)
    names = ("a", "b", "c")
    hears = mixer.hears_matrix(names, names, mixer.everyone_else(names, muted=("c",)))
    mixed = mixer.mix(frames, hears)
    # a hears b (c is muted), b hears a, c hears a + b: clipped once, at the end.
    assert mixed.tolist() == [[10000, -10000, 6], [30000, -30000, 5], [32767, -32768, 11]]
    loud_pair = mixer.mix(frames, mixer.hears_matrix(["x"], names, {"x": names}))
    assert loud_pair.tolist() == [[20000, -20000, 18]], "a loud pair does not clip out a third"


def test_g711_a_law_encoding_is_the_itu_reference() -> None:
    every = list(range(-32768, 32768))
    assert g711.encode(g711.PCMA, pcm(every)) == bytes(map(_g191_alaw, every))


def _g191_alaw(sample: int) -> int:
    """ITU-T G.191 (STL) `alaw_compress`: one's complement for negative samples."""
    magnitude = (~sample if sample < 0 else sample) >> 4
    if magnitude > 15:
        exponent = 1
        while magnitude > 31:
            magnitude >>= 1
            exponent += 1
        magnitude += (exponent - 1) << 4
    return (magnitude | (0x80 if sample >= 0 else 0)) ^ 0x55


@pytest.fixture
def sockets() -> Iterator[dict[str, socket.socket]]:
    made = {}
    for name in ("a", "b", "c"):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(1.0)
        made[name] = sock
    yield made
    for sock in made.values():
        sock.close()


def _frame(payload_type: int, value: int) -> bytes:
    return HEADER.pack(0x80, payload_type, 1, 0, 1234) + g711.encode(
        payload_type, pcm([value] * FRAME_SAMPLES)
    )


def _payloads(sock: socket.socket, seconds: float) -> list[tuple[int, bytes]]:
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = sock.recv(2048)
        except TimeoutError:
            break
        got.append((data[1] & 0x7F, data[12:]))
    return got


def test_listener_gets_the_clipped_sum_of_whom_it_hears(
    sockets: dict[str, socket.socket],
) -> None:
    conference = Conference("127.0.0.1", ("a", "b", "c"))
    try:
        for name, payload_type in (("a", g711.PCMU), ("b", g711.PCMA), ("c", g711.PCMA)):
            conference.connect(name, sockets[name].getsockname(), payload_type)
        conference.set_routes({"a": ("b",), "b": ("a",), "c": ("a", "b")})  # c listens
        conference.start()
        a_value, b_value, c_value = 1000, -3000, 20000
        for _ in range(10):
            sockets["a"].sendto(_frame(g711.PCMU, a_value), conference.address("a"))
            sockets["b"].sendto(_frame(g711.PCMA, b_value), conference.address("b"))
            sockets["c"].sendto(_frame(g711.PCMU, c_value), conference.address("c"))
            time.sleep(0.02)
        heard_by_c = _payloads(sockets["c"], 0.3)
        heard_by_a = _payloads(sockets["a"], 0.1)
    finally:
        conference.close()
    a_decoded = samples_of(g711.decode(g711.PCMU, g711.encode(g711.PCMU, pcm([a_value]))))[0]
    b_decoded = samples_of(g711.decode(g711.PCMA, g711.encode(g711.PCMA, pcm([b_value]))))[0]
    mixed = g711.encode(g711.PCMA, pcm([a_decoded + b_decoded] * FRAME_SAMPLES))
    assert (g711.PCMA, mixed) in heard_by_c, "c must hear a and b mixed, in its own codec"
    only_b = g711.encode(g711.PCMU, pcm([b_decoded] * FRAME_SAMPLES))
    assert heard_by_a, "a gets a steady stream"
    assert all(pt == g711.PCMU for pt, _ in heard_by_a)
    assert only_b in {payload for _, payload in heard_by_a}
    c_in_a = g711.encode(g711.PCMU, pcm([b_decoded + c_value] * FRAME_SAMPLES))
    assert c_in_a not in {payload for _, payload in heard_by_a}, "a must not hear c"


def test_silence_without_talkers_and_events_pass_to_the_pair(
    sockets: dict[str, socket.socket],
) -> None:
    conference = Conference("127.0.0.1", ("a", "b", "c"))
    try:
        for name in ("a", "b"):
            conference.connect(name, sockets[name].getsockname(), g711.PCMU)
        conference.pair_events("a", "b")
        conference.start()
        event = HEADER.pack(0x80, 101, 7, 0, 99) + bytes([5, 0x0A, 0x00, 0xA0])
        sockets["a"].sendto(event, conference.address("a"))
        got = _payloads(sockets["b"], 0.2)
    finally:
        conference.close()
    assert (101, bytes([5, 0x0A, 0x00, 0xA0])) in got, "telephone-event passed through"
    silence = g711.encode(g711.PCMU, pcm([0] * FRAME_SAMPLES))
    assert (g711.PCMU, silence) in got, "no talkers: silence keeps the stream going"


def test_n_way_each_party_hears_the_others_and_parties_join_and_leave() -> None:
    values = {"p1": 100, "p2": 200, "p3": 400, "p4": 800, "late": 1600}
    socks = {}
    for name in values:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.05)
        socks[name] = sock
    conference = Conference("127.0.0.1", ("p1", "p2", "p3", "p4"))
    try:
        for name in ("p1", "p2", "p3", "p4"):
            conference.connect(name, socks[name].getsockname(), g711.PCMA)
        conference.set_routes(mixer.everyone_else(conference.names()))
        conference.start()
        late_address = conference.add("late")  # joins while the mixer runs
        conference.connect("late", socks["late"].getsockname(), g711.PCMA)
        conference.set_routes(mixer.everyone_else(conference.names()))
        heard = _talk_and_listen(conference, socks, values, {"late": late_address})
        conference.remove("p4")
        conference.set_routes(mixer.everyone_else(conference.names() - {"p4"}))
        del values["p4"]
        heard_after = _talk_and_listen(conference, socks, values, {"late": late_address})
    finally:
        conference.close()
        for sock in socks.values():
            sock.close()
    for name in ("p1", "p2", "p3", "p4", "late"):
        others = sum(_alaw(v) for other, v in {**values, "p4": 800}.items() if other != name)
        assert _constant(g711.PCMA, others) in heard[name], f"{name} hears the other four"
    for name in values:
        others = sum(_alaw(v) for other, v in values.items() if other != name)
        assert _constant(g711.PCMA, others) in heard_after[name], f"{name}: p4 left"


def _alaw(value: int) -> int:
    """`value` as it is after A-law coding (what the mixer sums)."""
    return samples_of(g711.decode(g711.PCMA, g711.encode(g711.PCMA, pcm([value]))))[0]


def _constant(payload_type: int, value: int) -> bytes:
    return g711.encode(payload_type, pcm([value] * FRAME_SAMPLES))


def _talk_and_listen(
    conference: Conference,
    socks: dict[str, socket.socket],
    values: dict[str, int],
    addresses: dict[str, tuple[str, int]],
) -> dict[str, set[bytes]]:
    """Each party sends its constant for 0.4 s; the payloads each one got meanwhile."""
    heard: dict[str, set[bytes]] = {name: set() for name in values}
    for _ in range(20):
        for name, value in values.items():
            address = addresses.get(name) or conference.address(name)
            socks[name].sendto(_frame(g711.PCMA, value), address)
        time.sleep(0.02)
    for name in values:  # the sockets' receive buffers hold what came meanwhile
        heard[name] |= {payload for _, payload in _payloads(socks[name], 0.1)}
    return heard
