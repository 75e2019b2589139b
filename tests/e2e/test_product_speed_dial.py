"""Speed dial (SpeedDial8, SpeedDial100) in the running product, as users meet it over SIPp
phones: `*74`/`*75` store a number (spoken confirmation), dialling the slot (`2`, `#07`) calls
it, an empty slot and a profile without the feature are refused aloud, the admin's and the
user's own API read and change the same list, bad input gets 422 naming the slot.
docs/phone-features.md, "Speed dial"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbx_core import call_control as cc
from pbx_core.features import phrases
from pbx_core.features.codes import Action
from pbx_core.features.speed_dial import empty_slot, not_included
from tests.e2e.test_product_call_handling import PbxEvents, finished, phone_call
from tests.e2e.test_product_phone_features import bearer, dial, was_spoken
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

ADMIN_LIST = "/api/v1/tenants/{}/users/{}/speed-dial"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("speed-dial") / "var", "speeddial")
    yield running
    running.stop()


@pytest.fixture
def events(product: ProductThread) -> Iterator[PbxEvents]:
    collected = PbxEvents(product)
    yield collected
    collected.stop()


async def admin_patch(
    product: ProductThread, username: str, patch: Any, tenant: str = "demo"
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        return await http.patch(
            ADMIN_LIST.format(tenant, username), json=patch, headers=await bearer(product, "admin")
        )


async def my_list(product: ProductThread, username: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        reply = await http.get("/api/v1/me/speed-dial", headers=await bearer(product, username))
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def reaches(
    product: ProductThread, tmp_path: Path, events: PbxEvents, dialled: str, callee: str
) -> None:
    """1001's phone dials `dialled`; `callee`'s phone rings and answers."""
    start = events.mark()
    answering = await agent_phone(product.sip_port, callee, "agent_answer.xml", tmp_path)
    calling = phone_call(product, tmp_path, "1001", dialled, "ext_call.xml")
    await calling.start()
    await finished(calling, answering)
    await events.wait_for(cc.CallAnswered, after=start, extension=callee)


async def test_a_number_stored_by_phone_and_by_api_is_dialled_by_its_slot(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    await dial(product, tmp_path, "1001", "*7421004")
    assert was_spoken(product, phrases.confirmation(Action.SPEED_DIAL_8, "21004", "nl"))
    await dial(product, tmp_path, "1001", "*75991003")
    assert was_spoken(product, phrases.confirmation(Action.SPEED_DIAL_100, "991003", "nl"))
    assert (await my_list(product, "1001"))["entries"] == {"2": "1004", "99": "1003"}
    changed = await admin_patch(product, "1001", {"07": "1005", "99": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["entries"] == {"07": "1005", "2": "1004"}
    assert changed.json()["included"] == ["SpeedDial8", "SpeedDial100"]
    await reaches(product, tmp_path, events, "2", "1004")
    await reaches(product, tmp_path, events, "%2307", "1005")  # `#07`, escaped in the URI
    await reaches(product, tmp_path, events, "*66", "1005")  # redial: the number, not the slot


async def test_an_empty_slot_and_a_profile_without_speed_dial_are_refused_aloud(
    product: ProductThread, tmp_path: Path
) -> None:
    await dial(product, tmp_path, "1001", "9")
    assert was_spoken(product, empty_slot("9", "nl"))
    await dial(product, tmp_path, "1020", "2")  # Vergaderzaal: no SpeedDial8
    assert was_spoken(product, not_included("SpeedDial8", "vergaderzaal", "nl"))
    await dial(product, tmp_path, "1020", "*7421004")
    text = phrases.not_in_profile("*74", "SpeedDial8", "vergaderzaal", "nl")
    assert was_spoken(product, text)
    refused = await admin_patch(product, "meetingroom", {"2": "1004"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["field"] == "2"


@pytest.mark.parametrize(
    "patch",
    [{"1": "1002"}, {"100": "1002"}, {"2": "abc"}, {"2": "1002;x"}, {"2": "1001"}, {"2": "1"},
     {"2": 1002}, {"2": {"a": "b"}}, ["2", "1002"], {"2": "1" * 17}],
)  # fmt: skip
async def test_bad_input_is_refused_and_changes_nothing(product: ProductThread, patch: Any) -> None:
    before = (await my_list(product, "1001"))["entries"]
    refused = await admin_patch(product, "1001", patch)
    assert refused.status_code == 422, refused.text
    assert (await my_list(product, "1001"))["entries"] == before


async def test_a_bad_code_is_spoken_and_other_tenants_and_users_are_refused(
    product: ProductThread, tmp_path: Path
) -> None:
    await dial(product, tmp_path, "1002", "*7411004")  # slot 1 does not exist
    assert was_spoken(product, phrases.failed("*74", "nl"))
    assert (await my_list(product, "1002"))["entries"] == {}
    elsewhere = await admin_patch(product, "1002", {"2": "1004"}, tenant="acme")
    assert elsewhere.status_code in (403, 404), elsewhere.text
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        as_user = await http.patch(
            ADMIN_LIST.format("demo", "1003"),
            json={"2": "1004"},
            headers=await bearer(product, "1002"),
        )
        assert as_user.status_code == 403, as_user.text
        mine = await http.patch(
            "/api/v1/me/speed-dial", json={"5": "0201234567"}, headers=await bearer(product, "1002")
        )
        assert mine.status_code == 200, mine.text
    assert (await my_list(product, "1002"))["entries"] == {"5": "0201234567"}
