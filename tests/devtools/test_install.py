"""The install path a newcomer meets first: each failure is one line that says what to run.

These run the real `devtools/install.py` and the real uv (from `.tools/`, which `make venv` put
there) on a copy of the project, so what is checked is what a user sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import install

ROOT = Path(__file__).resolve().parents[2]


def _project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    (copy / "devtools").mkdir(parents=True)
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    for name in ("install.py", "uv-requirements.txt"):
        shutil.copy(ROOT / "devtools" / name, copy / "devtools" / name)
    (copy / ".tools").symlink_to(ROOT / ".tools")  # uv itself, already installed by make venv
    return copy


def _install(copy: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Offline always: tests use loopback only. uv's cache (filled by make venv) serves what it can.
    environment = {**os.environ, "VENV": str(tmp_path / "venv"), "UV_OFFLINE": "1", **env}
    return subprocess.run(
        [sys.executable, str(copy / "devtools" / "install.py"), "venv"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_a_lock_out_of_date_with_pyproject_says_to_run_make_lock(tmp_path: Path) -> None:
    copy = _project_copy(tmp_path)
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(
        # A new direct dependency that the lock knows only as a transitive one: uv can tell the
        # lock is stale from its cache, without the network.
        pyproject.read_text().replace('"packaging>=24",', '"packaging>=24",\n    "plotly>=5",')
    )
    done = _install(copy, tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "install: uv.lock is out of date with pyproject.toml: run `make lock` and commit uv.lock"
    ]


def test_an_unreachable_package_index_is_one_line(tmp_path: Path) -> None:
    empty_cache = str(tmp_path / "empty-cache")  # nothing to fall back on: every download fails
    done = _install(_project_copy(tmp_path), tmp_path, UV_CACHE_DIR=empty_cache)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("install: the package index is unreachable")
    assert "UV_INDEX_URL" in lines[0]


def test_the_locked_versions_are_what_is_installed() -> None:
    """The venv the suite runs in holds exactly the lock's versions (make venv used the lock).
    The project itself is left out: its own files change under development."""
    check = ["sync", "--locked", "--extra", "dev", "--check", "--no-install-project", "--inexact"]
    done = subprocess.run(
        [str(ROOT / ".tools" / "bin" / "uv"), *check],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix, "UV_OFFLINE": "1"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_too_old_debian_package_is_refused_with_what_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(install, "SYSTEM_PACKAGES", {"bash": "999"})
    with pytest.raises(install.InstallError) as refused:
        install.system_packages()
    message = str(refused.value)
    assert message.startswith("bash ") and "is too old (OpenCC needs 999 or newer)" in message
    assert "apt-get install -y --only-upgrade bash" in message


def test_usage_is_one_line() -> None:
    assert install.main(["nonsense"]) == 2
