"""Voicemail to e-mail in the running product: the owner sets an address (REST), a colleague
leaves a message (SIPp, RTP), and a real SMTP server (aiosmtpd) receives one mail to that
address with the message's WAV attached; bad addresses are refused."""

from __future__ import annotations

import asyncio
import email
import io
import wave
from collections.abc import Iterator
from email.policy import default
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Inbox
from tests.e2e.test_product import token
from tests.e2e.test_product_voicemail import leave_message
from tests.product_harness import ProductThread


@pytest.fixture
def product(inbox: Inbox, tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "voicemail-mail")
    yield running
    running.stop()


async def test_a_new_message_is_mailed_with_its_audio(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    base = product.base_url
    owner = await token(base, "1003", "pw1003")
    mine = {"Authorization": f"Bearer {owner}"}
    async with httpx.AsyncClient(base_url=base) as http:
        for bad in ("nobody", "a@b", "x@y.z\r\nBcc: victim@example.com", "a" * 300 + "@x.nl"):
            reply = await http.put("/api/v1/voicemail/email", headers=mine, json={"address": bad})
            assert reply.status_code == 422, bad
        reply = await http.put(
            "/api/v1/voicemail/email", headers=mine, json={"address": "jan@example.nl"}
        )
        assert reply.status_code == 204
    await leave_message(product, tmp_path, "1003")
    for _ in range(600):  # the mail is sent after the message is converted: seconds under load
        if inbox.mails:
            break
        await asyncio.sleep(0.1)
    assert len(inbox.mails) == 1
    (mail,) = inbox.mails
    assert mail["To"] == "jan@example.nl" and mail["From"] == "voicemail@opencc.test"
    assert "1001" in str(mail["Subject"])  # demo users speak Dutch: "Voicemail van 1001"
    parsed = email.message_from_bytes(mail.as_bytes(), policy=default)
    attachments = [part for part in parsed.iter_attachments()]
    assert [part.get_content_type() for part in attachments] == ["audio/wav"]
    audio = attachments[0].get_payload(decode=True)
    assert isinstance(audio, bytes)
    with wave.open(io.BytesIO(audio), "rb") as wav:
        assert wav.getframerate() == 8000 and wav.getnframes() / 8000 >= 1
