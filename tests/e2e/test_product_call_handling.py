"""Pickup, park and call waiting in the running product, as users meet them over SIPp phones: a
colleague takes a ringing phone's call with `*98` / `*97<ext>`, a user parks a caller with `*68`
and another takes it with `*88<ext>`, a parked call rings its parker again after the park
timeout, a second call reaches a user on a call. docs/phone-features.md, "Call handling"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pbx_core import call_control as cc
from pbx_core.features import phrases
from pbx_core.features.call_handling_phrases import Outcome, said
from tests.e2e.test_product_phone_features import dial, set_services, was_spoken
from tests.e2e.test_product_tenants import ACME_DOMAIN, acme_user, operator_client
from tests.pbx_core.support import Sipp, agent_phone, free_port, register
from tests.product_harness import ProductThread

PARK_TIMEOUT = 10.0
"""Long enough for the retrieve test to finish before the recall."""
E = TypeVar("E")


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    var = tmp_path_factory.mktemp("call-handling") / "var"
    running = ProductThread.start(var, "callhandling", park_timeout=PARK_TIMEOUT)
    yield running
    running.stop()


class PbxEvents:
    """Every PBX event of the running product, collected on its own loop."""

    def __init__(self, product: ProductThread) -> None:
        self.seen: list[cc.CallEvent] = []
        pbx = product.handle.pbx
        assert pbx is not None

        async def collect() -> None:
            async for event in pbx.events():
                self.seen.append(event)

        self._task: Future[None] = asyncio.run_coroutine_threadsafe(collect(), product.loop.loop)

    def mark(self) -> int:
        """Where the events from now on start (for `wait_for(..., after=)`)."""
        return len(self.seen)

    async def wait_for(self, kind: type[E], timeout: float = 20, after: int = 0, **match: Any) -> E:
        async with asyncio.timeout(timeout):
            while True:
                for event in list(self.seen)[after:]:
                    if isinstance(event, kind) and _matches(event, match):
                        return event
                await asyncio.sleep(0.05)

    def of(self, kind: type[E], **match: Any) -> list[E]:
        return [e for e in list(self.seen) if isinstance(e, kind) and _matches(e, match)]

    def stop(self) -> None:
        self._task.cancel()


def _matches(event: object, match: dict[str, Any]) -> bool:
    return all(getattr(event, key) == value for key, value in match.items())


@pytest.fixture
def events(product: ProductThread) -> Iterator[PbxEvents]:
    collected = PbxEvents(product)
    yield collected
    collected.stop()


def phone_call(
    product: ProductThread,
    tmp_path: Path,
    caller: str,
    called: str,
    scenario: str,
    seconds: int = 20,
    **extra: Any,
) -> Sipp:
    """`caller`'s phone calling `called` with `scenario` (ext_call*.xml), not started yet; it
    fails when not done after `seconds`."""
    return Sipp(
        scenario,
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": caller, "to": called, "media_port": free_port(), "hold_ms": 500} | extra,
        extra=["-au", caller, "-ap", f"pw{caller}", "-timeout", f"{seconds}s"],
    )


async def finished(*phones: Sipp) -> None:
    for phone in phones:
        try:
            result = await phone.wait(timeout=90)
            assert result.returncode == 0, result.errors
        finally:
            phone.kill()


async def pick_up(
    product: ProductThread, tmp_path: Path, events: PbxEvents, picker: str, code: str
) -> None:
    """1005 calls 1003, whose phone rings; `picker` dials `code` and talks with 1005."""
    start = events.mark()
    ringing = await agent_phone(product.sip_port, "1003", "agent_no_answer.xml", tmp_path)
    caller = await phone_call(product, tmp_path, "1005", "1003", "ext_call_remote_bye.xml").start()
    picking: Sipp | None = None
    try:
        await events.wait_for(cc.CallRinging, after=start, extension="1003")
        picking = await phone_call(product, tmp_path, picker, code, "ext_call.xml").start()
        await finished(picking, caller, ringing)  # cancelled at 1003, answered by `picker`
    finally:
        for phone in (ringing, caller, picking):
            if phone is not None:
                phone.kill()
    picked = await events.wait_for(cc.CallPickedUp, after=start, extension=picker)
    assert picked.ringing_extension == "1003"


async def test_a_colleague_picks_up_a_ringing_phone(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    await pick_up(product, tmp_path, events, "1004", "*98")
    await pick_up(product, tmp_path, events, "1006", "*971003")


async def test_pickup_refusals_are_spoken(product: ProductThread, tmp_path: Path) -> None:
    await dial(product, tmp_path, "1004", "*98")
    assert was_spoken(product, said(Outcome.NOTHING_TO_PICK_UP, "", "nl"))
    await dial(product, tmp_path, "1004", "*971002")
    assert was_spoken(product, said(Outcome.NOTHING_TO_PICK_UP, "1002", "nl"))
    await dial(product, tmp_path, "1020", "*98")  # Vergaderzaal: no CallPickup
    assert was_spoken(product, phrases.not_in_profile("*98", "CallPickup", "vergaderzaal", "nl"))
    await dial(product, tmp_path, "1004", "*881009")
    assert was_spoken(product, said(Outcome.NOTHING_PARKED, "1009", "nl"))


async def test_a_parked_call_is_retrieved_by_a_colleague_and_a_taken_slot_is_refused(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    parker = await agent_phone(product.sip_port, "1003", "callhandling_answer_park.xml", tmp_path)
    caller = await phone_call(product, tmp_path, "1005", "1003", "ext_call_remote_bye.xml").start()
    try:
        parked = await events.wait_for(cc.CallParked, extension="1003", retrieved_by="")
        await finished(parker)  # the PBX sent BYE to the parking phone
        # A second call parked on 1003's slot: refused, spoken to 1003, the call goes on.
        second = await agent_phone(
            product.sip_port, "1003", "callhandling_answer_park.xml", tmp_path
        )
        other = phone_call(product, tmp_path, "1006", "1003", "ext_call.xml", hold_ms=1000)
        await other.start()
        await finished(other, second)  # 1006 hung up; the phone of 1003 got that BYE
        assert was_spoken(product, said(Outcome.SLOT_TAKEN, "1003", "nl"))
        assert len(events.of(cc.CallParked, extension="1003", retrieved_by="")) == 1
        retriever = phone_call(product, tmp_path, "1004", "*881003", "ext_call.xml")
        await retriever.start()
        await finished(retriever, caller)  # 1004 talked to 1005, then hung up
    finally:
        parker.kill()
        caller.kill()
    retrieved = await events.wait_for(cc.CallParked, call_id=parked.call_id, retrieved_by="1004")
    assert retrieved.slot == "1003"


async def test_a_parked_call_rings_its_parker_again_after_the_park_timeout(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    parker = await agent_phone(product.sip_port, "1007", "callhandling_answer_park.xml", tmp_path)
    hold_ms = int(PARK_TIMEOUT * 1000) + 5000  # hangs up a while after the recall
    caller = phone_call(product, tmp_path, "1005", "1007", "ext_call.xml", 60, hold_ms=hold_ms)
    await caller.start()
    try:
        parked = await events.wait_for(cc.CallParked, extension="1007", retrieved_by="")
        await finished(parker)
        again = await agent_phone(product.sip_port, "1007", "agent_answer.xml", tmp_path)
        await events.wait_for(cc.CallParked, call_id=parked.call_id, retrieved_by="1007")
        await events.wait_for(cc.CallAnswered, call_id=parked.call_id, extension="1007")
        await finished(caller, again)  # 1005 hung up on the recalled 1007
    finally:
        parker.kill()
        caller.kill()


async def test_a_transfer_to_star_68_parks_the_caller(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    transfer = "agent_record_and_transfer.xml"
    parker = await agent_phone(product.sip_port, "1008", transfer, tmp_path, refer_to="*68")
    caller = await phone_call(product, tmp_path, "1005", "1008", "ext_call_remote_bye.xml").start()
    try:
        await events.wait_for(cc.CallParked, extension="1008", retrieved_by="")
        await finished(parker)
        retriever = phone_call(product, tmp_path, "1008", "*88", "ext_call.xml")
        await retriever.start()
        await finished(retriever, caller)
    finally:
        parker.kill()
        caller.kill()


async def test_a_second_call_rings_a_user_on_a_call_unless_call_waiting_is_off(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    port = free_port()
    registered = await register(product.sip_port, "1009", port, tmp_path)
    assert registered.returncode == 0, registered.errors
    both = Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 300},
        calls=2,
    )
    await both.start()
    first = phone_call(product, tmp_path, "1005", "1009", "ext_call.xml", hold_ms=6000)
    await first.start()
    try:
        answered = await events.wait_for(cc.CallAnswered, extension="1009")
        waiting = await phone_call(product, tmp_path, "1006", "1009", "ext_call.xml").start()
        await finished(waiting)  # the second call rang 1009's phone and was answered
        calls = {e.call_id for e in events.of(cc.CallAnswered, extension="1009")}
        assert len(calls - {answered.call_id}) == 1
        assert (await set_services(product, "1009", call_waiting=False)).is_success
        busy = await phone_call(product, tmp_path, "1006", "1009", "ext_call.xml").start()
        await finished(busy)  # 1009 is busy: voicemail answers (docs/voicemail.md)
        refused = events.of(cc.OfferFailed, extension="1009", failure=cc.OfferFailure.BUSY)
        assert refused, events.seen
        await finished(first, both)
    finally:
        first.kill()
        both.kill()
        await set_services(product, "1009", call_waiting=True)


async def test_another_tenants_user_picks_up_and_retrieves_nothing_of_this_tenant(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    with operator_client(product.base_url) as operator:
        made = operator.post(
            "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": ACME_DOMAIN}
        )
        assert made.status_code == 201, made.text
        user = operator.post("/api/v1/tenants/acme/users", json=acme_user("1004", ["agent"]))
        assert user.status_code == 201, user.text
    ringing = await agent_phone(product.sip_port, "1003", "agent_no_answer.xml", tmp_path)
    caller = await phone_call(product, tmp_path, "1005", "1003", "ext_call_remote_bye.xml").start()
    try:
        await events.wait_for(cc.CallRinging, extension="1003")
        for code in ("*98", "*971003", "*881003"):
            # acme's 1004, in acme.test: answered by the PBX (which says nothing rings there).
            acme = Sipp(
                "tenant_call.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", product.sip_port),
                variables={
                    "from": "1004",
                    "to": code,
                    "from_domain": ACME_DOMAIN,
                    "to_domain": ACME_DOMAIN,
                    "media_port": free_port(),
                    "hold_ms": 300,
                },
                extra=["-au", "1004", "-ap", "acme-sip-1004"],
            )
            await acme.start()
            await finished(acme)
        assert not events.of(cc.CallPickedUp, ringing_extension="1003")
        # The demo's own 1004 still can: the call was left ringing.
        picking = await phone_call(product, tmp_path, "1004", "*98", "ext_call.xml").start()
        await finished(picking, caller, ringing)
    finally:
        ringing.kill()
        caller.kill()
    assert events.of(cc.CallPickedUp, extension="1004", ringing_extension="1003")


async def test_an_attended_transfer_with_replaces_connects_the_caller_and_the_colleague(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1005 calls 1010; 1010 calls 1002 (the consultation), then REFERs 1005 to 1002 with
    Replaces naming that call: 1005 and 1002 talk, both of 1010's calls end."""
    consult_id = f"consult-{free_port()}"
    transferor = await agent_phone(
        product.sip_port,
        "1010",
        "callhandling_answer_refer_replaces.xml",
        tmp_path,
        refer_to="1002",
        consult_id=consult_id,
        wait_ms=2500,
    )
    colleague = await agent_phone(
        product.sip_port, "1002", "agent_answer_reinvites.xml", tmp_path
    )  # the re-INVITE that points it at the caller
    caller = phone_call(product, tmp_path, "1005", "1010", "ext_call.xml", 40, hold_ms=7000)
    await caller.start()
    consult = Sipp(
        "callhandling_consult_call.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": "1010", "to": "1002", "media_port": free_port()},
        extra=["-au", "1010", "-ap", "pw1010", "-cid_str", consult_id],
    )
    try:
        answered = await events.wait_for(cc.CallAnswered, extension="1010")
        await consult.start()
        await finished(transferor, consult)  # both of 1010's calls got the PBX's BYE
        moved = await events.wait_for(cc.CallTransferred, call_id=answered.call_id)
        assert moved.target == "1002"
        await events.wait_for(cc.CallHungUp, call_id=consult_id)
        await finished(caller, colleague)  # 1005 talked to 1002, hung up; 1002 got the BYE
    finally:
        for phone in (transferor, colleague, caller, consult):
            phone.kill()


async def test_an_invite_with_replaces_picks_up_a_ringing_leg(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1005 calls 1003; 1004's phone, knowing the ringing dialog (as a BLF NOTIFY shows it),
    sends an INVITE with Replaces naming it and talks to 1005. A wrong tag gets 481."""
    port = free_port()
    registered = await register(product.sip_port, "1003", port, tmp_path)
    assert registered.returncode == 0, registered.errors
    ringing = Sipp(
        "callhandling_ring_logged.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": free_port()},
        extra=["-trace_logs"],
    )
    await ringing.start()
    caller = await phone_call(product, tmp_path, "1005", "1003", "ext_call_remote_bye.xml").start()
    try:
        await events.wait_for(cc.CallRinging, extension="1003")
        logs = list(tmp_path.glob("callhandling_ring_logged_*_logs.log"))
        assert logs
        logged = [line.split() for line in logs[0].read_text().splitlines()]
        words = next(w for w in logged if "dialog" in w)
        at = words.index("dialog")  # "dialog <Call-ID> <the PBX's tag> (tag=...)"
        dialog_id, pbx_tag = words[at + 1], words[at + 2]
        wrong = phone_call(
            product,
            tmp_path,
            "1004",
            "1003",
            "callhandling_invite_replaces_fails_481.xml",
            replaces_id=dialog_id,
            replaces_tag="not-the-tag",
        )
        await wrong.start()
        await finished(wrong)
        taking = phone_call(
            product,
            tmp_path,
            "1004",
            "1003",
            "callhandling_invite_replaces.xml",
            replaces_id=dialog_id,
            replaces_tag=pbx_tag,
        )
        await taking.start()
        await finished(taking, caller, ringing)
    finally:
        ringing.kill()
        caller.kill()
    assert events.of(cc.CallPickedUp, extension="1004", ringing_extension="1003")


async def test_redial_and_call_return_call_the_last_number_and_the_last_caller(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    # 1001 is in no other test of this module: it called nobody and nobody called it yet.
    await dial(product, tmp_path, "1001", "*66")
    assert was_spoken(product, said(Outcome.NOTHING_TO_REDIAL, "", "nl"))
    await dial(product, tmp_path, "1001", "*69")
    assert was_spoken(product, said(Outcome.NOBODY_TO_CALL_BACK, "", "nl"))
    callee = await agent_phone(product.sip_port, "1008", "agent_answer.xml", tmp_path)
    first = phone_call(product, tmp_path, "1001", "1008", "ext_call.xml")
    await first.start()
    await finished(first, callee)
    for code, caller, reached in (("*66", "1001", "1008"), ("*69", "1008", "1001")):
        start = events.mark()
        phone = await agent_phone(product.sip_port, reached, "agent_answer.xml", tmp_path)
        again = phone_call(product, tmp_path, caller, code, "ext_call.xml")
        await again.start()
        await finished(again, phone)
        await events.wait_for(cc.CallAnswered, after=start, extension=reached)
