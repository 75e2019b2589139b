"""Prompts with a figure in them (a caller's place in the queue, the expected wait), spoken on
demand in Dutch or English and kept on disk, each distinct (language, text) synthesised once.

The texts are pure functions of the figure (`position_text`, `wait_text`); `SpokenPrompts` is the
shell that turns a text into a WAV file rtpengine can play. Waits are rounded to whole minutes
and capped at an hour, so the wait texts are few; positions are as many as the longest queue.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from pbx_core.media.prompts import generate_speech

log = logging.getLogger(__name__)

POSITION_TEXTS: dict[str, tuple[str, str]] = {
    # (first in line, any other place): "number 1" sounds odd to the caller who is next.
    "nl": ("U bent de eerstvolgende in de wachtrij.", "U bent nummer {n} in de wachtrij."),
    "en": ("You are next in the queue.", "You are number {n} in the queue."),
}

WAIT_TEXTS: dict[str, tuple[str, str, str, str]] = {
    # (under a minute, one minute, some minutes, an hour or more)
    "nl": (
        "De verwachte wachttijd is minder dan een minuut.",
        "De verwachte wachttijd is ongeveer 1 minuut.",
        "De verwachte wachttijd is ongeveer {n} minuten.",
        "De verwachte wachttijd is meer dan een uur.",
    ),
    "en": (
        "The expected waiting time is less than a minute.",
        "The expected waiting time is about 1 minute.",
        "The expected waiting time is about {n} minutes.",
        "The expected waiting time is more than an hour.",
    ),
}

LONGEST_SPOKEN_WAIT_MINUTES = 60
"""From here on the caller hears "more than an hour": minutes past it tell them nothing more."""

DEFAULT_MAX_FILES = 500
"""Enough for every wait text and the positions of a long queue in both languages (~30 KB each)."""


def position_text(position: int, language: str) -> str:
    """What a caller at `position` (1 = next) hears."""
    first, other = POSITION_TEXTS[language]
    return first if position <= 1 else other.format(n=position)


def wait_text(seconds: float, language: str) -> str:
    """The expected wait, in whole minutes rounded half up: a caller needs no seconds."""
    under, one, some, hour = WAIT_TEXTS[language]
    if seconds < 60:
        return under
    minutes = int((seconds + 30) // 60)
    if minutes >= LONGEST_SPOKEN_WAIT_MINUTES:
        return hour
    return one if minutes == 1 else some.format(n=minutes)


class SpokenPrompts:
    """Texts -> WAV files under `directory`, synthesised on first use (espeak-ng + sox, some
    tens of milliseconds) and at most `max_files` kept: the least recently used go first."""

    def __init__(self, directory: Path, max_files: int = DEFAULT_MAX_FILES) -> None:
        self._directory = directory
        self._max_files = max_files

    def file_for(self, text: str, language: str) -> Path:
        """Where `text` in `language` is kept (whether or not it was spoken yet)."""
        digest = hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:24]
        return self._directory / f"{language}-{digest}.wav"

    def path(self, text: str, language: str) -> Path:
        """The WAV file speaking `text` in `language`, made now if it is not there yet."""
        target = self.file_for(text, language)
        if target.exists():
            _mark_used(target)
            return target
        self._directory.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so rtpengine never plays a half-written file.
        partial = target.with_suffix(".partial.wav")
        generate_speech(text, language, partial)
        partial.replace(target)
        _mark_used(target)
        log.info("spoke %r (%s) into %s", text, language, target.name)
        self._evict()
        return target

    def _evict(self) -> None:
        files = sorted(self._directory.glob("*-*.wav"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self._max_files)]:
            old.unlink(missing_ok=True)


def _mark_used(path: Path) -> None:
    """Its modification time is its last use, the eviction order: set precisely (the kernel's
    own file times are coarse, ties would make the order arbitrary)."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))
