# ruff: noqa: E402  (imports follow the sys.path set-up they need)
"""Fixtures of the agent client's tests: a running desk (API + UI + fake runtime) and Chromium.

The browser is Debian's /usr/bin/chromium driven by Playwright; nothing is downloaded. Without
it the browser tests are skipped (the mount tests still run).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.agent_ui.agent_world import Desk, delete_prefix, make_desk
from tests.components import CHROMIUM_ARGS, require_chromium


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    running = make_desk(str(tmp_path / "cti.db")).start()
    try:
        yield running
    finally:
        running.stop()
        running.control.close()
        delete_prefix(running.prefix)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop
    running in the main thread while it is open, which would break later asyncio tests."""
    executable = require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
