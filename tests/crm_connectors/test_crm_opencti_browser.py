"""The Open CTI adapter's static side in headless Chromium: its CSP, and the origins it refuses to
load Salesforce's library from. The page at work against the real API, with a per-user token,
is tests/cti/test_crm_opencti_page.py.

Skipped when Playwright or Debian's /usr/bin/chromium are missing (no browser is downloaded).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.routing import Mount

from crm_connectors.opencti import CALL_CENTER_DEFINITION, CONTENT_SECURITY_POLICY, adapter_app
from tests.components import CHROMIUM_ARGS, require_chromium
from tests.crm_connectors.crm_testkit import serve


def wait_until(page: Any, expression: str, timeout_s: float = 30) -> None:
    """Poll `expression` from the test: Playwright's `wait_for_function` evaluates it with
    `eval` inside the page, which the adapter's CSP (rightly) forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {expression}")
        page.wait_for_timeout(50)


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_call_center_definition_has_the_required_items() -> None:
    root = ET.parse(CALL_CENTER_DEFINITION).getroot()
    items = {item.get("name"): (item.text or "") for item in root.iter("item")}
    for required in ("reqInternalName", "reqDisplayName", "reqAdapterUrl", "reqUseApi"):
        assert items[required]
    assert items["reqSalesforceCompatibilityMode"] == "Lightning"
    assert items["reqAdapterUrl"].startswith("https://")
    # No token in the definition: every user brings its own (tests/cti/test_crm_opencti_page.py).
    assert not any("token" in str(name).lower() for name in items)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://acme.my.salesforce.com.evil.example",
        "http://acme.my.salesforce.com",
        "https://acme.my.salesforce.com/x",
        "javascript:alert(1)//",
    ],
)
def test_only_a_salesforce_origin_may_serve_the_open_cti_library(browser: Any, origin: str) -> None:
    with serve(Starlette(routes=[Mount("/crm/opencti", adapter_app())])) as base:
        page = browser.new_page()
        loaded: list[str] = []
        page.on("request", lambda request: loaded.append(request.url))
        answer = page.goto(f"{base}/crm/opencti/softphone.html?sfdcIframeOrigin={origin}")
        assert answer is not None
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors https://*.salesforce.com" in CONTENT_SECURITY_POLICY
        wait_until(page, "document.getElementById('status').textContent !== 'starting'")
        assert page.inner_text("#status") == "refused: not a Salesforce origin"
        assert [url for url in loaded if "opencti_min" in url] == []
        assert page.evaluate("document.querySelectorAll('script[src*=opencti_min]').length") == 0
        page.close()
