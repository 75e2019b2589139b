"""Salesforce Open CTI softphone adapter: static files the CTI server serves as they are.

Mount `ADAPTER_DIR` (e.g. Starlette `StaticFiles(directory=ADAPTER_DIR)`) at `/crm/opencti`;
`callcenter.xml` is the call center definition file a Salesforce admin imports.
"""

from __future__ import annotations

from pathlib import Path

ADAPTER_DIR = Path(__file__).resolve().parent
SOFTPHONE_PAGE = ADAPTER_DIR / "softphone.html"
CALL_CENTER_DEFINITION = ADAPTER_DIR / "callcenter.xml"
