"""Salesforce Open CTI softphone adapter: static files the CTI server serves as they are.

Mount `ADAPTER_DIR` (e.g. Starlette `StaticFiles(directory=ADAPTER_DIR)`) at `/crm/opencti`;
`callcenter.xml` is the call center definition file a Salesforce admin imports.
"""

from __future__ import annotations

from pathlib import Path

from common.security_headers import SELF, content_security_policy, page_headers

ADAPTER_DIR = Path(__file__).resolve().parent
SOFTPHONE_PAGE = ADAPTER_DIR / "softphone.html"
CALL_CENTER_DEFINITION = ADAPTER_DIR / "callcenter.xml"

SALESFORCE_ORIGINS = (
    "https://*.salesforce.com",
    "https://*.force.com",
    "https://*.visualforce.com",
    "https://*.salesforce-setup.com",
)
"""Where a Salesforce org lives: the only pages that may frame the adapter, and the only hosts
its Open CTI library (`opencti_min.js`, loaded from the org's own domain) may come from."""

ADAPTER_HEADERS = page_headers(
    content_security_policy(
        script=(SELF, *SALESFORCE_ORIGINS),
        style=(SELF, "'unsafe-inline'"),  # the page's own <style> block
        frame_ancestors=SALESFORCE_ORIGINS,
    )
)
