"""Selective call rejection of private callers over real SIP: a carrier call that withholds its
identity (Privacy: id, or an anonymous From) to a user whose rejection rule lists "any private
number" gets 603 Decline; a caller showing its number still rings the user."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.features.criteria import Criteria, Selective
from pbx_core.features.diversion import Forwarding
from pbx_core.service import PbxService
from tests.pbx_core.support import EventLog, free_port, run_sipp
from tests.pbx_core.test_trunk_outbound import _carrier_calls_1001, pbx

__all__ = ["pbx"]

PRIVATE_REJECTED = Forwarding(selective=Selective(rejection=(Criteria("anon", any_private=True),)))


@pytest.mark.parametrize(
    ("caller", "host", "privacy"),
    [("+31612345678", "127.0.0.1", "id"), ("anonymous", "anonymous.invalid", "none")],
)
async def test_a_private_caller_is_declined_a_shown_one_rings(
    pbx: PbxService, events: EventLog, tmp_path: Path, caller: str, host: str, privacy: str
) -> None:
    pbx.user_services.put("demo", "1001", PRIVATE_REJECTED)
    refused = await run_sipp(
        "trunk_call_private_fails_603.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": caller, "from_host": host, "privacy": privacy,
                   "to": "+31201230001", "media_port": free_port()},
    )  # fmt: skip
    assert refused.returncode == 0, refused.errors
    declined = await events.next_of(cc.CallOffered)
    ended = await events.next_of(cc.CallHungUp, call_id=declined.call_id)
    assert (ended.side, ended.code) == (cc.HangupSide.PBX, 603)
    assert await pbx.active_calls() == []
    await _carrier_calls_1001(pbx, events, tmp_path, "trunk_call.xml", to="+31201230001")
