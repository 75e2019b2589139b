"""The systemd units of deploy/systemd are what systemd itself accepts (`systemd-analyze verify`:
unknown keys, bad values, commands that are not there), with /opt/opencc pointing at this
checkout so their commands exist; a template unit is verified as an instance."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.components import require_executable

ROOT = Path(__file__).resolve().parents[1]
UNITS = sorted((ROOT / "deploy" / "systemd").iterdir())


def _verify(unit_dir: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_executable("systemd-analyze"), "verify", str(unit_dir / name)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _installed(tmp_path: Path) -> Path:
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/opencc", str(ROOT)))
    return tmp_path


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_systemd_accepts_the_unit(unit: str, tmp_path: Path) -> None:
    unit_dir = _installed(tmp_path)
    name = unit.replace("@.", "@8001.")  # a template: one of its instances
    if name != unit:
        shutil.copy(unit_dir / unit, unit_dir / name)
    verified = _verify(unit_dir, name)
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


def test_a_broken_unit_is_caught(tmp_path: Path) -> None:
    """The check above can fail: an unknown key and a command that is not there."""
    (tmp_path / "broken.service").write_text("[Service]\nExecStart=/nonexistent/python\nBogus=1\n")
    verified = _verify(tmp_path, "broken.service")
    assert verified.returncode != 0
    assert "Unknown key 'Bogus'" in verified.stderr
    assert "/nonexistent/python is not executable" in verified.stderr
