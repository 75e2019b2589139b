"""Forwarding, do-not-disturb and feature access codes in the running product, as users meet
them: SIPp phones dial the codes (the PBX answers, speaks, hangs up) and call each other, the
settings are read back through the REST API, an admin sets them over REST, a Vergaderzaal user
is refused. docs/phone-features.md."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbx_core.features import phrases
from pbx_core.features.codes import Action
from pbx_core.media.spoken import SpokenPrompts
from tests.e2e.test_product import graphql, token
from tests.pbx_core.support import agent_phone, free_port, run_sipp
from tests.product_harness import ProductThread

SERVICES = "/api/v1/tenants/demo/users/{}/services"
OFF: dict[str, Any] = {
    "forward_always": None,
    "forward_busy": None,
    "forward_no_answer": None,
    "forward_not_reachable": None,
    "do_not_disturb": False,
}


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("phone-features") / "var", "features")
    yield running
    running.stop()


async def bearer(product: ProductThread, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token(product.base_url, username, f'pw{username}')}"}


async def set_services(product: ProductThread, username: str, **settings: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        return await http.patch(
            SERVICES.format(username), json=settings, headers=await bearer(product, "admin")
        )


async def my_services(product: ProductThread, username: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        reply = await http.get("/api/v1/me/services", headers=await bearer(product, username))
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def dial(product: ProductThread, tmp_path: Path, extension: str, number: str) -> None:
    """`extension`'s phone dials `number` (a feature code): answered, then hung up by the PBX."""
    result = await run_sipp(
        "features_code_call.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": extension, "to": number, "media_port": free_port()},
        extra=["-au", extension, "-ap", f"pw{extension}"],
    )
    assert result.returncode == 0, result.errors


async def call(
    product: ProductThread, tmp_path: Path, caller: str, called: str, scenario: str = "ext_call.xml"
) -> None:
    result = await run_sipp(
        scenario,
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": caller, "to": called, "media_port": free_port(), "hold_ms": 300},
        extra=["-au", caller, "-ap", f"pw{caller}"],
    )
    assert result.returncode == 0, result.errors


def was_spoken(product: ProductThread, text: str) -> bool:
    spoken = SpokenPrompts(product.settings.var_dir.resolve() / "prompts" / "spoken")
    return spoken.file_for(text, "nl").exists()


CODES: list[tuple[str, dict[str, Any], Action, str]] = [
    ("*721004", {"forward_always": "1004"}, Action.FORWARD_ALWAYS_ON, "1004"),
    ("*73", {"forward_always": None}, Action.FORWARD_ALWAYS_OFF, ""),
    ("*901005", {"forward_busy": "1005"}, Action.FORWARD_BUSY_ON, "1005"),
    ("*91", {"forward_busy": None}, Action.FORWARD_BUSY_OFF, ""),
    ("*927003", {"forward_no_answer": "7003"}, Action.FORWARD_NO_ANSWER_ON, "7003"),
    ("*93", {"forward_no_answer": None}, Action.FORWARD_NO_ANSWER_OFF, ""),
    ("*94+31612345678", {"forward_not_reachable": "+31612345678"},
     Action.FORWARD_NOT_REACHABLE_ON, "+31612345678"),
    ("*95", {"forward_not_reachable": None}, Action.FORWARD_NOT_REACHABLE_OFF, ""),
    ("*78", {"do_not_disturb": True}, Action.DO_NOT_DISTURB_ON, ""),
    ("*79", {"do_not_disturb": False}, Action.DO_NOT_DISTURB_OFF, ""),
]  # fmt: skip


async def test_each_code_answers_with_its_confirmation_and_changes_the_setting(
    product: ProductThread, tmp_path: Path
) -> None:
    for dialled, expected, action, argument in CODES:
        await dial(product, tmp_path, "1001", dialled)
        services = await my_services(product, "1001")
        assert {key: services[key] for key in expected} == expected, dialled
        assert was_spoken(product, phrases.confirmation(action, argument, "nl")), dialled


async def test_acd_codes_change_the_agents_state_as_the_api_does(
    product: ProductThread, tmp_path: Path
) -> None:
    agent_token = await token(product.base_url, "1002", "pw1002")
    query = "query { agents { extension state unavailableCode } }"
    for dialled, state, code in (
        ("*50", "SIGN_IN", None),
        ("*52", "AVAILABLE", None),
        ("*5312", "UNAVAILABLE", "12"),
        ("*51", "SIGN_OUT", None),
    ):
        await dial(product, tmp_path, "1002", dialled)
        seen: dict[str, Any] = {}
        for _ in range(50):  # the snapshot follows the engine's event
            answer = await graphql(product.base_url, agent_token, query)
            seen = next(a for a in answer["data"]["agents"] if a["extension"] == "1002")
            if seen["state"] == state:
                break
            await asyncio.sleep(0.1)
        assert (seen["state"], seen["unavailableCode"]) == (state, code), dialled


async def test_a_vergaderzaal_phone_is_refused_naming_the_feature_and_its_profile(
    product: ProductThread, tmp_path: Path
) -> None:
    await dial(product, tmp_path, "1020", "*721001")
    assert (await my_services(product, "meetingroom"))["forward_always"] is None
    refusal = phrases.not_in_profile("*72", "CallForwardingAlways", "vergaderzaal", "nl")
    assert was_spoken(product, refusal)
    refused = await set_services(product, "meetingroom", do_not_disturb=True)
    assert refused.status_code == 422
    assert refused.json()["detail"] == {
        "field": "do_not_disturb",
        "reason": "the vergaderzaal profile does not include DoNotDisturb",
    }
    await dial(product, tmp_path, "1001", "*77")
    assert was_spoken(product, phrases.unknown_code("*77", "nl"))


async def test_forward_always_reaches_the_destination_and_a_loop_stops_with_482(
    product: ProductThread, tmp_path: Path
) -> None:
    assert (await set_services(product, "1003", **OFF | {"forward_always": "1004"})).is_success
    assert (await set_services(product, "1004", **OFF)).is_success
    diverted = "features_phone_answer_diverted.xml"  # checks the INVITE's Diversion header
    phone = await agent_phone(product.sip_port, "1004", diverted, tmp_path, diverted="sip:1003")
    try:
        await call(product, tmp_path, "1005", "1003")  # answered by 1004's phone
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    assert (await set_services(product, "1004", forward_always="1003")).is_success
    await call(product, tmp_path, "1005", "1003", "features_ext_call_fails_482.xml")
    # The caller's own way round: *80 before the number, its profile having DiversionInhibitor.
    await set_services(product, "1004", **OFF)
    phone = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        await call(product, tmp_path, "1005", "*801003")  # 1003 rings, not 1004
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    await set_services(product, "1003", **OFF)


async def test_do_not_disturb_is_busy_and_unreachable_or_unanswered_phones_forward(
    product: ProductThread, tmp_path: Path
) -> None:
    await dial(product, tmp_path, "1006", "*78")
    await call(product, tmp_path, "1005", "1006", "ext_call_fails_486.xml")
    await dial(product, tmp_path, "1006", "*79")
    # 1007 has no phone registered: not reachable -> 1008.
    patch: dict[str, Any] = OFF | {"forward_not_reachable": "1008"}
    assert (await set_services(product, "1007", **patch)).is_success
    phone = await agent_phone(product.sip_port, "1008", "agent_answer.xml", tmp_path)
    try:
        await call(product, tmp_path, "1005", "1007")
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    # 1009 rings without answering: after 5 s -> 1008.
    patch = OFF | {"forward_no_answer": "1008", "no_answer_seconds": 5}
    assert (await set_services(product, "1009", **patch)).is_success
    ringing = await agent_phone(product.sip_port, "1009", "agent_no_answer.xml", tmp_path)
    phone = await agent_phone(product.sip_port, "1008", "agent_answer.xml", tmp_path)
    try:
        await call(product, tmp_path, "1005", "1009")
        assert (await phone.wait()).returncode == 0
        assert (await ringing.wait()).returncode == 0  # cancelled when the time was up
    finally:
        phone.kill()
        ringing.kill()


async def test_a_forward_to_a_call_center_is_queued_and_a_long_chain_stops_with_483(
    product: ProductThread, tmp_path: Path
) -> None:
    assert (await set_services(product, "1003", **OFF | {"forward_always": "7001"})).is_success
    await call(product, tmp_path, "1005", "1003")  # the Helpdesk answers (welcome, music)
    # 1003 -> 1004 -> ... -> 1009 -> 1010: six diversions, one more than the PBX makes.
    chain = [str(n) for n in range(1003, 1011)]
    for here, there in pairwise(chain):
        assert (await set_services(product, here, **OFF | {"forward_always": there})).is_success
    await call(product, tmp_path, "1001", "1003", "features_ext_call_fails_483.xml")
    for here in chain:
        await set_services(product, here, **OFF)
