"""Trunks that register to their carrier (issue 15.1), against SIPp as the carrier's registrar:
digest on every REGISTER, a refresh before the granted time ends, an unregistration when the
trunk goes, and a back-off (not a hammering) while the carrier refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from pbx_core.config import PbxConfig
from pbx_core.service import PbxService
from pbx_core.sip.carrier_registration import RegistrationStatus
from pbx_core.trunks.registration import RegistrationPolicy, RegistrationState
from pbx_core.trunks.routing import Carrier, TrunkRouting
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.support import Sipp, free_sip_port
from tests.pbx_core.tcp_support import TCP

GRANTED = 3
"""Seconds the SIPp registrar grants: the refresh must come within them."""
BACK_OFF = RegistrationPolicy(first_retry=1.0, max_retry=4.0)


@pytest.fixture
async def pbx(redis_prefix: str, prompts_dir: Path) -> AsyncIterator[PbxService]:
    config = PbxConfig(
        sip_port=free_sip_port(),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        prompts_dir=prompts_dir,
        carrier_registration=BACK_OFF,
    )
    service = PbxService(config, directory_for_tests())
    await service.start()
    yield service
    await service.stop()


def registering(port: int, expires: int = 600, transport: str = "udp") -> TrunkRouting:
    trunk = Carrier(
        "127.0.0.1", port, "acct", "secret", register_expires=expires, key="7", transport=transport
    )
    return TrunkRouting.of(None, platform_carriers=(trunk,))


async def status_when(
    pbx: PbxService, check: Callable[[RegistrationStatus], bool], timeout: float = 20
) -> RegistrationStatus:
    async with asyncio.timeout(timeout):
        while True:
            found = pbx.carrier_registrations()
            if found and check(found[0]):
                return found[0]
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_trunk_registers_with_digest_refreshes_in_time_and_unregisters(
    pbx: PbxService, tmp_path: Path, transport: str
) -> None:
    """Over UDP, and over TCP (its connector: SIPp `-t t1`, one connection for all)."""
    log = tmp_path / "registrar.log"
    carrier = Sipp(
        "carrier_registrar.xml",
        work_dir=tmp_path,
        variables={"expires": GRANTED},
        extra=["-trace_logs", "-log_file", str(log), *(TCP if transport == "tcp" else [])],
    )
    await carrier.start()
    try:
        await pbx.update_trunks(registering(carrier.local_port, transport=transport))
        first = await status_when(pbx, lambda s: s.state is RegistrationState.REGISTERED)
        assert (first.key, first.port, first.failures) == ("7", carrier.local_port, 0)
        assert 0 < first.registered_for <= GRANTED
        # The carrier grants 3 s: the second authenticated REGISTER is the refresh. Waiting for
        # its log line, the registration never lapses in between.
        async with asyncio.timeout(20):
            while not log.exists() or log.read_text().count("digest: true") < 2:
                assert pbx.carrier_registrations()[0].state is RegistrationState.REGISTERED
                await asyncio.sleep(0.05)
        await pbx.update_trunks(TrunkRouting.of(None))  # the trunk is deleted
        result = await carrier.wait()
        assert result.returncode == 0, result.errors
    finally:
        carrier.kill()
    lines = log.read_text()
    assert lines.count("digest: true") == 2 and "digest: false" not in lines
    assert "unregister: 0" in lines
    assert pbx.carrier_registrations() == ()


async def test_a_refusing_carrier_is_retried_after_a_back_off(
    pbx: PbxService, tmp_path: Path
) -> None:
    carrier = Sipp("carrier_registrar_refuses.xml", work_dir=tmp_path)
    await carrier.start()
    try:
        loop = asyncio.get_running_loop()
        await pbx.update_trunks(registering(carrier.local_port))
        refused = await status_when(pbx, lambda s: s.failures == 1)
        assert refused.state is RegistrationState.FAILED
        assert refused.last_error == "403 Forbidden" and refused.registered_for == 0
        first_at = loop.time()
        await status_when(pbx, lambda s: s.failures == 2)
        # first_retry is 1 s: the second REGISTER waited for it (not sent at once).
        assert loop.time() - first_at >= 0.8
        result = await carrier.wait()
        assert result.returncode == 0, result.errors
    finally:
        carrier.kill()
