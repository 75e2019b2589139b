"""Several devices per extension in the location store (SharedCallAppearance): up to
`MAX_DEVICES`, each with its own expiry, the most recent first; one device allowed: replaced."""

from __future__ import annotations

import json
from dataclasses import asdict

from redis import Redis

from common.redis_keys import location_binding
from pbx_core.call_control import DEFAULT_TENANT as T
from pbx_core.location import MAX_DEVICES, Binding, LocationStore, merge_device
from tests.pbx_core.conftest import REDIS_URL
from tests.pbx_core.test_location import _binding


def _ports(store: LocationStore, extension: str = "1001") -> list[int]:
    return [binding.port for binding in store.devices(T, extension)]


def test_up_to_ten_devices_the_eleventh_refused_the_same_contact_no_new_device(
    redis_prefix: str,
) -> None:
    store = LocationStore(Redis.from_url(REDIS_URL), redis_prefix)
    ports = list(range(5070, 5070 + MAX_DEVICES))
    for port in ports:
        assert store.save(_binding(port), MAX_DEVICES)
    assert _ports(store) == ports[::-1]
    assert not store.save(_binding(6000), MAX_DEVICES)
    assert store.save(_binding(5071), MAX_DEVICES)  # registers again: first, not twice
    assert _ports(store)[0] == 5071 and len(_ports(store)) == MAX_DEVICES
    assert store.lookup(T, "1001") == _binding(5071)
    store.remove(T, "1001", _binding(5072).contact)
    assert 5072 not in _ports(store) and len(_ports(store)) == MAX_DEVICES - 1
    store.remove(T, "1001")
    assert _ports(store) == []


def test_one_device_allowed_a_new_registration_replaces_the_old(redis_prefix: str) -> None:
    store = LocationStore(Redis.from_url(REDIS_URL), redis_prefix)
    assert store.save(_binding(5070), 10)
    assert store.save(_binding(5071), 10)
    assert store.save(_binding(5072))  # the profile lost the feature: one device from now on
    assert _ports(store) == [5072]


def test_each_device_expires_on_its_own() -> None:
    stored = merge_device([], _binding(5070, expires=30), now=1000.0, max_devices=10)
    assert stored is not None
    later = merge_device(stored, _binding(5071, expires=300), now=1031.0, max_devices=10)
    assert later is not None
    assert [s.binding.port for s in later] == [5071]  # 5070 lapsed at 1030


def test_a_binding_written_before_several_devices_reads_as_one_device(
    redis_prefix: str,
) -> None:
    """A key of the one-binding format (a node of the previous release, a rolling upgrade)."""
    redis = Redis.from_url(REDIS_URL)
    old = Binding("1001", "sip:1001@127.0.0.1:5070", "127.0.0.1", 5070, 300)
    redis.set(location_binding(redis_prefix, T, "1001"), json.dumps(asdict(old)), ex=300)
    store = LocationStore(redis, redis_prefix)
    assert store.lookup(T, "1001") == old
    assert store.save(_binding(5071), 10)
    assert _ports(store) == [5071, 5070]
