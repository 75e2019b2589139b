"""The music-on-hold file (pbx_core/media/prompts.py): mu-law, `MUSIC_ON_HOLD_SECONDS` long,
and an installation's older loop (16-bit, or the 12 s one rtpengine re-opened 44 times a second
for 525 waiters) is made again at the next start; a current one is left alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pbx_core.media.prompts import (
    MUSIC_ON_HOLD,
    MUSIC_ON_HOLD_SECONDS,
    generate_all,
    generate_music_on_hold,
)


def _seconds_and_encoding(path: Path) -> tuple[float, str]:
    info = subprocess.run(["soxi", str(path)], check=True, capture_output=True, text=True).stdout
    seconds = float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True,
                                   text=True).stdout)  # fmt: skip
    encoding = next(line for line in info.splitlines() if line.startswith("Sample Encoding"))
    return seconds, encoding


def test_an_older_short_loop_is_made_again_and_a_current_one_is_kept(
    prompts_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "prompts"
    shutil.copytree(prompts_dir, target)
    moh = target / f"{MUSIC_ON_HOLD}.wav"
    seconds, encoding = _seconds_and_encoding(moh)
    assert seconds == MUSIC_ON_HOLD_SECONDS and "u-law" in encoding

    generate_music_on_hold(moh, seconds=12)  # what an earlier version left
    generate_all(target)
    assert _seconds_and_encoding(moh)[0] == MUSIC_ON_HOLD_SECONDS

    made = moh.stat().st_mtime_ns
    generate_all(target)
    assert moh.stat().st_mtime_ns == made
