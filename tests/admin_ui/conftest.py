"""Fixtures of the admin portal's tests: the whole product (once per module) and Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent_ui.conftest import browser
from tests.pbx_core.support import free_sip_port
from tests.product_harness import ProductThread

__all__ = ["browser"]


def product_with_carrier(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[ProductThread]:
    """A module's own product with a SIPp carrier (key prefix `name`)."""
    running = ProductThread.start(
        tmp_path_factory.mktemp(name) / "var", name, carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("admin-ui") / "var", "adminui")
    yield running
    running.stop()
