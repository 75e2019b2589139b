"""What a caller hears before leaving a message: the user's own greeting (recorded or uploaded),
else a spoken default naming the extension in the user's language; then the beep. Made into one
WAV file per greeting, so rtpengine plays one file and the PBX waits for one duration.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import wave
from pathlib import Path

from pbx_core.media.prompts import generate_speech, generate_tone

DEFAULT_TEXTS = {
    "nl": "Toestel {extension} is niet bereikbaar. Spreek na de toon uw bericht in.",
    "en": "Extension {extension} is not available. Please leave a message after the tone.",
}
BEEP_HERTZ = 1000
BEEP_SECONDS = 0.4


def spoken_language(language: str) -> str:
    """The user's language if there is a text in it, else English."""
    return language if language in DEFAULT_TEXTS else "en"


def default_text(extension: str, language: str) -> str:
    # Digit by digit: "1 0 0 3" is how an extension is read out, not "one thousand and three".
    return DEFAULT_TEXTS[spoken_language(language)].format(extension=" ".join(extension))


MAX_GREETING_SECONDS = 60
MAX_GREETING_BYTES = 5 * 1024 * 1024


class GreetingRefused(ValueError):
    """An uploaded greeting that is not a plain PCM WAV of at most a minute; says why."""


def store_greeting(wav: bytes, target: Path) -> None:
    """Check an uploaded greeting (PCM WAV only: the one format read here, nothing else is
    handed to sox), convert it to 8 kHz mono 16-bit and put it in place whole."""
    if len(wav) > MAX_GREETING_BYTES:
        raise GreetingRefused(f"larger than {MAX_GREETING_BYTES} bytes")
    try:
        with wave.open(io.BytesIO(wav), "rb") as source:
            channels, width, rate = (
                source.getnchannels(),
                source.getsampwidth(),
                source.getframerate(),
            )
            frames = source.getnframes()
    except (wave.Error, EOFError) as error:
        raise GreetingRefused(f"not a PCM WAV file ({error})") from None
    if channels not in (1, 2) or width not in (1, 2, 3, 4) or not 8000 <= rate <= 48000:
        raise GreetingRefused("WAV must be mono or stereo, 8-48 kHz")
    if frames == 0 or frames / rate > MAX_GREETING_SECONDS:
        raise GreetingRefused(f"a greeting lasts up to {MAX_GREETING_SECONDS} s")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        upload = Path(tmp) / "upload.wav"
        upload.write_bytes(wav)
        converted = target.with_suffix(".partial.wav")
        subprocess.run(
            ["sox", str(upload), "-r", "8000", "-c", "1", "-b", "16", str(converted)],
            check=True,
            capture_output=True,
        )
        converted.replace(target)


def own_greeting_path(box_dir: Path, busy: bool = False) -> Path:
    """Where a user's own greeting lives (8 kHz mono WAV): the no-answer one (the API and the
    portal write it), or the busy one (`busy`: the portal records it)."""
    return box_dir / ("greeting-busy.wav" if busy else "greeting.wav")


def greeting_with_beep(
    box_dir: Path, cache_dir: Path, extension: str, language: str, *, busy: bool = False
) -> Path:
    """The file to play: made when missing, or again when the user's own greeting is newer. A
    busy caller hears the busy greeting, else the no-answer one (a user who recorded one)."""
    own = own_greeting_path(box_dir, busy)
    if not own.exists():
        own = own_greeting_path(box_dir)
    if own.exists():
        target = box_dir / f"{own.stem}-with-beep.wav"
        if not target.exists() or target.stat().st_mtime < own.stat().st_mtime:
            _with_beep(own, target)
        return target
    digits = "".join(c for c in extension if c.isalnum())  # a file name, whatever the input
    language = spoken_language(language)
    target = cache_dir / f"default-{language}-{digits}.wav"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            spoken = Path(tmp) / "spoken.wav"
            generate_speech(default_text(extension, language), language, spoken)
            _with_beep(spoken, target)
    return target


def beep_file(cache_dir: Path) -> Path:
    """The beep alone (the voice portal plays it before a recording), made once."""
    target = cache_dir / "beep.wav"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial.wav")
        generate_tone(partial, BEEP_SECONDS, 0.1, 1, BEEP_HERTZ)
        partial.replace(target)
    return target


def _with_beep(greeting: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        beep = beep_file(Path(tmp))
        partial = Path(tmp) / "greeting.wav"  # renamed into place: never played half-written
        subprocess.run(
            ["sox", str(greeting), "-r", "8000", "-c", "1", "-b", "16", str(partial)],
            check=True,
            capture_output=True,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        joined = target.with_suffix(".partial.wav")
        subprocess.run(
            ["sox", str(partial), str(beep), str(joined)], check=True, capture_output=True
        )
        joined.replace(target)
