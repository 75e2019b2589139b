"""Hoteling (Flexplek) over real SIP: SIPp phones, the PIN keyed as RFC 4733 DTMF through
rtpengine, provisioning on SQLite. The host phone 1005 signs the guest 1001 in with `*451001`
and the PIN; then a call to 1001 rings the host phone, and a call from the host is 1001's;
another guest is refused ("host in use"), wrong PINs lock the host; `*46` signs out and the idle
host may call nobody but the codes, the portal and 112."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from cti.hoteling_calls import HotelingCalls, LiveHoteling
from cti.passwords import TEST_COST, hash_password
from pbx_core import call_control as cc
from pbx_core.call_control import DEFAULT_TENANT
from pbx_core.features import hoteling_phrases
from pbx_core.features.codes import FEATURE_CODE_ROUTE
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.service import PbxService
from provisioning.db import migrate
from provisioning.hoteling import MAX_HOST_WRONG_PINS
from provisioning.hoteling_store import HotelingService
from provisioning.service import ProvisioningService
from provisioning.voicemail_boxes import VoicemailBoxes
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import EventLog, Sipp, agent_phone, free_port, run_sipp
from tests.pbx_core.test_bridge_rooms import _prompted
from tests.pbx_core.test_three_way_call import _key
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec

HOST, GUEST, OTHER_GUEST, CALLER = "1005", "1001", "1003", "1002"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'provisioning.db'}")
    migrate(made)
    yield made
    made.dispose()


@pytest.fixture
def hoteling(engine: Engine, pbx: PbxService, tmp_path: Path) -> HotelingService:
    provisioning = ProvisioningService(engine, lambda p: hash_password(p, TEST_COST))
    provisioning.create_tenant("operator", tenant_spec(DEFAULT_TENANT, contract_profiles=5))
    provisioning.create_users(
        "operator", DEFAULT_TENANT, [spec(int(e)) for e in (HOST, GUEST, OTHER_GUEST, CALLER)]
    )
    pins = VoicemailBoxes(engine)
    pins.set_pin(DEFAULT_TENANT, GUEST, "4321")
    pins.set_pin(DEFAULT_TENANT, OTHER_GUEST, "5555")
    service = HotelingService(engine)
    service.set_host("admin", DEFAULT_TENANT, HOST, 60)
    LiveHoteling(service, pbx.hoteling).load(DEFAULT_TENANT)
    calls = HotelingCalls(
        pbx.send,
        service,
        SpokenPrompts(tmp_path / "spoken"),
        language=lambda _tenant, _extension: "nl",
    )
    pbx.register_handler(calls.on_call_event, [FEATURE_CODE_ROUTE])
    return service


async def _dial_code(pbx: PbxService, tmp_path: Path, code: str, keys: str = "") -> None:
    """The host phone dials `code`, keys `keys` after the prompt; the PBX hangs up."""
    phone = RtpPhone(None).start()
    try:
        sipp = await Sipp(
            "ext_call_remote_bye.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": HOST, "to": code, "media_port": phone.port},
            extra=["-au", HOST, "-ap", f"pw{HOST}"],
        ).start()
        if keys:
            await _prompted(phone)
            await _key(phone, keys)
        result = await sipp.wait()
        assert result.returncode == 0, result.errors
    finally:
        await phone.close()


def _spoken(tmp_path: Path, text: str) -> bool:
    """The host phone was told `text` (the handler's speech cache has its file)."""
    return SpokenPrompts(tmp_path / "spoken").file_for(text, "nl").exists()


async def _until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def _call(pbx: PbxService, tmp_path: Path, caller: str, called: str) -> dict[str, Any]:
    return {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": caller, "to": called, "media_port": free_port(), "hold_ms": 500},
        "extra": ["-au", caller, "-ap", f"pw{caller}"],
    }


async def test_a_guest_signs_in_on_a_host_and_its_calls_ring_there(
    pbx: PbxService, events: EventLog, hoteling: HotelingService, tmp_path: Path
) -> None:
    table = pbx.hoteling
    # The idle host calls nobody (but the codes, the portal, 112)
    idle = await run_sipp("ext_call_fails_403.xml", **_call(pbx, tmp_path, HOST, CALLER))
    assert idle.returncode == 0, idle.errors

    await _dial_code(pbx, tmp_path, f"*45{GUEST}", "4321#")
    await _until(lambda: table.guest_at(DEFAULT_TENANT, HOST) == GUEST)
    assert [v.guest for v in hoteling.hosts(DEFAULT_TENANT)] == [GUEST]

    # A call to the guest rings the host phone (registered as 1005), which answers
    host_phone = await agent_phone(pbx.config.sip_port, HOST, "agent_answer.xml", tmp_path)
    to_guest = await run_sipp("ext_call.xml", **_call(pbx, tmp_path, CALLER, GUEST))
    assert to_guest.returncode == 0, to_guest.errors
    answered = await host_phone.wait()
    assert answered.returncode == 0, answered.errors

    # A call from the host phone is the guest's
    callee = await agent_phone(pbx.config.sip_port, CALLER, "agent_answer.xml", tmp_path)
    from_host = await run_sipp("ext_call.xml", **_call(pbx, tmp_path, HOST, CALLER))
    assert from_host.returncode == 0, from_host.errors
    assert (await callee.wait()).returncode == 0
    offered = await events.next_of(cc.CallOffered, called=CALLER)
    assert offered.caller == GUEST

    # Another guest: "host in use"; the first stays
    await _dial_code(pbx, tmp_path, f"*45{OTHER_GUEST}", "5555#")
    assert [v.guest for v in hoteling.hosts(DEFAULT_TENANT)] == [GUEST]
    assert _spoken(tmp_path, hoteling_phrases.host_in_use("nl"))

    # *46 signs out: the host is idle again, calls to 1001 no longer ring it
    await _dial_code(pbx, tmp_path, "*46")
    await _until(lambda: table.guest_at(DEFAULT_TENANT, HOST) is None)
    assert table.rings_at(DEFAULT_TENANT, GUEST) == GUEST


async def test_wrong_pins_lock_the_host(
    pbx: PbxService, hoteling: HotelingService, tmp_path: Path
) -> None:
    for _ in range(MAX_HOST_WRONG_PINS):
        await _dial_code(pbx, tmp_path, f"*45{OTHER_GUEST}", "0000#")
    [host] = hoteling.hosts(DEFAULT_TENANT)
    assert host.locked_until is not None and host.guest is None
    # Now even the right PIN is refused
    await _dial_code(pbx, tmp_path, f"*45{GUEST}", "4321#")
    assert hoteling.hosts(DEFAULT_TENANT)[0].guest is None
    assert pbx.hoteling.guest_at(DEFAULT_TENANT, HOST) is None
    assert _spoken(tmp_path, hoteling_phrases.wrong_pin("nl"))
    assert _spoken(tmp_path, hoteling_phrases.host_locked("nl"))
