"""Fax to e-mail in the running product: a fax number (a group service of kind `fax`) on a direct
number; spandsp's T.30 transmitter as the sending fax machine over real RTP through rtpengine
(SIPp places the call from the carrier); the fax arrives as a PDF in a real SMTP server's
mailbox (aiosmtpd). A sender hanging up half-way and a caller that is no fax machine are
reported as failed faxes, and no call stays behind. Bad recipients are refused (422)."""

from __future__ import annotations

import asyncio
import email
import json
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import redis

from common.redis_keys import group_event_stream
from cti.event_log import stream_entries
from cti.group_events import EVENT_FIELD
from tests.components import require_fax_components
from tests.e2e.conftest import Inbox
from tests.e2e.keying_phone import EVENT_CODES, KeyingCall
from tests.e2e.test_product_group_services import admin, put, route
from tests.pbx_core.fax_support import FaxSender, fax_tiff
from tests.pbx_core.support import free_sip_port, run_sipp
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets
from tests.product_harness import REDIS_URL, ProductThread


@pytest.fixture(autouse=True)
def _fax_components() -> None:
    require_fax_components()


TENANT = "demo"
FAX = "7300"
DIRECT = "+31201230073"
RECIPIENTS = ["fax@example.nl", "office@example.nl"]


@pytest.fixture
def product(inbox: Inbox, tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "fax", carrier=("127.0.0.1", free_sip_port()))
    yield running
    running.stop()


async def fax_number(product: ProductThread) -> None:
    async with await admin(product) as http:
        settings = {"recipients": RECIPIENTS, "language": "en"}
        await put(http, f"/groups/{FAX}", {"kind": "fax", "name": "Fax", "settings": settings})
        await route(http, DIRECT, FAX)


async def mails(inbox: Inbox, count: int) -> list[EmailMessage]:
    for _ in range(900):  # conversion and mail after the call: seconds on a loaded machine
        if len(inbox.mails) >= count:
            break
        await asyncio.sleep(0.1)
    assert len(inbox.mails) == count, [m["Subject"] for m in inbox.mails]
    parsed = [email.message_from_bytes(m.as_bytes(), policy=default) for m in inbox.mails]
    return [m for m in parsed if isinstance(m, EmailMessage)]


async def group_events(product: ProductThread, number: str, last: str) -> list[dict[str, Any]]:
    """The fax number's group call events (the tenant's stream), once `last` is among them."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        for _ in range(300):
            entries = stream_entries(client.xrange(group_event_stream(product.prefix, TENANT)))
            events = [json.loads(fields[EVENT_FIELD]) for _, fields in entries]
            mine = [e for e in events if e["group"] == number]
            if any(e["type"] == last for e in mine):
                return mine
            await asyncio.sleep(0.1)
    finally:
        client.close()
    raise AssertionError(f"no {last} for {number}")


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def no_calls_left(product: ProductThread) -> None:
    assert product.handle.pbx is not None
    for _ in range(100):
        if not await product.handle.pbx.active_calls():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"calls left: {await product.handle.pbx.active_calls()}")


async def send_fax(
    product: ProductThread,
    tmp_path: Path,
    pages: int,
    scenario: str,
    to: str = DIRECT,
    **held: int,
) -> FaxSender:
    """The fax machine calls `to` from the carrier (SIPp) and sends `pages`."""
    sender = FaxSender(fax_tiff(tmp_path / "sent.tif", pages)).start()
    try:
        result = await run_sipp(
            scenario,
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "0612345678", "to": to, "media_port": sender.port, **held},
            timeout_s=120,
        )
        assert result.returncode == 0, result.errors
    finally:
        await sender.close()
    return sender


async def test_a_fax_on_the_direct_number_arrives_as_a_pdf(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    await fax_number(product)
    # The PBX hangs up once the fax is in (the receiver's T.30 phase E).
    sender = await send_fax(product, tmp_path, 2, "trunk_call_remote_bye.xml")
    assert sender.terminal.negotiated and sender.terminal.pages == 2
    (mail,) = await mails(inbox, 1)
    assert sorted(a.strip() for a in str(mail["To"]).split(",")) == sorted(RECIPIENTS)
    assert mail["Subject"] == "Fax from +31612345678 (2 pages)"
    attachments = list(mail.iter_attachments())
    assert [part.get_content_type() for part in attachments] == ["application/pdf"]
    pdf = attachments[0].get_payload(decode=True)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page ") == 2
    await no_calls_left(product)
    assert not list((Path(product.settings.var_dir) / "fax").glob("*.tif"))  # mailed: gone
    events = await group_events(product, FAX, "GROUP_FAX_RECEIVED")
    assert [(e["type"], e["data"]) for e in events] == [
        ("GROUP_CALL_OFFERED", {"kind": "fax"}),
        ("GROUP_FAX_RECEIVED", {"pages": 2, "mailed": True}),
    ]
    assert events[-1]["caller"] == "+31612345678" and events[-1]["reason"] == "OK"


async def test_the_demo_fax_number(product: ProductThread, inbox: Inbox, tmp_path: Path) -> None:
    # make demo: 7098 on +31201230090, to fax@demo.opencc.test, in Dutch (docs/group-services.md)
    await send_fax(product, tmp_path, 1, "trunk_call_remote_bye.xml", to="+31201230090")
    (mail,) = await mails(inbox, 1)
    assert mail["To"] == "fax@demo.opencc.test"
    assert mail["Subject"] == "Fax van +31612345678 (1 pagina)"
    assert [p.get_content_type() for p in mail.iter_attachments()] == ["application/pdf"]


async def test_a_menu_key_transfers_the_answered_call_to_the_fax(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    # Answered by a menu first (its prompt playing): the PBX re-answers rtpengine for the fax.
    await fax_number(product)
    menu = {
        "menus": {
            "main": {
                "text": "Press 9 for the fax.",
                "options": [{"digit": "9", "action": "transfer", "target": FAX}],
            }
        },
        "language": "en",
        "timeout_seconds": 20.0,
    }
    async with await admin(product) as http:
        await put(http, "/groups/7301", {"kind": "auto_attendant", "name": "M", "settings": menu})
        await route(http, "+31201230074", "7301")
    sender = FaxSender(fax_tiff(tmp_path / "sent.tif", 1)).start()
    try:
        call = asyncio.create_task(
            run_sipp(
                "trunk_call_remote_bye.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", product.sip_port),
                variables={"from": "0612345678", "to": "+31201230074", "media_port": sender.port},
                timeout_s=120,
            )
        )
        for _ in range(400):  # the menu's prompt tells where rtpengine listens
            if sender.peer is not None:
                break
            await asyncio.sleep(0.05)
        assert sender.peer is not None, "the menu did not answer with audio"
        for packet in telephone_event_packets(EVENT_CODES["9"], 9000, 900000, 0x99):
            sender.sock.sendto(packet, sender.peer)
            await asyncio.sleep(0.02)
        result = await asyncio.wait_for(call, 150)
        assert result.returncode == 0, result.errors
    finally:
        await sender.close()
    (mail,) = await mails(inbox, 1)
    assert mail["Subject"] == "Fax from +31612345678 (1 page)"
    await no_calls_left(product)


async def test_a_fax_hanging_up_half_way_is_reported(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    await fax_number(product)
    # The sender hangs up 8 s after the answer: the pages under way.
    sender = await send_fax(product, tmp_path, 3, "trunk_call.xml", hold_ms=8000)
    assert sender.terminal.negotiated and sender.terminal.pages < 3  # a fax, cut off
    (mail,) = await mails(inbox, 1)
    assert mail["Subject"] == "Fax from +31612345678 failed"
    assert not list(mail.iter_attachments())
    assert "the caller hung up before the fax was complete" in text_of(mail)
    await no_calls_left(product)
    failed = (await group_events(product, FAX, "GROUP_FAX_FAILED"))[-1]
    assert failed["data"] == {"mailed": True}
    assert failed["reason"] == "the caller hung up before the fax was complete"


async def test_a_voice_caller_on_the_short_number_times_out_with_a_report(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    await fax_number(product)
    # The fax's own number (the extension-like 7300), dialled from the carrier by a person.
    call = KeyingCall(product.sip_port, tmp_path, "0201234567", FAX, on_trunk=True, timeout_s=90)
    for _ in range(200):
        if call.phone.peer is not None:
            break
        await asyncio.sleep(0.05)
    call.phone.speak(440)  # "hello?": a person, no fax machine
    await call.hung_up_by_pbx()  # after the answer limit (40 s), not left open
    (mail,) = await mails(inbox, 1)
    assert mail["Subject"] == "Fax from 0201234567 failed"
    assert "no fax machine answered" in text_of(mail)
    await no_calls_left(product)


async def test_fax_recipients_are_checked(product: ProductThread) -> None:
    async with await admin(product) as http:
        for recipients, field in (
            ([], "recipients"),
            (["x@y.nl\r\nBcc: victim@example.com"], "recipients[0]"),
            (["fax@example.nl", "a@b.nl, victim@example.com"], "recipients[1]"),
            (["fax@example.nl", "fax@example.nl"], "recipients"),
            ("fax@example.nl", "recipients"),
        ):
            reply = await http.put(
                f"/groups/{FAX}",
                json={"kind": "fax", "name": "Fax", "settings": {"recipients": recipients}},
            )
            assert reply.status_code == 422, (recipients, reply.text)
            assert field in reply.text, reply.text
        reply = await http.put(
            f"/groups/{FAX}",
            json={"kind": "fax", "name": "Fax", "settings": {"recipients": RECIPIENTS,
                                                               "cc": "x@y.nl"}},
        )  # fmt: skip
        assert reply.status_code == 422 and "cc" in reply.text
