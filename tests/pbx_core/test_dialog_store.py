"""The callers' dialogs in Redis (pbx_core/sip/dialog_store.py): what a restarted PBX takes over,
fenced by the token of the node that wrote each, and what it refuses to read."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict

import pytest
from redis import Redis

from pbx_core.sip.dialog_store import (
    DialogRecordError,
    DialogStore,
    SipDialog,
    StoredDialog,
    StoredLeg,
)
from tests.pbx_core.conftest import REDIS_URL

CALLER_DIALOG = SipDialog(
    call_id="abc@127.0.0.1",
    local_tag="pbx-tag",
    local_uri="<sip:7001@127.0.0.1>;tag=pbx-tag",
    remote_uri="<sip:+31201234567@127.0.0.1>;tag=caller-tag",
    remote_target="sip:sipp@127.0.0.1:5061",
    routes=(),
    remote_host="127.0.0.1",
    remote_port=5061,
    transport="udp",
    local_contact="<sip:127.0.0.1:5060>",
    local_cseq=200,
    local_sdp="v=0\r\n",
    remote_sdp="v=0\r\n",
)
DIALOG = StoredDialog(
    call_id="abc@127.0.0.1",
    tenant="demo",
    caller="+31201234567",
    called="7001",
    caller_name="",
    source="trunk",
    route="7001",
    caller_tag="caller-tag",
    offer_sdp="v=0\r\n",
    leg_counter=1,
    dialog=CALLER_DIALOG,
    bridged=StoredLeg(
        "abc@127.0.0.1~1",
        "1001",
        "v=0\r\n",
        dataclasses.replace(CALLER_DIALOG, call_id="leg@127.0.0.1", routes=("<sip:p;lr>",)),
    ),
    token=1,
)


def test_a_dialog_round_trips_and_a_newer_nodes_dialog_is_left_alone(redis_prefix: str) -> None:
    with Redis.from_url(REDIS_URL) as redis:
        store = DialogStore(redis, redis_prefix)
        first, second = store.next_token(), store.next_token()
        assert second > first
        store.save(dataclasses.replace(DIALOG, token=first))
        store.save(dataclasses.replace(DIALOG, call_id="newer", token=second))
        # The node that started first (a stale node coming back) must not take the newer one.
        assert store.load(first) == [dataclasses.replace(DIALOG, token=first)]
        assert sorted(d.call_id for d in store.load(second)) == [DIALOG.call_id, "newer"]
        store.forget(DIALOG.call_id, first)
        assert [d.call_id for d in store.load(second)] == ["newer"]
        assert 0 < redis.ttl(store.key("newer")) <= 4 * 3600


def test_a_stale_node_neither_overwrites_nor_removes_a_newer_nodes_dialog(
    redis_prefix: str,
) -> None:
    with Redis.from_url(REDIS_URL) as redis:
        store = DialogStore(redis, redis_prefix)
        stale, newer = store.next_token(), store.next_token()
        assert store.save(dataclasses.replace(DIALOG, token=stale))
        assert store.save(dataclasses.replace(DIALOG, token=newer))  # the take-over
        assert not store.save(dataclasses.replace(DIALOG, token=stale, leg_counter=999))
        store.forget(DIALOG.call_id, stale)  # the stale node ends its copy of the call
        (kept,) = store.load(newer)
        assert (kept.token, kept.leg_counter) == (newer, DIALOG.leg_counter)
        store.forget(DIALOG.call_id, newer)
        assert store.load(newer) == []


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps({**dataclasses.asdict(DIALOG), "leg_counter": "1"}),
        json.dumps({**asdict(DIALOG), "dialog": {**asdict(CALLER_DIALOG), "local_cseq": "200"}}),
        json.dumps({**dataclasses.asdict(DIALOG), "token": True}),
        json.dumps({**dataclasses.asdict(DIALOG), "dialog": None}),
        json.dumps({**dataclasses.asdict(DIALOG), "bridged": {"leg_id": "x"}}),
        json.dumps(
            {**dataclasses.asdict(DIALOG), "dialog": {**asdict(CALLER_DIALOG), "routes": [1]}}
        ),
        json.dumps({k: v for k, v in dataclasses.asdict(DIALOG).items() if k != "tenant"}),
        json.dumps({**dataclasses.asdict(DIALOG), "cti_hold": 1}),
        json.dumps({**dataclasses.asdict(DIALOG), "cti_hold": None}),
    ],
)
def test_a_bad_stored_dialog_is_refused_and_removed(redis_prefix: str, raw: str) -> None:
    with pytest.raises(DialogRecordError):
        StoredDialog.decode(raw)
    assert StoredDialog.decode(DIALOG.encode()) == DIALOG
    alone = dataclasses.replace(DIALOG, bridged=None)
    assert StoredDialog.decode(alone.encode()) == alone
    with Redis.from_url(REDIS_URL) as redis:
        store = DialogStore(redis, redis_prefix)
        redis.set(store.key("bad"), raw)
        store.save(DIALOG)
        assert [d.call_id for d in store.load(store.next_token())] == [DIALOG.call_id]
        assert not redis.exists(store.key("bad"))


def test_a_held_call_round_trips_and_a_dialog_written_before_holds_were_kept_is_not_held() -> None:
    held = dataclasses.replace(DIALOG, cti_hold=True)
    assert StoredDialog.decode(held.encode()) == held
    older = {k: v for k, v in dataclasses.asdict(DIALOG).items() if k != "cti_hold"}
    assert StoredDialog.decode(json.dumps(older)).cti_hold is False
