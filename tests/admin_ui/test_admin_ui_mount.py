"""The portal's files as served: routes, security headers, no HTML parsing of server text, no
external resources, both languages complete."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

import admin_ui
from admin_ui import STATIC_DIR


def client() -> TestClient:
    app = FastAPI()
    admin_ui.mount(app)
    return TestClient(app)


def test_the_portal_is_served_with_strict_headers() -> None:
    with client() as http:
        redirect = http.get("/admin", follow_redirects=False)
        assert redirect.status_code == 307 and redirect.headers["location"] == "/admin/"
        page = http.get("/admin/")
        assert page.status_code == 200 and "app.js" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "media-src blob:" in policy  # announcements are played from fetched blobs
        assert page.headers["x-content-type-options"] == "nosniff"
        assert http.get("/admin/users.js").headers["content-type"].startswith("text/javascript")
        assert http.get("/admin/../pyproject.toml").status_code == 404


def test_no_injection_sinks_and_nothing_external() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, (path.name, sink)
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name


def test_both_languages_have_every_text() -> None:
    text = (STATIC_DIR / "i18n.js").read_text()
    english, dutch = text.split("\n  nl: {", 1)
    keys = [set(re.findall(r"\b(\w+): [\"\[]", part)) for part in (english, dutch.split("\n};")[0])]
    assert keys[0] and keys[0] == keys[1], keys[0] ^ keys[1]
