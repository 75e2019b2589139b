"""The filtered calls the manager and its assistants see (cti/manager_assistant_calls.py),
following the PBX's events: ringing, not answered, ended; the whisper spoken for the manager and
handed to the PBX's table; each change on the tenant's live stream; nothing for another tenant.
The lists kept in real Redis survive a restart (a new `FilteredCalls` on the same keys): newest
first, at most 50 per manager, merged with the calls since, per tenant and manager."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from redis.asyncio import Redis

from cti.filtered_calls_store import KEEP_PER_MANAGER, FilteredCallsStore
from cti.manager_assistant_calls import FilteredCalls, Outcome
from pbx_core import call_control as cc
from pbx_core.features import manager_assistant_phrases as say
from pbx_core.features.manager_assistant import FilteredCall, ManagerAssistantTable
from pbx_core.media.spoken import SpokenPrompts

CALL = FilteredCall("acme", "c1", "1001", ("1002",), "0612345678", "Jan Jansen")


def _calls(tmp_path: Path, redis: Redis, prefix: str) -> FilteredCalls:
    """The product's `FilteredCalls` (a process's), on the test's Redis keys."""
    store = FilteredCallsStore(redis, prefix)
    return FilteredCalls(lambda _c: None, SpokenPrompts(tmp_path), lambda _t, _e: "nl",
                         ManagerAssistantTable(), store)  # fmt: skip


async def _saved(calls: FilteredCalls) -> None:
    for _ in range(300):  # the saver writes off the event's path
        if calls._saving is None or calls._saving.done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the filtered calls were not saved")


async def test_a_filtered_call_followed_to_its_end(
    tmp_path: Path, redis: Redis, prefix: str
) -> None:
    calls = _calls(tmp_path, redis, prefix)
    table, spoken = calls.table, calls.spoken
    with calls.listen("acme") as acme, calls.listen("other") as other:
        calls.filtered(CALL)
        assert (await acme.get()) is calls.live("acme", "c1")
        whisper = spoken.file_for(say.whisper(CALL.caller, CALL.caller_name, "nl"), "nl")
        for _ in range(300):  # espeak-ng speaks it off the loop
            if table.whisper("c1") is not None:
                break
            await asyncio.sleep(0.05)
        assert table.whisper("c1") == str(whisper) and whisper.exists()

        # The assistant's phone is rung by someone else's call: no change here.
        await calls.on_call_event(cc.CallAnswered("c2", "c2~1", "1002"))
        await calls.on_call_event(
            cc.OfferFailed("c1", "c1~1", "1002", cc.OfferFailure.NO_ANSWER, 408)
        )
        await calls.on_call_event(cc.CallHungUp("c1", cc.HangupSide.CALLER))
        changes = [await acme.get(), await acme.get()]
        assert [c.outcome for c in changes if c is not None] == [Outcome.NOT_ANSWERED] * 2
        assert other.empty()
    [entry] = await calls.of("acme", {"1001"})
    assert (entry.outcome, entry.ended) == (Outcome.NOT_ANSWERED, True)
    assert entry.as_json()["caller_name"] == "Jan Jansen"
    assert calls.live("acme", "c1") is None and table.whisper("c1") is None
    assert await calls.of("other", {"1001"}) == [] and await calls.of("acme", {"1003"}) == []


async def test_the_lists_survive_a_restart(tmp_path: Path, redis: Redis, prefix: str) -> None:
    before = _calls(tmp_path, redis, prefix)
    for n in range(KEEP_PER_MANAGER + 2):  # 52 calls for 1001: the oldest two fall off
        before.filtered(replace(CALL, call_id=f"c{n}", caller=f"06000000{n:02}"))
    before.filtered(replace(CALL, call_id="put"))
    await before.on_call_event(cc.CallAnswered("put", "put~1", "1002"))
    await before.on_call_event(cc.CallTransferred("put", "1001"))
    before.filtered(replace(CALL, tenant="other", call_id="o1"))  # same manager number
    await _saved(before)
    # The stored list is the manager's newest 50 (its JSON, newest first).
    stored = await FilteredCallsStore(redis, prefix).read("acme", "1001")
    assert len(stored) == KEEP_PER_MANAGER and stored[0]["outcome"] == "put_through"

    after = _calls(tmp_path, redis, prefix)  # the restarted process
    after.filtered(replace(CALL, call_id="new"))  # before anyone asked for the list
    await _saved(after)
    listed = await after.of("acme", {"1001"})
    assert [e.call.call_id for e in listed[:3]] == ["new", "put", f"c{KEEP_PER_MANAGER + 1}"]
    assert len(listed) == KEEP_PER_MANAGER
    put = listed[1]
    assert (put.outcome, put.ended, put.answered_by) == (Outcome.PUT_THROUGH, True, "1002")
    assert not listed[0].ended and after.live("acme", "put") is None
    assert [e.call.call_id for e in await after.of("other", {"1001"})] == ["o1"]
    assert await after.of("acme", {"1003"}) == []
    # A third process sees the same: the merged list was saved.
    again = await _calls(tmp_path, redis, prefix).of("acme", {"1001"})
    assert [e.call.call_id for e in again] == [e.call.call_id for e in listed]


async def test_two_assistants_rung_one_failing_then_the_other_answering(
    tmp_path: Path, redis: Redis, prefix: str
) -> None:
    calls = _calls(tmp_path, redis, prefix)
    calls.filtered(replace(CALL, assistants=("1002", "1004")))
    await calls.on_call_event(cc.OfferFailed("c1", "c1~1", "1002", cc.OfferFailure.BUSY, 486))
    [entry] = await calls.of("acme", {"1001"})
    assert entry.as_json()["outcome"] == "ringing"  # 1004 still rings
    await calls.on_call_event(cc.CallAnswered("c1", "c1~2", "1004"))
    assert (entry.as_json()["assistant"], entry.as_json()["outcome"]) == ("1004", "answered")
    assert entry.as_json()["assistants"] == ["1002", "1004"]
    calls.filtered(replace(CALL, call_id="c2", assistants=("1002", "1004")))
    for extension in ("1002", "1004"):
        failure = cc.OfferFailed("c2", "c2~1", extension, cc.OfferFailure.NO_ANSWER, 408)
        await calls.on_call_event(failure)
    unanswered = calls.live("acme", "c2")
    assert unanswered is not None and unanswered.outcome is Outcome.NOT_ANSWERED
