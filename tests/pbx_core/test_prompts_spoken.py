"""The spoken figures: what a waiting caller hears for a place in the queue and an expected wait
(Dutch and English, at the boundaries of the rounding), and the on-disk cache that speaks each
distinct text once and keeps a bounded number of them."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from pbx_core.media import spoken as spoken_module
from pbx_core.media.prompts import generate_speech
from pbx_core.media.spoken import SpokenPrompts, position_text, wait_text


@pytest.mark.parametrize(
    ("position", "language", "text"),
    [
        (1, "nl", "U bent de eerstvolgende in de wachtrij."),
        (3, "nl", "U bent nummer 3 in de wachtrij."),
        (1, "en", "You are next in the queue."),
        (3, "en", "You are number 3 in the queue."),
        (120, "en", "You are number 120 in the queue."),
    ],
)
def test_a_place_in_the_queue_reads_as_a_sentence(position: int, language: str, text: str) -> None:
    assert position_text(position, language) == text


@pytest.mark.parametrize(
    ("seconds", "nl", "en"),
    [
        (0, "minder dan een minuut", "less than a minute"),
        (59, "minder dan een minuut", "less than a minute"),
        (60, "ongeveer 1 minuut", "about 1 minute"),
        (89, "ongeveer 1 minuut", "about 1 minute"),
        (90, "ongeveer 2 minuten", "about 2 minutes"),
        (95, "ongeveer 2 minuten", "about 2 minutes"),
        (3569, "ongeveer 59 minuten", "about 59 minutes"),
        (3570, "meer dan een uur", "more than an hour"),
        (10_000, "meer dan een uur", "more than an hour"),
    ],
)
def test_an_expected_wait_is_read_in_whole_minutes(seconds: int, nl: str, en: str) -> None:
    assert wait_text(seconds, "nl") == f"De verwachte wachttijd is {nl}."
    assert wait_text(seconds, "en") == f"The expected waiting time is {en}."


def seconds_of(path: Path) -> float:
    with wave.open(str(path)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        frames: int = audio.getnframes()
        rate: int = audio.getframerate()
        return frames / rate


def test_each_text_is_spoken_once_into_a_playable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesised: list[tuple[str, str]] = []

    def counting(text: str, language: str, target: Path) -> None:
        synthesised.append((text, language))
        generate_speech(text, language, target)

    monkeypatch.setattr(spoken_module, "generate_speech", counting)
    spoken = SpokenPrompts(tmp_path)
    first = spoken.path("U bent nummer 3 in de wachtrij.", "nl")
    assert seconds_of(first) > 0.5
    assert spoken.path("U bent nummer 3 in de wachtrij.", "nl") == first
    english = spoken.path("U bent nummer 3 in de wachtrij.", "en")
    assert english != first
    assert synthesised == [("U bent nummer 3 in de wachtrij.", "nl"),
                           ("U bent nummer 3 in de wachtrij.", "en")]  # fmt: skip
    assert sorted(tmp_path.iterdir()) == sorted([first, english])


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used(tmp_path: Path) -> None:
    spoken = SpokenPrompts(tmp_path, max_files=2)
    one = spoken.path("een", "nl")
    two = spoken.path("twee", "nl")
    assert spoken.path("een", "nl") == one  # used again: now "twee" is the oldest
    three = spoken.path("drie", "nl")
    assert sorted(tmp_path.iterdir()) == sorted([one, three])
    assert not two.exists()
