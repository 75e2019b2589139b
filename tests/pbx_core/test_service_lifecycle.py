"""Starting and stopping `PbxService`: stop() closes what the service opened (the location
store's invalidation listener, its own Redis connections), and the PBX starts again."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from redis import Redis

from pbx_core.config import PbxConfig
from pbx_core.service import PbxService
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.support import free_port, free_sip_port, register

PATIENCE_SECONDS = 10.0


async def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def _listeners(prefix: str) -> list[threading.Thread]:
    """The invalidation listeners of stores on `prefix` (each test has its own prefix)."""
    name = f"location-invalidations-{prefix}"
    return [thread for thread in threading.enumerate() if thread.name == name]


def _connections(client_name: str) -> list[dict[str, str]]:
    admin = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return [c for c in admin.client_list() if c["name"] == client_name]
    finally:
        admin.close()


def _config(redis_prefix: str, tmp_path: Path, redis_url: str = REDIS_URL) -> PbxConfig:
    return PbxConfig(
        sip_port=free_sip_port(),
        redis_url=redis_url,
        key_prefix=redis_prefix,
        prompts_dir=tmp_path,
        binding_cache_seconds=60.0,
    )


async def _registers(pbx: PbxService, extension: str, tmp_path: Path) -> None:
    result = await register(pbx.config.sip_port, extension, free_port(), tmp_path)
    assert result.returncode == 0, result.errors
    assert pbx.registration(extension) is not None


async def test_stop_ends_the_location_listener_and_the_pbx_starts_again(
    redis_prefix: str, tmp_path: Path
) -> None:
    client_name = f"pbx-{redis_prefix.rstrip(':')}"
    config = _config(redis_prefix, tmp_path, f"{REDIS_URL}?client_name={client_name}")
    pbx = PbxService(config, directory_for_tests())
    for extension in ("1001", "1002"):  # the second round: the same service started again
        await pbx.start()
        try:
            await _wait_until(lambda: pbx.locations.cache_live)
            await _registers(pbx, extension, tmp_path)
        finally:
            await pbx.stop()
        assert not _listeners(redis_prefix)
        assert not pbx.locations.cache_live
        assert not _connections(client_name), "the service's own Redis connections stay open"

    # After stop() the store still answers, from Redis (bench/ clears its bindings so).
    assert pbx.registration("1002") is not None
    pbx.locations.clear()
    assert pbx.registration("1002") is None

    another = PbxService(config, directory_for_tests())
    await another.start()
    try:
        await _wait_until(lambda: another.locations.cache_live)
        await _registers(another, "1003", tmp_path)
    finally:
        await another.stop()
    assert not _listeners(redis_prefix)


async def test_a_redis_client_passed_in_stays_open_for_its_owner(
    redis_prefix: str, tmp_path: Path
) -> None:
    client_name = f"owner-{redis_prefix.rstrip(':')}"
    redis = Redis.from_url(REDIS_URL, client_name=client_name)
    try:
        pbx = PbxService(_config(redis_prefix, tmp_path), directory_for_tests(), redis=redis)
        await pbx.start()
        try:
            await _wait_until(lambda: pbx.locations.cache_live)
            await _registers(pbx, "1001", tmp_path)
        finally:
            await pbx.stop()
        assert not _listeners(redis_prefix), "the store is the service's own, whoever's Redis"
        assert _connections(client_name), "the owner's client was closed by the service"
    finally:
        redis.close()


async def test_stop_without_start_closes_the_store(redis_prefix: str, tmp_path: Path) -> None:
    pbx = PbxService(_config(redis_prefix, tmp_path), directory_for_tests())
    assert _listeners(redis_prefix)
    await pbx.stop()
    assert not _listeners(redis_prefix)


async def test_a_start_cancelled_while_the_sip_thread_starts_leaves_no_sip_thread(
    redis_prefix: str, tmp_path: Path
) -> None:
    """A thread cannot be cancelled: a stack left running would refuse every later start of the
    process (ED2 is global). A CI run lost 60 tests to one product cancelled while starting."""
    cancelled = PbxService(_config(redis_prefix, tmp_path), directory_for_tests())
    starting = asyncio.create_task(cancelled.start())
    await _wait_until(lambda: any(t.name == "sip-reactor" for t in threading.enumerate()))
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    assert starting.cancelled()
    assert not any(t.name == "sip-reactor" for t in threading.enumerate())

    after = PbxService(_config(redis_prefix, tmp_path), directory_for_tests())
    await after.start()
    try:
        await _registers(after, "1001", tmp_path)
    finally:
        await after.stop()
