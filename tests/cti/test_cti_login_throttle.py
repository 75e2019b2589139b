"""Brute-force protection of `POST /api/v1/auth/token`, attacked over real HTTP.

The server trusts `X-Forwarded-For` from 127.0.0.1 (uvicorn's default proxy set-up), so one test
client plays attackers and users at several addresses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from common.redis_keys import login_failures_by_ip
from cti.login_throttle import LoginLimits
from tests.cti.cti_world import World

LIMITS = LoginLimits()


async def attempt(
    http: httpx.AsyncClient, address: str, username: str, password: str
) -> httpx.Response:
    return await http.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_guessing_one_password_backs_off_from_every_address(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        for _ in range(LIMITS.account_free_failures):
            assert (await attempt(http, "10.0.0.1", "1001", "guess")).status_code == 401
        # Locked now: even the right password is not checked, from any address.
        for address in ("10.0.0.1", "10.0.0.2"):
            locked = await attempt(http, address, "1001", "pw1001")
            assert locked.status_code == 429
            assert locked.headers["Retry-After"] == "1"
        # `1001@demo` is the same account, not a fresh counter.
        assert (await attempt(http, "10.0.0.3", "1001@demo", "guess")).status_code == 429
        world.clock.advance(1)
        assert (await attempt(http, "10.0.0.2", "1001", "guess")).status_code == 401
        assert (await attempt(http, "10.0.0.2", "1001", "guess")).headers["Retry-After"] == "2"
        world.clock.advance(2)
        assert (await attempt(http, "10.0.0.2", "1001", "pw1001")).status_code == 200
        # Other accounts were never held up.
        assert (await attempt(http, "10.0.0.1", "1002", "pw1002")).status_code == 200


async def test_one_address_spraying_many_accounts_is_locked_out(world: World, redis: Redis) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        for n in range(LIMITS.ip_free_failures):
            assert (await attempt(http, "10.0.0.9", f"user{n}", "guess")).status_code == 401
        assert (await attempt(http, "10.0.0.9", "1002", "pw1002")).status_code == 429
        # A user's success elsewhere does not reset the attacker's counter.
        assert (await attempt(http, "10.0.0.10", "1003", "pw1003")).status_code == 200
        assert (await attempt(http, "10.0.0.9", "1004", "pw1004")).status_code == 429
    # Kept in Redis, so every web worker sees the same counter.
    key = login_failures_by_ip(world.prefix, "10.0.0.9")
    assert await redis.hget(key, "failures") == str(LIMITS.ip_free_failures)


async def test_unknown_usernames_cost_one_scrypt_run_like_known_ones(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[bytes] = []
    real_scrypt: Callable[..., bytes] = hashlib.scrypt

    def counting_scrypt(password: bytes, **kwargs: Any) -> bytes:
        runs.append(password)
        return real_scrypt(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        for username in ("1001@acme", "nobody@acme"):
            runs.clear()
            assert (await attempt(http, "10.0.0.20", username, "guess")).status_code == 401
            assert runs == [b"guess"], username
