"""Salesforce Open CTI softphone adapter: static files, served with a Content-Security-Policy.

Mount `adapter_app()` at `/crm/opencti` (the product does); `callcenter.xml` is the call center
definition file a Salesforce admin imports. The page holds its user's own CRM token (bound to one
extension, accepted only by /api/v1/opencti: cti/rest/opencti.py), so it may run only our script
and Salesforce's Open CTI library, talk only to our own server, and be framed only by Salesforce
(docs/crm.md).
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from common.security_headers import SELF, SecurityHeaders, content_security_policy, page_headers

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
its Open CTI library (`opencti_min.js`, loaded from the org's own domain) may come from;
softphone.js accepts only these as `sfdcIframeOrigin` too."""

CONTENT_SECURITY_POLICY = content_security_policy(
    script=(SELF, *SALESFORCE_ORIGINS),
    style=(SELF, "'unsafe-inline'"),  # the page's one <style> block
    connect=(SELF,),
    frame_ancestors=SALESFORCE_ORIGINS,
)


def adapter_app() -> ASGIApp:
    """The adapter's files, each answered with its Content-Security-Policy."""
    return SecurityHeaders(
        StaticFiles(directory=ADAPTER_DIR, html=True), page_headers(CONTENT_SECURITY_POLICY)
    )
