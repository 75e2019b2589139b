"""The filtered calls the manager and its assistants see (cti/manager_assistant_calls.py),
following the PBX's events: ringing, not answered, ended; the whisper spoken for the manager and
handed to the PBX's table; each change on the tenant's live stream; nothing for another tenant."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cti.manager_assistant_calls import FilteredCalls, Outcome
from pbx_core import call_control as cc
from pbx_core.features import manager_assistant_phrases as say
from pbx_core.features.manager_assistant import FilteredCall, ManagerAssistantTable
from pbx_core.media.spoken import SpokenPrompts

CALL = FilteredCall("acme", "c1", "1001", "1002", "0612345678", "Jan Jansen")


async def test_a_filtered_call_followed_to_its_end(tmp_path: Path) -> None:
    table = ManagerAssistantTable()
    spoken = SpokenPrompts(tmp_path)
    calls = FilteredCalls(lambda _c: None, spoken, lambda _t, _e: "nl", table)
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
    [entry] = calls.of("acme", {"1001"})
    assert (entry.outcome, entry.ended) == (Outcome.NOT_ANSWERED, True)
    assert entry.as_json()["caller_name"] == "Jan Jansen"
    assert calls.live("acme", "c1") is None and table.whisper("c1") is None
    assert calls.of("other", {"1001"}) == [] and calls.of("acme", {"1003"}) == []
