"""Fixtures of the wallboard's tests: Chromium (the agent client's fixture)."""

from __future__ import annotations

from tests.agent_ui.conftest import browser

__all__ = ["browser"]
