"""The console's files as served: routes, security headers, no HTML parsing of server text, no
external resources, both languages with the same words."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

import receptionist_ui
from receptionist_ui import STATIC_DIR


def test_the_console_is_served_with_strict_headers() -> None:
    app = FastAPI()
    receptionist_ui.mount(app)
    with TestClient(app) as http:
        redirect = http.get("/receptionist", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.headers["location"] == "/receptionist/"
        page = http.get("/receptionist/")
        assert page.status_code == 200 and "app.js" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        # Its own origin (REST, SSE over fetch) and the browser phone's SIP WebSocket only.
        assert "connect-src 'self' ws: wss:;" in policy
        assert page.headers["x-content-type-options"] == "nosniff"
        assert (
            http.get("/receptionist/api.js").headers["content-type"].startswith("text/javascript")
        )
        assert http.get("/receptionist/../pyproject.toml").status_code == 404


def test_no_injection_sinks_and_nothing_external() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, (path.name, sink)
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name


def test_both_languages_have_the_same_words() -> None:
    text = (STATIC_DIR / "i18n.js").read_text()
    nl, en = text.split("\n  en: {")
    en = en.split("\n};")[0]
    key = re.compile(r"(?:^|[{,])\s*([a-z_A-Z]+):", re.MULTILINE)
    assert set(key.findall(nl.split("  nl: {")[1])) == set(key.findall(en))
