"""The stand-alone ringer (`python -m pbx_core`) and its runner."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.standalone_ringer import StandaloneRinger
from tests.pbx_core.support import free_port

CALL = "c1"


def _handler() -> tuple[StandaloneRinger, list[cc.CallCommand]]:
    sent: list[cc.CallCommand] = []
    return StandaloneRinger(sent.append, members={"7001": ("1001", "1002")}), sent


def test_offered_call_is_answered_and_rings_members_in_turn() -> None:
    handler, sent = _handler()
    handler(cc.CallOffered(CALL, "+3120", "7001", cc.CallSource.TRUNK))
    assert sent[:2] == [cc.Answer(CALL), cc.PlayPrompt(CALL, "welcome_nl", then_music=True)]
    first = sent[2]
    assert isinstance(first, cc.OfferCall) and first.extension == "1001"
    handler(cc.OfferFailed(CALL, first.leg_id, "1001", cc.OfferFailure.NO_ANSWER))
    second = sent[3]
    assert isinstance(second, cc.OfferCall) and second.extension == "1002"
    handler(cc.CallAnswered(CALL, second.leg_id, "1002"))
    assert sent[4] == cc.Bridge(CALL, second.leg_id)


def test_caller_gone_stops_the_hunt_and_unknown_numbers_are_refused() -> None:
    handler, sent = _handler()
    handler(cc.CallOffered(CALL, "+3120", "7001", cc.CallSource.TRUNK))
    handler(cc.CallHungUp(CALL, cc.HangupSide.CALLER))
    handler(cc.OfferFailed(CALL, "x", "1001", cc.OfferFailure.CANCELLED))
    assert not any(isinstance(c, cc.OfferCall) and c.extension == "1002" for c in sent)
    handler(cc.CallOffered("c2", "+3120", "7999", cc.CallSource.TRUNK))
    assert sent[-1] == cc.Reject("c2", 480, "Temporarily Unavailable")


def test_python_m_pbx_core_runs_answers_options_and_stops(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pbx_core", "--port", str(port), "--var", str(tmp_path),
         "--key-prefix", f"test-runner-{port}:"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    me = sock.getsockname()[1]
    options = (
        f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-runner-{{n}}\r\nMax-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1>;tag=r\r\nTo: <sip:127.0.0.1:{port}>\r\n"
        "Call-ID: runner-{n}@t\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    try:
        reply = b""
        deadline = time.monotonic() + 60  # its start costs ~5 s of CPU: slower on a loaded machine
        n = 0
        while not reply.startswith(b"SIP/2.0 200") and time.monotonic() < deadline:
            n += 1
            sock.sendto(options.replace("{n}", str(n)).encode(), ("127.0.0.1", port))
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                continue
        assert reply.startswith(b"SIP/2.0 200"), "the runner never answered OPTIONS"
        assert (tmp_path / "prompts" / "welcome_nl.wav").exists()
    finally:
        sock.close()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode(errors="replace")
    assert process.returncode == 0, output
    pid_file = tmp_path / "rtpengine" / "rtpengine.pid"
    assert not pid_file.exists() or not _alive(int(pid_file.read_text().strip() or 0))


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
