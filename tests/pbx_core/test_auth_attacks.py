"""Password guessing over SIP, as an attacker would (SIPp from its own loopback address): wrong
passwords in a loop get the address banned (503 with Retry-After, a log line, the counts for
/metrics), the right phone from another address keeps working, and the ban ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pbx_core.config import PbxConfig
from pbx_core.service import PbxService
from pbx_core.sip.auth_throttle import AuthThrottle, ThrottlePolicy
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.support import SippResult, free_port, free_sip_port, run_sipp

POLICY = ThrottlePolicy(max_failures=4, window_seconds=60.0, ban_seconds=2.0)
ATTACKER, OTHER_ATTACKER, PHONE = "127.0.0.2", "127.0.0.4", "127.0.0.3"
"""All loopback; 127.0.0.1 is the demo's trusted trunk address, which is never banned."""


@pytest.fixture
async def pbx(redis_prefix: str) -> AsyncIterator[PbxService]:
    config = PbxConfig(
        sip_port=free_sip_port(), redis_url=REDIS_URL, key_prefix=redis_prefix,
        auth_throttle=POLICY,
    )  # fmt: skip
    service = PbxService(config, directory_for_tests())
    await service.start()
    yield service
    await service.stop()


def throttle(pbx: PbxService) -> AuthThrottle:
    assert pbx.auth_throttle is not None
    return pbx.auth_throttle


async def register(
    pbx: PbxService, source: str, scenario: str, work: Path, password: str = "pw1001",
    calls: int = 1,
) -> SippResult:  # fmt: skip
    return await run_sipp(
        scenario,
        work_dir=work,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"contact_port": free_port()},
        extra=["-i", source, "-s", "1001", "-au", "1001", "-ap", password],
        calls=calls,
    )


async def test_guessing_passwords_gets_the_address_banned_until_the_ban_ends(
    pbx: PbxService, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pbx_core.sip.auth_throttle"):
        guesses = await register(pbx, ATTACKER, "register_refused.xml", tmp_path, "guess", 4)
    assert guesses.returncode == 0, guesses.errors  # 401, then 403 for each wrong password
    assert any(ATTACKER in r.getMessage() and "banned" in r.getMessage() for r in caplog.records)
    counts = throttle(pbx).counts()
    assert (counts.failures, counts.bans, counts.banned_now) == (4, 1, 1)

    # Banned: even the right password gets 503 + Retry-After, before any digest is looked at.
    banned = await register(pbx, ATTACKER, "register_banned.xml", tmp_path)
    assert banned.returncode == 0, banned.errors
    assert pbx.registration("1001") is None
    # The right phone from its own address is not touched.
    phone = await register(pbx, PHONE, "register.xml", tmp_path)
    assert phone.returncode == 0, phone.errors
    assert pbx.registration("1001") is not None

    # The ban ends: the attacker's address may try again (and, with the password, register).
    for _ in range(40):
        if throttle(pbx).retry_after(ATTACKER) is None:
            break
        await asyncio.sleep(0.25)
    again = await register(pbx, ATTACKER, "register.xml", tmp_path)
    assert again.returncode == 0, again.errors


async def test_guessing_with_invites_bans_as_well(pbx: PbxService, tmp_path: Path) -> None:
    call = {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": "1001", "to": "1002", "media_port": free_port()},
    }
    for _ in range(POLICY.max_failures):
        refused = await run_sipp(
            "ext_call_fails_403.xml",
            **call,
            extra=["-i", OTHER_ATTACKER, "-au", "1001", "-ap", "x"],
        )
        assert refused.returncode == 0, refused.errors
    banned = await run_sipp(
        "ext_call_banned.xml", **call, extra=["-i", OTHER_ATTACKER, "-au", "1001", "-ap", "pw1001"]
    )
    assert banned.returncode == 0, banned.errors
    assert throttle(pbx).retry_after(ATTACKER) is None  # one address's ban is its own


def test_failures_outside_the_window_do_not_add_up() -> None:
    now = [0.0]
    guard = AuthThrottle(ThrottlePolicy(3, 10.0, 30.0), clock=lambda: now[0])
    for _ in range(2):
        guard.failed("192.0.2.1", "REGISTER 1001@acme.test")
    now[0] = 11.0
    guard.failed("192.0.2.1", "REGISTER 1001@acme.test")
    assert guard.retry_after("192.0.2.1") is None
    guard.failed("192.0.2.1", "REGISTER 1001@acme.test")
    guard.failed("192.0.2.1", "REGISTER 1001@acme.test")
    assert guard.retry_after("192.0.2.1") == 30
    now[0] = 40.5
    assert guard.retry_after("192.0.2.1") == 1
    now[0] = 41.0
    assert guard.retry_after("192.0.2.1") is None


def test_a_flood_from_many_addresses_keeps_memory_bounded() -> None:
    guard = AuthThrottle(ThrottlePolicy(2, 60.0, 60.0), clock=lambda: 0.0, max_tracked=100)
    for n in range(10_000):
        guard.failed(f"10.0.{n // 256}.{n % 256}", "INVITE 1001@demo")
    assert len(guard._failures) <= 100
