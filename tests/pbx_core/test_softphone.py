"""A real softphone (baresip) registers with digest auth, is offered a trunk call, auto-answers,
and its audio reaches the caller through rtpengine after the bridge."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.media import g711
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import EventLog, free_sip_port, samples_of, trunk_caller

EXTENSION = "1009"


def longest_tone_run(payloads: list[bytes]) -> int:
    """Most consecutive 20 ms PCMU packets that look like a 1 kHz tone (about 40 zero
    crossings in 160 samples)."""
    best = run = 0
    for payload in payloads:
        samples = samples_of(g711.decode(g711.PCMU, payload))
        crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
        run = run + 1 if len(samples) == 160 and 36 <= crossings <= 44 else 0
        best = max(best, run)
    return best


def _tone(path: Path) -> Path:
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            str(path),
            "synth",
            "10",
            "sine",
            "1000",
        ],
        check=True,
    )
    return path


def _baresip_config(directory: Path, pbx_port: int, voice: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config").write_text(
        "poll_method epoll\n"
        # baresip listens over UDP and TCP alike on its SIP port
        f"sip_listen 127.0.0.1:{free_sip_port()}\n"
        f"audio_player aufile,{directory / 'heard.wav'}\n"
        f"audio_source aufile,{voice}\n"  # the agent's voice: a prompt, read in a loop
        f"audio_alert aufile,{directory / 'alert.wav'}\n"
        "audio_srate 8000\naudio_channels 1\n"
        "module_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n"
    )
    (directory / "accounts").write_text(
        f"<sip:{EXTENSION}@127.0.0.1:{pbx_port}>;auth_pass=pw{EXTENSION};"
        "answermode=auto;regint=300\n"
    )


async def test_baresip_registers_answers_and_talks(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    if shutil.which("baresip") is None:
        pytest.fail("baresip is missing: install the Debian packages in the Makefile")
    _baresip_config(tmp_path / "baresip", pbx.config.sip_port, _tone(tmp_path / "tone.wav"))
    phone = subprocess.Popen(
        ["baresip", "-f", str(tmp_path / "baresip")],
        stdin=subprocess.DEVNULL,
        stdout=(tmp_path / "baresip.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    payloads: list[bytes] = []

    async def listen() -> None:
        loop = asyncio.get_running_loop()
        while True:
            packet = await loop.sock_recv(media, 2048)
            if len(packet) > 12 and packet[0] >> 6 == 2 and packet[1] & 0x7F == 0:
                payloads.append(packet[12:])

    listener = asyncio.create_task(listen())
    try:
        async with asyncio.timeout(10):
            while pbx.registration(EXTENSION) is None:
                await asyncio.sleep(0.1)
        pbx.register_handler(AnswerAndBridge(pbx, EXTENSION, offer_after=0.5))
        caller = await trunk_caller(
            pbx.config.sip_port, "trunk_call.xml", tmp_path, media_port=media.getsockname()[1],
            to="7002", hold_ms=3500,
        )  # fmt: skip
        try:
            answered = await events.next_of(cc.CallAnswered, extension=EXTENSION)
            hung_up = await events.next_of(cc.CallHungUp, call_id=answered.call_id)
            assert hung_up.side is cc.HangupSide.CALLER
            assert (await caller.wait()).returncode == 0
        finally:
            caller.kill()
    finally:
        listener.cancel()
        media.close()
        phone.terminate()
        phone.wait(timeout=10)
    # The phone "speaks" a 1 kHz tone; the prompt and music on hold do not contain one.
    assert longest_tone_run(payloads) >= 20, "the phone's audio did not reach the caller"
