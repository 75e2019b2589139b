"""Every install path of the project: the Python environment from uv.lock, the Debian packages,
and the lock itself. Run by the Makefile with the system's python3 (standard library only), so it
works before any virtual environment exists.

    python3 devtools/install.py venv             # .venv exactly as uv.lock says (make venv)
    python3 devtools/install.py system-packages  # the Debian packages, at least the versions below
    python3 devtools/install.py lock             # re-resolve uv.lock on purpose (make lock)

Each failure a newcomer can meet (too old a Python, an unreachable package index, a lock out of
date with pyproject.toml, a missing or too-old Debian package) ends in one line that says what to
run, not a traceback (docs/install.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
UV = TOOLS / "bin" / "uv"
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
MIN_PYTHON = (3, 11)

# Debian packages the product and its tests need, with the oldest version the suite has passed
# on (Debian 12's). An older one is refused: its behaviour is not what the tests checked.
SYSTEM_PACKAGES: dict[str, str] = {
    "sip-tester": "1:3.6.1",
    "rtpengine-daemon": "10.5.3.5",
    "espeak-ng": "1.51",
    "sox": "14.4.2",
    "opus-tools": "0.2",
    "libsox-fmt-mp3": "14.4.2",  # MP3 announcements (docs/provisioning.md)
    "baresip": "1.0.0",
    "chromium": "120",
    "libspandsp2": "0.0.6",  # fax to e-mail: the T.30 receiver (docs/fax.md)
    "libtiff-tools": "4.5.0",  # fax to e-mail: tiff2pdf
    "kamailio": "5.6.3",  # the SIP edge in front of several PBX nodes (docs/deploy.md)
    "systemd": "252",  # systemd-analyze checks the units of deploy/systemd
}

# What uv prints for each failure we explain in one line.
_LOCK_STALE = ("needs to be updated", "lockfile", "--locked")
_OFFLINE = (
    "Failed to fetch",
    "error sending request",
    "dns error",
    "Connection refused",
    "failed to lookup address",
    "Could not connect",
    "Network connectivity is disabled",
)


class InstallError(Exception):
    """A failure with the one line that tells the user what to do."""


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # cwd: uv finds the project (pyproject.toml, uv.lock) from its working directory.
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def check_python() -> None:
    if sys.version_info < MIN_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        raise InstallError(
            f"Python {found} is too old: OpenCC needs 3.11 or newer "
            "(apt-get install python3 on Debian 12, or run make with PYTHON=python3.11)"
        )


def ensure_uv() -> None:
    """uv itself, pinned by hash in devtools/uv-requirements.txt, in a venv of its own."""
    if UV.exists():
        return
    created = _run([sys.executable, "-m", "venv", str(TOOLS)])
    if created.returncode != 0:
        raise InstallError(
            "could not create .tools/ with python3 -m venv: "
            "apt-get install python3-venv, then retry"
        )
    pip = [str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", "--require-hashes"]
    done = _run([*pip, "-r", str(ROOT / "devtools" / "uv-requirements.txt")])
    if done.returncode != 0:
        shutil.rmtree(TOOLS, ignore_errors=True)
        raise InstallError(
            "could not install uv from PyPI (is https://pypi.org reachable? set PIP_INDEX_URL "
            f"for a mirror): {_last_line(done.stderr)}"
        )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _uv_env() -> dict[str, str]:
    env = dict(os.environ)
    env["UV_PROJECT_ENVIRONMENT"] = str(VENV)
    env.setdefault("UV_PYTHON", sys.executable)
    return env


def sync_venv() -> None:
    """Install exactly what uv.lock lists (the dev extra included) and the project, editable."""
    check_python()
    ensure_uv()
    done = _run([str(UV), "sync", "--locked", "--extra", "dev", "--quiet"], env=_uv_env())
    if done.returncode != 0:
        explain_uv_failure(done.stderr)
    if not os.environ.get("UV_OFFLINE"):
        # `sync --locked` installs from the lock's own URLs and leaves the index's metadata out
        # of uv's cache; one resolution with the network puts it there, so that uv can later tell
        # offline that a changed pyproject.toml made the lock stale (tests/devtools/).
        checked = _run([str(UV), "lock", "--check", "--refresh", "--quiet"], env=_uv_env())
        if checked.returncode != 0 and any(m in checked.stderr for m in _LOCK_STALE):
            explain_uv_failure(checked.stderr)


def explain_uv_failure(stderr: str) -> None:
    if any(marker in stderr for marker in _LOCK_STALE):
        raise InstallError(
            "uv.lock is out of date with pyproject.toml: run `make lock` and commit uv.lock"
        )
    if any(marker in stderr for marker in _OFFLINE):
        raise InstallError(
            "the package index is unreachable (https://pypi.org, or UV_INDEX_URL): "
            f"check the network or set UV_INDEX_URL to a mirror ({_last_line(stderr)})"
        )
    raise InstallError(f"uv sync failed: {_last_line(stderr)}")


def lock() -> None:
    check_python()
    ensure_uv()
    done = _run([str(UV), "lock"], env=_uv_env())
    if done.returncode != 0:
        explain_uv_failure(done.stderr)
    print("uv.lock updated: run `make test`, then commit pyproject.toml and uv.lock together")


def _installed_version(package: str) -> str | None:
    done = _run(["dpkg-query", "-W", "-f=${Status} ${Version}", package])
    if done.returncode != 0 or not done.stdout.startswith("install ok installed"):
        return None
    return done.stdout.split()[-1]


def _older(version: str, minimum: str) -> bool:
    return _run(["dpkg", "--compare-versions", version, "lt", minimum]).returncode == 0


def system_packages() -> None:
    if shutil.which("dpkg-query") is None:
        raise InstallError(
            "no dpkg on this machine: install these by hand: " + " ".join(SYSTEM_PACKAGES)
        )
    missing = [name for name in SYSTEM_PACKAGES if _installed_version(name) is None]
    if missing:
        print("installing:", " ".join(missing), flush=True)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        updated = _run([*sudo, "apt-get", "update", "-q"], env=env)
        installed = _run([*sudo, "apt-get", "install", "-y", "-q", *missing], env=env)
        if updated.returncode != 0 or installed.returncode != 0:
            raise InstallError(
                f"apt-get could not install {' '.join(missing)}: run "
                f"`sudo apt-get update && sudo apt-get install -y {' '.join(missing)}` and read "
                f"its error ({_last_line(installed.stderr or updated.stderr)})"
            )
    for name, minimum in SYSTEM_PACKAGES.items():
        version = _installed_version(name)
        if version is None:
            raise InstallError(f"{name} is still missing: run `sudo apt-get install -y {name}`")
        if _older(version, minimum):
            raise InstallError(
                f"{name} {version} is too old (OpenCC needs {minimum} or newer): run "
                f"`sudo apt-get install -y --only-upgrade {name}` or use Debian 12 or newer"
            )


COMMANDS = {"venv": sync_venv, "system-packages": system_packages, "lock": lock}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python3 devtools/install.py {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[0]]()
    except InstallError as error:
        print(f"install: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
