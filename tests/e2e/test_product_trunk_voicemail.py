"""A direct number to a user's voicemail in the running product (issue 15.2): the admin routes a
number to `voicemail:1003`, the carrier (SIPp, a real RTP tone) calls it, the caller hears the
beep and leaves a message that 1003 lists; 1003's phone, registered and answering, never rings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pbx_core.voicemail.greetings import BEEP_HERTZ
from tests.e2e.test_product import token
from tests.e2e.test_product_voicemail import CALLER_HZ, messages
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import SippResult, agent_phone, free_sip_port, run_sipp
from tests.product_harness import ProductThread

BOX_NUMBER = "+31201230050"
"""In the demo's number block, nobody's yet."""


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "trunk-voicemail", carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


async def test_a_number_to_a_users_voicemail_takes_a_message_from_the_carrier(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    admin = {"Authorization": f"Bearer {await token(base, 'admin', 'pwadmin')}"}
    owner = await token(base, "1003", "pw1003")
    async with httpx.AsyncClient(base_url=base) as http:
        routed = await http.post(
            "/api/v1/tenants/demo/numbers",
            headers=admin,
            json={"number": BOX_NUMBER, "destination": "voicemail:1003"},
        )
        assert routed.status_code == 201, routed.text
        assert await messages(http, owner) == []
    # Registered and answering at once: had the PBX offered it the call, the caller would talk
    # to it and never hear the beep.
    ringing = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    caller = RtpPhone(CALLER_HZ).start()
    call: asyncio.Task[SippResult] = asyncio.create_task(
        run_sipp(
            "trunk_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "0612345678", "to": "0201230050", "media_port": caller.port,
                       "hold_ms": 7000},
        )
    )  # fmt: skip
    try:
        await caller.wait_to_hear(BEEP_HERTZ, timeout=15)
        result = await call
        assert result.returncode == 0, result.errors
    finally:
        call.cancel()
        await caller.close()
        ringing.kill()
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):  # the message is stored after the call, off the SIP thread
            found = await messages(http, owner)
            if found:
                break
            await asyncio.sleep(0.1)
    (message,) = found
    assert message["caller"] == "+31612345678"
    assert isinstance(message["duration_seconds"], int) and message["duration_seconds"] >= 1
