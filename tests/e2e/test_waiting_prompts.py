"""What waiting callers hear, over SIP: in the demo's Service line (7003, estimated wait by
position) each SIPp caller is told their own place in the queue, spoken into a real file that
rtpengine plays to its end (the PBX's `MediaFinished` comes after the file's duration)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cti.engine_runtime import EngineRuntime
from pbx_core import call_control as pbx_cc
from pbx_core.media.spoken import SpokenPrompts, position_text
from pbx_core.service import PbxService
from tests.e2e.test_queue_over_sip import caller
from tests.pbx_core.support import EventLog as PbxEvents
from tests.pbx_core.support import run_sipp


async def test_each_waiting_caller_hears_their_place_in_the_queue(
    pbx: PbxService, runtime: EngineRuntime, events: PbxEvents, tmp_path: Path
) -> None:
    calls, call_ids = [], []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        call = run_sipp("trunk_call.xml", **caller(pbx, tmp_path / name, "7003", 15000))
        calls.append(asyncio.create_task(call))
        call_ids.append((await events.next_of(pbx_cc.CallOffered, called="7003")).call_id)
    spoken = SpokenPrompts(pbx.config.prompts_dir / "spoken")
    for place, call_id in enumerate(call_ids, start=1):
        await events.next_of(pbx_cc.MediaFinished, call_id=call_id, prompt="welcome_nl")
        heard = await events.next_of(pbx_cc.MediaFinished, call_id=call_id, timeout=20)
        # The runtime spoke the file already: this only looks its path up.
        assert heard.prompt == str(spoken.path(position_text(place, "nl"), "nl"))
    results = await asyncio.gather(*calls)
    assert [r.returncode for r in results] == [0, 0], [r.errors for r in results]
