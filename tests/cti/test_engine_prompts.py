"""The runtime turns the engine's prompt names into what the PBX plays: `position:N` and
`wait:S` become real speech with the figure in it, `comfort_short` its own generated prompt, and
a name nobody generated the comfort message (logged), never a file that is not there."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import pytest

from cti.demo_company import demo_tenant_config
from cti.engine_pbx import PbxAdapter
from cti.engine_tenant import EngineTenant
from pbx_core import call_control as pbx
from pbx_core.media.prompts import PROMPT_TEXTS
from pbx_core.media.spoken import SpokenPrompts
from queueing import commands as q
from queueing.engine import Engine
from tests.cti.test_engine_dispatch import RecordingPbx


def played(tmp_path: Path, prompt: str, language: str = "nl") -> str:
    """What the PBX is told to play for the engine's `prompt`."""
    port = RecordingPbx()
    holder = EngineTenant(Engine(demo_tenant_config()))
    adapter = PbxAdapter(
        port, {"demo": holder}, language=language, feed=lambda *_: None,
        spoken=SpokenPrompts(tmp_path / "spoken"),
    )  # fmt: skip
    adapter.execute("demo", holder, q.PlayPrompt("c-1", prompt, resume_music="moh"))
    [command] = port.sent
    assert isinstance(command, pbx.PlayPrompt) and command.then_music
    return command.prompt


def audio(path: str) -> tuple[float, bytes]:
    with wave.open(path) as wav:
        return wav.getnframes() / wav.getframerate(), wav.readframes(wav.getnframes())


def test_position_and_wait_are_spoken_with_their_figures(tmp_path: Path) -> None:
    files = {p: played(tmp_path, p) for p in ("position:3", "position:4", "wait:95", "wait:400")}
    assert len(set(files.values())) == 4
    sounds = {p: audio(f) for p, f in files.items()}
    assert all(seconds > 0.5 for seconds, _ in sounds.values())
    assert len({frames for _, frames in sounds.values()}) == 4
    # English is another recording of the same figure.
    assert audio(played(tmp_path, "position:3", "en"))[1] != sounds["position:3"][1]
    # The same figure again is the same file: spoken once.
    assert played(tmp_path, "position:3") == files["position:3"]


def test_the_bypass_message_is_a_generated_prompt_of_its_own(tmp_path: Path) -> None:
    assert "comfort_short" in PROMPT_TEXTS
    assert played(tmp_path, "comfort_short") == "comfort_short_nl"
    assert played(tmp_path, "comfort_short", "en") == "comfort_short_en"


def test_an_unknown_prompt_falls_back_to_the_comfort_message_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cti.engine_pbx"):
        assert played(tmp_path, "no_such_prompt") == "comfort_nl"
        assert played(tmp_path, "position:many") == "comfort_nl"
    assert "'no_such_prompt'" in caplog.text and "'position:many'" in caplog.text
    assert played(tmp_path, "welcome") == "welcome_nl"
    assert played(tmp_path, "busy_tone") == "busy_tone"


def test_an_announcement_is_the_tenants_own_recording(tmp_path: Path) -> None:
    assert played(tmp_path, "announcement:welcome-2027") == "announcements/demo/welcome-2027"
    # A name that could leave the tenant's directory is no announcement: the fallback plays.
    assert played(tmp_path, "announcement:../acme/welcome") == "comfort_nl"
    assert played(tmp_path, "announcement:") == "comfort_nl"


def test_music_on_hold_may_be_an_announcement(tmp_path: Path) -> None:
    port = RecordingPbx()
    holder = EngineTenant(Engine(demo_tenant_config()))
    adapter = PbxAdapter(
        port, {"demo": holder}, language="nl", feed=lambda *_: None,
        spoken=SpokenPrompts(tmp_path / "spoken"),
    )  # fmt: skip
    adapter.execute("demo", holder, q.StartMusic("c-1", "announcement:jingle"))
    adapter.execute("demo", holder, q.StartMusic("c-2", "moh"))
    music = [c.music for c in port.sent if isinstance(c, pbx.StartMusicOnHold)]
    assert music == ["announcements/demo/jingle", "music_on_hold"]
