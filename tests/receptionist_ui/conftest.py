"""Fixtures of the receptionist console's tests: the whole product (once per module) and
Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent_ui.conftest import browser
from tests.product_harness import ProductThread

__all__ = ["browser"]


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("receptionist") / "var", "reception")
    yield running
    running.stop()
