"""The real components the suite runs against, and one way to demand each.

A missing component fails the test that needs it, with a line saying what to install; it never
skips (a green run must mean everything ran). `make test` installs the Debian packages
(`make system-packages`); Redis and PostgreSQL are the machine's own services.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NoReturn

import pytest

from pbx_core.fax import spandsp

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium: Playwright drives it, it never downloads a browser of its own."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Executable -> the Debian package that brings it (devtools/install.py SYSTEM_PACKAGES).
DEBIAN_PACKAGE_OF = {
    "sipp": "sip-tester",
    "rtpengine": "rtpengine-daemon",
    "espeak-ng": "espeak-ng",
    "sox": "sox",
    "opusenc": "opus-tools",
    "baresip": "baresip",
    "chromium": "chromium",
    "tiff2pdf": "libtiff-tools",
    "systemd-analyze": "systemd",
}

REDIS_FIX = "start it: redis-server --daemonize yes --bind 127.0.0.1 --save ''"
POSTGRES_FIX = "start it: pg_ctlcluster --skip-systemctl-redirect 15 main start"


def fail_missing(what: str, fix: str) -> NoReturn:
    """Fail the test that needs `what`, saying how to get it."""
    pytest.fail(f"{what} is missing: {fix}", pytrace=False)


def require_executable(name: str) -> str:
    """The path of a Debian-packaged program, or a failure naming the package to install."""
    path = shutil.which(name)
    if path is None:
        package = DEBIAN_PACKAGE_OF[name]
        fail_missing(name, f"run `make system-packages` (or `apt-get install -y {package}`)")
    return path


def require_fax_components() -> None:
    """Fax to e-mail's: spandsp's T.30 (libspandsp2, through ctypes) and tiff2pdf."""
    if not spandsp.available():
        fail_missing(
            f"libspandsp2 ({spandsp.LIBRARY})",
            "run `make system-packages` (or `apt-get install -y libspandsp2`)",
        )
    require_executable("tiff2pdf")


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        fail_missing(
            f"Debian chromium ({CHROMIUM})", "run `make system-packages` (apt-get install chromium)"
        )
    return CHROMIUM


def require_postgres(url: str | None) -> str:
    """A PostgreSQL base URL that answered, or a failure: CI runs every PostgreSQL test."""
    if url is None:
        fail_missing(
            "PostgreSQL on 127.0.0.1:5432 (database test)",
            POSTGRES_FIX,
        )
    return url
