"""Fax to e-mail's T.30 part without a network: spandsp's transmitter and receiver (two
`FaxTerminal`s) exchange their audio 20 ms at a time, as a call would carry it; the received
TIFF-F becomes a PDF of its pages. A sender stopping half-way and a caller that is no fax end
without a fax."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cti.fax import FaxRefused, tiff_pages, tiff_to_pdf
from pbx_core.fax.spandsp import FaxTerminal
from pbx_core.media import g711
from tests.components import require_fax_components
from tests.pbx_core.fax_support import fax_tiff
from tests.pbx_core.support import pcm


@pytest.fixture(autouse=True)
def _fax_components() -> None:
    require_fax_components()


BLOCK = 160
SILENCE = bytes(BLOCK * 2)


def exchange(sender: FaxTerminal, receiver: FaxTerminal, blocks: int, *, stop_at: int) -> int:
    """The two machines on one line (G.711 A-law both ways, as the PBX carries it) until both
    reached phase E (the receiver's only, once the sender went silent) or `blocks`; the sender
    goes silent from block `stop_at`."""
    for block in range(blocks):
        said = sender.say(BLOCK) if block < stop_at else SILENCE
        answered = receiver.say(BLOCK)
        receiver.hear(g711.decode(g711.PCMA, g711.encode(g711.PCMA, said)))
        sender.hear(g711.decode(g711.PCMA, g711.encode(g711.PCMA, answered)))
        if receiver.outcome is not None and (sender.outcome is not None or block >= stop_at):
            return block
    return blocks


def test_two_pages_sent_are_received_and_become_a_pdf(tmp_path: Path) -> None:
    sent = fax_tiff(tmp_path / "sent.tif", pages=2)
    sender = FaxTerminal(calling=True, file=sent)
    receiver = FaxTerminal(calling=False, file=tmp_path / "received.tif")
    exchange(sender, receiver, 3000 * 2, stop_at=10**9)  # two minutes of audio at most
    assert receiver.outcome is not None and receiver.outcome.ok, receiver.outcome
    assert sender.outcome is not None and sender.outcome.ok
    assert receiver.negotiated and receiver.pages == 2 and sender.pages == 2
    assert tiff_pages(tmp_path / "received.tif") == 2
    pdf = tiff_to_pdf(tmp_path / "received.tif")
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page ") == 2
    sender.close()
    receiver.close()


def test_a_sender_gone_half_way_ends_the_session_without_success(tmp_path: Path) -> None:
    sender = FaxTerminal(calling=True, file=fax_tiff(tmp_path / "sent.tif", pages=2))
    receiver = FaxTerminal(calling=False, file=tmp_path / "received.tif")
    exchange(sender, receiver, 3000 * 2, stop_at=400)  # 8 s: negotiated, the page under way
    assert receiver.negotiated
    assert receiver.outcome is not None and not receiver.outcome.ok
    assert receiver.outcome.reason  # spandsp's words for the report
    sender.close()
    receiver.close()


def test_a_voice_caller_never_negotiates(tmp_path: Path) -> None:
    receiver = FaxTerminal(calling=False, file=tmp_path / "received.tif")
    tone = pcm([round(6000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(BLOCK)])
    for _ in range(3000):  # a minute of "hello?": the PBX's answer limit is what ends it
        receiver.say(BLOCK)
        receiver.hear(tone)
    assert not receiver.negotiated and receiver.pages == 0
    receiver.close()


def test_no_pages_is_no_pdf(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"II*\0" + b"\xff" * 20)
    assert tiff_pages(junk) == 0 and tiff_pages(tmp_path / "missing.tif") == 0
    with pytest.raises(FaxRefused):
        tiff_to_pdf(junk)
