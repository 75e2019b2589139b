"""Privacy and the busy lamp field over real SIP: a colleague with Privacy on refuses a BLF
SUBSCRIBE from a watcher they have not permitted with 403; the user's own phone and permitted
colleagues may watch (the pure rule)."""

from __future__ import annotations

from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.features.diversion import Forwarding
from pbx_core.service import PbxService
from tests.pbx_core.support import run_sipp

PRIVATE = Forwarding(privacy=frozenset({"1004"}))


def test_who_may_watch_a_private_user() -> None:
    assert PRIVATE.visible_to("1004", "1002")
    assert PRIVATE.visible_to("1002", "1002")
    assert not PRIVATE.visible_to("1003", "1002")
    assert not PRIVATE.visible_to(None, "1002")
    assert Forwarding().visible_to("1003", "1002")


async def test_a_blf_key_on_a_private_colleague_is_refused(pbx: PbxService, tmp_path: Path) -> None:
    pbx.user_services.put(cc.DEFAULT_TENANT, "1002", PRIVATE)
    refused = await run_sipp(
        "blf_subscribe_refused.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "1003", "to": "1002"},
        extra=["-au", "1003", "-ap", "pw1003"],
    )
    assert refused.returncode == 0, refused.errors
