"""Generate the PBX prompts (Dutch and English) as 8 kHz mono 16-bit WAV with espeak-ng + sox.

Run `python -m pbx_core.media.prompts [target_dir]` (default `var/prompts`). Prompt names are
`<prompt>_<language>`, e.g. `welcome_nl`; `music_on_hold` is a synthesized tone loop, since
no music can be shipped; `busy_tone` and `ringback_tone` are the European 425 Hz tones.
rtpengine transcodes the WAV to the call's codec (G.711) when playing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

PROMPT_TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "nl": "Welkom. U wordt zo spoedig mogelijk geholpen.",
        "en": "Welcome. You will be helped as soon as possible.",
    },
    "comfort": {
        "nl": "Al onze medewerkers zijn in gesprek. Een moment geduld alstublieft.",
        "en": "All our agents are busy. Please hold the line.",
    },
    "comfort_short": {
        # The comfort message's bypass (`ComfortBypass`): said when the wait will be short.
        "nl": "Een moment geduld alstublieft, u wordt zo geholpen.",
        "en": "Please hold on, we will be with you shortly.",
    },
    # Callback that keeps the place (docs/callback.md).
    "callback_offer": {
        "nl": "Wilt u liever teruggebeld worden? Druk dan op 1. U houdt uw plaats in de wachtrij.",
        "en": "Would you rather be called back? Press 1. You keep your place in the queue.",
    },
    "callback_menu": {
        "nl": "Druk op 1 om teruggebeld te worden op het nummer waarmee u belt,"
        " of toets een ander nummer in, gevolgd door een hekje.",
        "en": "Press 1 to be called back on the number you are calling from,"
        " or enter another number followed by the hash key.",
    },
    "callback_confirm": {
        "nl": "Dank u. U wordt teruggebeld zodra u aan de beurt bent. U kunt nu ophangen.",
        "en": "Thank you. We will call you back in your turn. You may hang up now.",
    },
    "callback_intro": {
        "nl": "U wordt teruggebeld, zoals u vroeg. U wordt nu verbonden met een medewerker.",
        "en": "This is the callback you asked for. You are now connected to an agent.",
    },
    "hold_on": {
        # A caller the queue engine cannot take yet (its lease unconfirmed: cti/engine_leased.py).
        "nl": "Een ogenblik alstublieft, u wordt zo geholpen. Blijft u aan de lijn.",
        "en": "One moment please, you will be helped shortly. Please stay on the line.",
    },
    "queue_full": {
        "nl": "Het is op dit moment te druk. Probeer het later opnieuw.",
        "en": "We are too busy at the moment. Please call again later.",
    },
    "night_service": {
        "nl": "Wij zijn op dit moment gesloten. U wordt doorverbonden.",
        "en": "We are closed at the moment. You are being transferred.",
    },
    "recording_on": {
        "nl": "Dit gesprek wordt opgenomen.",
        "en": "This call is being recorded.",
    },
    "conference_not_in_profile": {
        "nl": "Een drierichtingsgesprek zit niet in uw pakket.",
        "en": "Three-way calling is not in your profile.",
    },
    "conference_full": {
        "nl": "Het gesprek heeft al het grootste aantal deelnemers dat uw pakket toestaat.",
        "en": "The call already has as many parties as your profile allows.",
    },
    "bridge_pin": {
        "nl": "Welkom bij het groepsgesprek. Toets de pincode, gevolgd door het hekje.",
        "en": "Welcome to the conference. Enter the PIN, followed by the hash key.",
    },
    "bridge_wrong_pin": {
        "nl": "De pincode is onjuist. Probeer het opnieuw.",
        "en": "The PIN is not correct. Please try again.",
    },
    "bridge_full": {
        "nl": "Het groepsgesprek is vol.",
        "en": "The conference is full.",
    },
    "whisper": {
        "nl": "Gesprek uit de wachtrij.",
        "en": "A call from the queue.",
    },
}

VOICES = {"nl": "nl", "en": "en"}
MUSIC_ON_HOLD = "music_on_hold"
DEFAULT_DIR = Path("var/prompts")


def prompt_path(prompts_dir: Path, name: str) -> Path:
    """Where a prompt name (or a path given as is) lives."""
    candidate = Path(name)
    if candidate.is_absolute() or candidate.suffix == ".wav":
        return candidate
    return prompts_dir / f"{name}.wav"


def _to_8k_wav(source: Path, target: Path) -> None:
    subprocess.run(
        ["sox", str(source), "-r", "8000", "-c", "1", "-b", "16", str(target)],
        check=True,
        capture_output=True,
    )


def generate_speech(text: str, language: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", VOICES[language], "-s", "150", "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        _to_8k_wav(raw, target)


WAVE_FORMAT_MULAW = 7
"""The format tag of a G.711 mu-law WAV (at byte 20 of the file)."""


MUSIC_ON_HOLD_SECONDS = 300
"""The loop's length. rtpengine 10.5 opens and decodes the file again at every repeat: with a
12 s loop 525 waiters cost 44 re-opens a second; five minutes makes that 1.75 (bench/moh_cost.py,
`mulaw` against `mulaw-long`). 2.4 MB on disk."""


def generate_music_on_hold(target: Path, seconds: int = MUSIC_ON_HOLD_SECONDS) -> None:
    """A calm, recognisable loop: two alternating soft chords (no copyrighted music).

    Stored as G.711 mu-law, the callers' codec, not 16-bit PCM: rtpengine starts a player on a
    16-bit file for ~30 ms of CPU, on a mu-law one for ~5 ms (bench/moh_cost.py), and music on
    hold starts for every caller who waits (20 a second at the call-center benchmark's rate)."""
    subprocess.run(
        [
            "sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", str(target),
            "synth", str(seconds), "sine", "440", "sine", "554", "sine", "659",
            "remix", "-", "tremolo", "0.5", "40", "vol", "0.3",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


TONES = {
    # Dutch/European tones (ETSI): 425 Hz, busy 0.5 s on / 0.5 s off, ringback 1 s on / 4 s off.
    "busy_tone": (0.5, 0.5, 3, 425),
    "ringback_tone": (1.0, 4.0, 1, 425),
    # To the agent only, over a held call that waited too long: high, so it stands out from
    # the (silenced) conversation and from any call-progress tone.
    "reminder_tone": (0.4, 0.2, 3, 1400),
}


def generate_tone(target: Path, on: float, off: float, cycles: int, hertz: int = 425) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        beep, gap = Path(tmp) / "on.wav", Path(tmp) / "off.wav"
        common = ["-r", "8000", "-c", "1", "-b", "16"]
        subprocess.run(["sox", "-n", *common, str(beep), "synth", str(on), "sine", str(hertz),
                        "vol", "0.5"], check=True, capture_output=True)  # fmt: skip
        subprocess.run(["sox", "-n", *common, str(gap), "trim", "0", str(off)],
                       check=True, capture_output=True)  # fmt: skip
        parts = [str(p) for _ in range(cycles) for p in (beep, gap)]
        subprocess.run(["sox", *parts, str(target)], check=True, capture_output=True)


def _is_current_music_on_hold(path: Path) -> bool:
    """Whether `path` is this version's loop: mu-law, `MUSIC_ON_HOLD_SECONDS` long (one byte a
    sample at 8 kHz). An installation's older 16-bit or 12 s loop is made again."""
    try:
        with path.open("rb") as wav:
            header = wav.read(22)
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    mulaw = len(header) == 22 and int.from_bytes(header[20:22], "little") == WAVE_FORMAT_MULAW
    return mulaw and size >= 8000 * MUSIC_ON_HOLD_SECONDS


def generate_all(target_dir: Path = DEFAULT_DIR, *, force: bool = False) -> list[Path]:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        raise RuntimeError("espeak-ng and sox are needed (Debian packages espeak-ng, sox)")
    target_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for prompt, texts in PROMPT_TEXTS.items():
        for language, text in texts.items():
            target = target_dir / f"{prompt}_{language}.wav"
            if force or not target.exists():
                generate_speech(text, language, target)
            written.append(target)
    for name, (on, off, cycles, hertz) in TONES.items():
        tone = target_dir / f"{name}.wav"
        if force or not tone.exists():
            generate_tone(tone, on, off, cycles, hertz)
        written.append(tone)
    moh = target_dir / f"{MUSIC_ON_HOLD}.wav"
    if force or not _is_current_music_on_hold(moh):
        generate_music_on_hold(moh)
    written.append(moh)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--force", action="store_true", help="regenerate existing files")
    args = parser.parse_args(argv)
    for path in generate_all(args.target_dir, force=args.force):
        print(path)


if __name__ == "__main__":
    main()
