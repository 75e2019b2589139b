"""The location cache across PBX nodes: two `LocationStore`s on one Redis prefix stand for two
nodes. Changes reach the other node's cache through pub/sub, so each check waits (bounded) for
the invalidation instead of assuming a delivery time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from redis import Redis

from pbx_core.call_control import DEFAULT_TENANT as T
from pbx_core.location import Binding, LocationStore
from tests.pbx_core.conftest import REDIS_URL

PATIENCE_SECONDS = 10.0


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def _binding(port: int, expires: int = 300, extension: str = "1001") -> Binding:
    return Binding(extension, f"sip:{extension}@127.0.0.1:{port}", "127.0.0.1", port, expires)


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def nodes(redis: Redis, redis_prefix: str) -> Iterator[tuple[LocationStore, LocationStore]]:
    """(this node, caching; another node, caching too)."""
    this = LocationStore(redis, redis_prefix, cache_seconds=600)
    other = LocationStore(redis, redis_prefix, cache_seconds=600)
    wait_until(lambda: this.cache_live and other.cache_live)
    yield this, other
    this.close()
    other.close()


def test_lookups_are_served_from_the_cache(
    redis: Redis, redis_prefix: str, nodes: tuple[LocationStore, LocationStore]
) -> None:
    this, _ = nodes
    this.save(_binding(5070))
    assert this.lookup(T, "1001") == _binding(5070)
    # A hand edit bypasses the store (no invalidation): the cached binding is still served,
    # which shows the lookup did not go to Redis.
    redis.delete(f"{redis_prefix}binding:{T}:1001")
    assert this.lookup(T, "1001") == _binding(5070)


def test_reregistration_on_another_node_invalidates_the_cache(
    nodes: tuple[LocationStore, LocationStore],
) -> None:
    this, other = nodes
    other.save(_binding(5070))
    assert this.lookup(T, "1001") == _binding(5070)
    other.save(_binding(5071))
    wait_until(lambda: this.lookup(T, "1001") == _binding(5071))


def test_registration_on_another_node_replaces_a_cached_not_registered(
    nodes: tuple[LocationStore, LocationStore],
) -> None:
    this, other = nodes
    assert this.lookup(T, "1001") is None
    other.save(_binding(5070))
    wait_until(lambda: this.lookup(T, "1001") == _binding(5070))


def test_unregistration_on_another_node_invalidates_the_cache(
    nodes: tuple[LocationStore, LocationStore],
) -> None:
    this, other = nodes
    other.save(_binding(5070))
    assert this.lookup(T, "1001") == _binding(5070)
    other.remove(T, "1001")
    wait_until(lambda: this.lookup(T, "1001") is None)


def test_cached_binding_expires_with_its_key(
    redis: Redis, redis_prefix: str, nodes: tuple[LocationStore, LocationStore]
) -> None:
    this, other = nodes
    other.save(_binding(5070, expires=1))
    assert this.lookup(T, "1001") == _binding(5070, expires=1)
    wait_until(lambda: redis.exists(f"{redis_prefix}binding:{T}:1001") == 0)
    assert this.lookup(T, "1001") is None


def test_clear_on_another_node_empties_the_cache(
    nodes: tuple[LocationStore, LocationStore],
) -> None:
    this, other = nodes
    other.save(_binding(5070))
    other.save(_binding(5080, extension="1002"))
    assert this.lookup(T, "1001") is not None and this.lookup(T, "1002") is not None
    other.clear()
    wait_until(lambda: this.lookup(T, "1001") is None and this.lookup(T, "1002") is None)


def test_without_invalidations_lookups_go_to_redis(
    redis: Redis, redis_prefix: str, nodes: tuple[LocationStore, LocationStore]
) -> None:
    """A store whose subscription is gone (here: closed) must not serve what it cached: it
    would miss other nodes' changes."""
    this, _ = nodes
    this.save(_binding(5070))
    assert this.lookup(T, "1001") == _binding(5070)
    this.close()
    assert not this.cache_live
    redis.delete(f"{redis_prefix}binding:{T}:1001")
    assert this.lookup(T, "1001") is None


def test_invalidation_during_a_lookup_is_not_overwritten(
    redis: Redis, nodes: tuple[LocationStore, LocationStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change published while a lookup's read is in flight wins over the older value."""
    this, other = nodes
    other.save(_binding(5070))
    cache = this._cache
    assert cache is not None

    class ChangeDuringRead:
        def __init__(self) -> None:
            self._pipe = redis.pipeline(transaction=False)

        def __getattr__(self, name: str) -> object:
            return getattr(self._pipe, name)

        def execute(self) -> list[object]:
            result: list[object] = self._pipe.execute()
            assert cache is not None  # (mypy does not carry the narrowing into this class)
            live = cache
            before = live.generation
            other.save(_binding(5071))  # lands after the read, before the cache is filled
            wait_until(lambda: live.generation != before)
            return result

    class RedisWithSlowRead:
        def pipeline(self, transaction: bool) -> ChangeDuringRead:
            return ChangeDuringRead()

    monkeypatch.setattr(this, "_redis", RedisWithSlowRead())
    assert this.lookup(T, "1001") == _binding(5070)  # what Redis said at that moment
    monkeypatch.setattr(this, "_redis", redis)
    assert this.lookup(T, "1001") == _binding(5071)


def test_changes_missed_while_the_subscription_was_down_are_not_served(
    redis_prefix: str,
) -> None:
    """The listener's connection is killed; a change published meanwhile may be lost, but the
    cache must not keep serving what it had (emptied on resubscription, bypassed until then)."""
    name = f"test-location-{redis_prefix.rstrip(':')}"
    redis = Redis.from_url(REDIS_URL, client_name=name)
    this = LocationStore(redis, redis_prefix, cache_seconds=600)
    other = LocationStore(Redis.from_url(REDIS_URL), redis_prefix)
    wait_until(lambda: this.cache_live)
    other.save(_binding(5070))
    assert this.lookup(T, "1001") == _binding(5070)

    cache = this._cache
    assert cache is not None
    generation = cache.generation
    admin = Redis.from_url(REDIS_URL, decode_responses=True)
    subscribers = [c for c in admin.client_list() if c["name"] == name and c["sub"] != "0"]
    assert len(subscribers) == 1
    admin.client_kill_filter(_id=subscribers[0]["id"])

    wait_until(lambda: cache.generation != generation and this.cache_live)
    assert "1001" not in cache.entries  # whatever was cached before the loss is gone
    other.save(_binding(5071))
    wait_until(lambda: this.lookup(T, "1001") == _binding(5071))
    this.close()
    admin.close()
    redis.close()
