"""The location store: bindings in Redis with expiry as TTL (cache: test_location_cache)."""

from __future__ import annotations

from redis import Redis

from pbx_core.call_control import DEFAULT_TENANT as T
from pbx_core.location import Binding, LocationStore
from tests.pbx_core.conftest import REDIS_URL
from tests.pbx_core.test_location_cache import wait_until


def _binding(port: int, expires: int = 300) -> Binding:
    return Binding("1001", f"sip:1001@127.0.0.1:{port}", "127.0.0.1", port, expires)


def test_binding_round_trip_with_expiry_as_ttl(redis_prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    store = LocationStore(redis, redis_prefix)
    store.save(_binding(5070, expires=120))
    assert store.lookup(T, "1001") == _binding(5070, expires=120)
    assert 0 < redis.ttl(f"{redis_prefix}binding:{T}:1001") <= 120
    assert store.registered_extensions(T) == ["1001"]
    store.remove(T, "1001")
    assert store.lookup(T, "1001") is None
    redis.close()


def test_own_registrations_refresh_the_cache_at_once(redis_prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    store = LocationStore(redis, redis_prefix, cache_seconds=60)
    wait_until(lambda: store.cache_live)
    assert store.lookup(T, "1001") is None
    store.save(_binding(5072))
    assert store.lookup(T, "1001") == _binding(5072)
    store.remove(T, "1001")
    assert store.lookup(T, "1001") is None
    store.close()
    redis.close()


def test_two_tenants_extension_1001_are_two_bindings(redis_prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    store = LocationStore(redis, redis_prefix, cache_seconds=60)
    wait_until(lambda: store.cache_live)
    demo = _binding(5070)
    acme = Binding("1001", "sip:1001@127.0.0.1:5080", "127.0.0.1", 5080, 300, tenant="acme")
    store.save(demo)
    assert store.lookup("acme", "1001") is None
    store.save(acme)
    assert store.lookup(T, "1001") == demo
    assert store.lookup("acme", "1001") == acme
    assert store.registered_extensions("acme") == ["1001"]
    store.remove("acme", "1001")
    assert store.lookup("acme", "1001") is None
    assert store.lookup(T, "1001") == demo
    store.close()
    redis.close()
