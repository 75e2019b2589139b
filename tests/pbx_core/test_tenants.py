"""Two tenants on one PBX, over real SIP (SIPp): demo at 127.0.0.1 and acme at acme.test, both
with extensions 1001/1002 and call center 7001. SIPp sends everything to 127.0.0.1 and puts the
tenant's domain in the Request-URI, From and To, as a phone of that company would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pbx_core import call_control as cc
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.directory import Directories, Directory, SipUser
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.service import PbxService
from tests.pbx_core.conftest import REDIS_URL
from tests.pbx_core.support import EventLog, Sipp, free_port, free_sip_port, run_sipp

DEMO, DEMO_DOMAIN = "demo", "127.0.0.1"
ACME, ACME_DOMAIN = "acme", "acme.test"
TRUNK_CALLER = "+31201234567"


def password(tenant: str, extension: str) -> str:
    return f"{tenant}-pw{extension}"


def tenant_directory(tenant: str, domain: str) -> Directory:
    users = [
        SipUser(extension=ext, password=password(tenant, ext), tenant=tenant)
        for ext in ("1001", "1002")
    ]
    return Directory.of(users, ("7001",), tenant=tenant, domain=domain)


@pytest.fixture
async def pbx(
    redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess
) -> AsyncIterator[PbxService]:
    config = PbxConfig(
        sip_port=free_sip_port(),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
        prompts_dir=prompts_dir,
        extension_ring_timeout=2.0,
    )
    directories = Directories.of(
        [tenant_directory(DEMO, DEMO_DOMAIN), tenant_directory(ACME, ACME_DOMAIN)]
    )
    service = PbxService(config, directories)

    def busy(event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            service.send(cc.Reject(event.call_id, 486, "Busy Here"))

    service.register_handler(busy)  # every call center of both tenants: "queue full"
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
def events(pbx: PbxService) -> EventLog:
    return EventLog(pbx.subscribe())


async def register(
    pbx: PbxService, tenant: str, domain: str, extension: str, contact_port: int, work_dir: Path,
    *, secret: str | None = None,
) -> int:  # fmt: skip
    """REGISTER `extension`@`domain` with `secret` (default: the right password); the SIPp
    scenario checks the final answer (200, or 403 for a wrong secret)."""
    refused = secret is not None
    result = await run_sipp(
        "tenant_register_refused.xml" if refused else "tenant_register.xml",
        work_dir=work_dir,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"contact_port": contact_port, "domain": domain},
        extra=["-s", extension, "-au", extension, "-ap", secret or password(tenant, extension)],
    )
    assert result.returncode == 0, result.errors
    return contact_port


async def phone(pbx: PbxService, tenant: str, domain: str, extension: str, tmp: Path) -> Sipp:
    """A registered phone of `tenant` that answers one call and waits for its BYE."""
    port = await register(pbx, tenant, domain, extension, free_port(), tmp)
    return await Sipp(
        "agent_answer.xml",
        work_dir=tmp,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 100, "talk_ms": 300},
    ).start()


def call(
    pbx: PbxService, tenant: str, caller: str, called: str, tmp: Path, *,
    from_domain: str, to_domain: str,
) -> dict[str, Any]:  # fmt: skip
    return {
        "work_dir": tmp,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": caller, "to": called, "media_port": free_port(), "hold_ms": 300}
        | {"from_domain": from_domain, "to_domain": to_domain},
        "extra": ["-au", caller, "-ap", password(tenant, caller)],
    }


async def test_both_tenants_register_1001_in_their_own_realm(
    pbx: PbxService, tmp_path: Path
) -> None:
    demo_port = await register(pbx, DEMO, DEMO_DOMAIN, "1001", free_port(), tmp_path)
    acme_port = await register(pbx, ACME, ACME_DOMAIN, "1001", free_port(), tmp_path)
    demo, acme = pbx.registration("1001", DEMO), pbx.registration("1001", ACME)
    assert demo is not None and demo.port == demo_port and demo.tenant == DEMO
    assert acme is not None and acme.port == acme_port and acme.tenant == ACME


async def test_one_tenants_password_does_not_register_the_other_tenants_extension(
    pbx: PbxService, tmp_path: Path
) -> None:
    demo_secret = password(DEMO, "1002")
    await register(pbx, ACME, ACME_DOMAIN, "1002", free_port(), tmp_path, secret=demo_secret)
    # A domain no tenant has: challenged like any other (no enumeration), then refused.
    await register(pbx, DEMO, "nobody.test", "1002", free_port(), tmp_path, secret=demo_secret)
    assert pbx.registration("1002", ACME) is None
    assert pbx.registration("1002", DEMO) is None


async def test_calls_stay_within_their_tenant(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    demo_phone = await phone(pbx, DEMO, DEMO_DOMAIN, "1002", tmp_path)
    acme_phone = await phone(pbx, ACME, ACME_DOMAIN, "1002", tmp_path)
    try:
        acme_call = call(
            pbx, ACME, "1001", "1002", tmp_path, from_domain=ACME_DOMAIN, to_domain=ACME_DOMAIN
        )
        caller = await run_sipp("tenant_call.xml", **acme_call)
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered, tenant=ACME)
        assert (offered.caller, offered.called) == ("1001", "1002")
        assert (await acme_phone.wait()).returncode == 0  # acme's 1002 took acme's call
        demo_call = call(
            pbx, DEMO, "1001", "1002", tmp_path, from_domain=DEMO_DOMAIN, to_domain=DEMO_DOMAIN
        )
        caller = await run_sipp("tenant_call.xml", **demo_call)
        assert caller.returncode == 0, caller.errors
        await events.next_of(cc.CallOffered, tenant=DEMO)
        assert (await demo_phone.wait()).returncode == 0  # and demo's 1002 demo's
    finally:
        demo_phone.kill()
        acme_phone.kill()


async def test_cross_tenant_attempts_fail(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    # acme's 1001, authenticated in acme.test, dials demo's domain: 403.
    across = call(
        pbx, ACME, "1001", "1002", tmp_path, from_domain=ACME_DOMAIN, to_domain=DEMO_DOMAIN
    )
    result = await run_sipp("tenant_call_fails_403.xml", **across)
    assert result.returncode == 0, result.errors
    # acme's credentials presented as demo's 1001 (From in demo's domain): 403.
    disguised = call(
        pbx, ACME, "1001", "1002", tmp_path, from_domain=DEMO_DOMAIN, to_domain=DEMO_DOMAIN
    )
    result = await run_sipp("tenant_call_fails_403.xml", **disguised)
    assert result.returncode == 0, result.errors
    # An extension only the other tenant has does not exist here: 404.
    demo = pbx.directories.of_tenant(DEMO)
    assert demo is not None
    await pbx.update_directory(
        Directory.of(
            [*demo.users.values(), SipUser("3001", "x", tenant=DEMO)],
            demo.call_center_numbers, tenant=DEMO, domain=DEMO_DOMAIN,
        )
    )  # fmt: skip
    missing = call(
        pbx, ACME, "1001", "3001", tmp_path, from_domain=ACME_DOMAIN, to_domain=ACME_DOMAIN
    )
    result = await run_sipp("tenant_call_fails_404.xml", **missing)
    assert result.returncode == 0, result.errors
    assert events.of(cc.CallOffered) == []


async def test_each_7001_takes_its_own_calls(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    # From 127.0.0.1, the trusted trunk address: the Request-URI's domain names the tenant.
    for tenant, domain in ((DEMO, DEMO_DOMAIN), (ACME, ACME_DOMAIN)):
        trunk = await run_sipp(
            "tenant_trunk_call_rejected.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": TRUNK_CALLER, "to": "7001", "media_port": free_port()}
            | {"from_domain": "carrier.test", "to_domain": domain},
        )
        assert trunk.returncode == 0, trunk.errors
        offered = await events.next_of(cc.CallOffered, called="7001")
        assert (offered.tenant, offered.source) == (tenant, cc.CallSource.TRUNK)


async def test_click_to_dial_rings_the_tenants_own_phones(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    # Both tenants' 1001 and 1002 are registered; acme's click-to-dial must ring acme's.
    demo_phones = [await phone(pbx, DEMO, DEMO_DOMAIN, ext, tmp_path) for ext in ("1001", "1002")]
    port = await register(pbx, ACME, ACME_DOMAIN, "1001", free_port(), tmp_path)
    agent = await Sipp(
        "agent_answer_hangup.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 100, "talk_ms": 300},
    ).start()
    destination = await phone(pbx, ACME, ACME_DOMAIN, "1002", tmp_path)
    try:
        pbx.send(cc.Dial("c2d-acme", "1001", "1002", ring_timeout=5, tenant=ACME))
        await events.next_of(cc.CallAnswered, call_id="c2d-acme", leg_id="destination")
        await events.next_of(cc.CallHungUp, call_id="c2d-acme")
        assert (await agent.wait()).returncode == 0  # acme's 1001 rang first and hung up
        assert (await destination.wait()).returncode == 0  # then acme's 1002
    finally:
        for sipp in (agent, destination, *demo_phones):
            sipp.kill()
