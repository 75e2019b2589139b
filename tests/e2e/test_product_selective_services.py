"""Selective services in the running product, as users meet them: the admin gives 1001 rules over
REST; SIPp phones call. Selective forwarding sends 1002's call to 1003 while 1004's call rings
1001; CallNotify mails a real SMTP server (aiosmtpd) about 1004's call; selective rejection
refuses 1005 with 603 Decline. A Vergaderzaal user is refused naming the profile. Privacy: 1002
is left out of the receptionist 1003's directory search until 1002 permits 1003.
docs/phone-features.md, "Selective services" and "Privacy"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Inbox
from tests.e2e.test_product_phone_features import bearer, call
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

SELECTIVE = "/api/v1/tenants/demo/users/{}/services/selective/{}"


@pytest.fixture
def product(inbox: Inbox, tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "selective")
    yield running
    running.stop()


async def put_rules(
    product: ProductThread, username: str, kind: str, body: dict[str, Any]
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        return await http.put(
            SELECTIVE.format(username, kind), json=body, headers=await bearer(product, "admin")
        )


async def answered_at(product: ProductThread, tmp_path: Path, caller: str, phone: str) -> None:
    """`caller` calls 1001; the phone of `phone` answers it."""
    answering = await agent_phone(product.sip_port, phone, "agent_answer.xml", tmp_path)
    try:
        await call(product, tmp_path, caller, "1001")
        assert (await answering.wait()).returncode == 0, f"{caller}'s call reached {phone}"
    finally:
        answering.kill()


async def test_forwarding_by_caller_notify_and_rejection_then_privacy(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    forward = {"default_number": "1003", "rules": [{"name": "from 1002", "numbers": ["1002"]}]}
    assert (await put_rules(product, "1001", "forwarding", forward)).status_code == 200
    notify = {"address": "jan@example.nl", "rules": [{"name": "1004", "numbers": ["1004"]}]}
    assert (await put_rules(product, "1001", "notify", notify)).status_code == 200
    refused = await put_rules(product, "meetingroom", "rejection", {"rules": [{"name": "x"}]})
    assert refused.status_code == 422
    assert refused.json()["detail"] == {
        "field": "rules",
        "reason": "the vergaderzaal profile does not include SelectiveCallRejection",
    }

    await answered_at(product, tmp_path, "1002", "1003")
    await answered_at(product, tmp_path, "1004", "1001")
    for _ in range(300):
        if inbox.mails:
            break
        await asyncio.sleep(0.1)
    (mail,) = inbox.mails
    assert mail["To"] == "jan@example.nl"
    assert "1004" in str(mail["Subject"]) and "1001" in str(mail["Subject"])

    rejection = {"rules": [{"name": "blocked", "numbers": ["1005"]}]}
    assert (await put_rules(product, "1001", "rejection", rejection)).status_code == 200
    await call(product, tmp_path, "1005", "1001", "ext_call_fails_603.xml")

    await privacy_in_the_directory(product)


async def privacy_in_the_directory(product: ProductThread) -> None:
    services = "/api/v1/tenants/demo/users/{}/services"
    instap = {"call_center": "premium", "receptionist": "basic", "recording": "on_demand"}
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        admin = await bearer(product, "admin")
        licensed = await http.patch(
            "/api/v1/tenants/demo/users/1003", json={"licences": instap}, headers=admin
        )
        assert licensed.status_code == 200, licensed.text
        refused = await http.patch(
            services.format("meetingroom"), json={"privacy": True}, headers=admin
        )
        assert refused.json()["detail"]["field"] == "privacy"
        receptionist = await bearer(product, "1003")

        async def found() -> list[str]:
            answer = await http.get(
                "/api/v1/receptionist/directory", params={"q": "100"}, headers=receptionist
            )
            assert answer.status_code == 200, answer.text
            return [user["extension"] for user in answer.json()["users"]]

        assert "1002" in await found()
        private = {"privacy": True, "privacy_permitted": ["1004"]}
        assert (await http.patch(services.format("1002"), json=private, headers=admin)).is_success
        assert "1002" not in await found() and "1001" in await found()
        permitted = {"privacy_permitted": ["1003"]}
        assert (await http.patch(services.format("1002"), json=permitted, headers=admin)).is_success
        assert "1002" in await found()
