# ruff: noqa: E402  (imports follow the sys.path set-up they need)
"""Fixtures: one CTI web process with the dashboard per module, and headless Chromium."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.components import CHROMIUM_ARGS, require_chromium
from tests.supervisor_ui.sv_world import World, start_world, stop_world

# The machine is shared and small (2 cores): give the browser room, assert no timings.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    started = start_world(tmp_path_factory.mktemp("supervisor"))
    try:
        yield started
    finally:
        stop_world(started)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture(scope="module")
def board(browser: Browser, world: World) -> Iterator[Page]:
    """One page signed in as the demo supervisor, shared by a module's tests (loading Plotly
    once per module keeps the suite short on a small, shared machine)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    opened = context.new_page()
    opened.goto(f"{world.server.base_url}/supervisor/")
    opened.fill("#login-username", "supervisor")
    opened.fill("#login-password", "pwsupervisor")
    opened.click("#login-button")
    expect(opened.locator("#cc-7003-section")).to_be_visible()
    try:
        yield opened
    finally:
        context.close()
