"""Location service: where each registered extension of each tenant can be reached, in Redis.

Bindings live in Redis with the registration's expiry as the key's TTL, so several PBX nodes
can share them and a stale phone disappears without a sweeper. The key prefix is configurable
so tests never see each other's bindings; every binding is keyed by (tenant, extension), so two
tenants' 1001 are two bindings.

One key holds all the devices of one extension (SharedCallAppearance: up to `MAX_DEVICES`, each
identified by its Contact URI, each with its own expiry; docs/phone-features.md, "Several
devices per user"); the key lives as long as its longest registration. A user whose profile
allows one device keeps today's rule: a new registration replaces the old one.

Lookups may be served from a local cache that stays coherent across nodes: every write through
a `LocationStore` (any node) publishes "<store id> <tenant>:<extension>" on the channel
`<prefix>binding-changes`, and every other caching store drops that entry when it arrives.
A cached binding never outlives its key's TTL, and the cache is bypassed whenever the
subscription is down (changes published meanwhile would be missed), so Redis stays the source
of truth.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
import uuid
import weakref
from dataclasses import asdict, dataclass

from redis import Redis
from redis.client import Pipeline, PubSub
from redis.exceptions import RedisError

from common.redis_keys import location_binding, location_bindings, location_changes_channel
from pbx_core.call_control import DEFAULT_TENANT

WS_FLOW_PARAM = "x-ws-flow"
"""The parameter `WsTransportGateway` puts on the Contact of a browser's binding (its flow)."""

log = logging.getLogger(__name__)

ALL_EXTENSIONS = "*"
"""Published by `clear()`: every cached entry of that prefix is void."""

_WAKE_UP = ""
"""The extension of the message `close()` sends its own listener: no binding changed."""
_POLL_SECONDS = 1.0
"""How often the listener looks up from Redis to notice that its store is gone."""
_RETRY_SECONDS = 1.0

_LONGEST_REGISTRATION = 3600
MAX_DEVICES = 10
"""Devices one user may register at once with SharedCallAppearance (seed ch. 7: "up to 10")."""


@dataclass(frozen=True, slots=True)
class Binding:
    extension: str
    contact: str
    """The Contact URI as the phone sent it, e.g. `sip:1001@127.0.0.1:5062`."""
    host: str
    port: int
    expires: int
    tenant: str = DEFAULT_TENANT

    @property
    def browser(self) -> bool:
        """Registered over the SIP-over-WebSocket gateway (a browser phone): its stored Contact
        carries the gateway's flow parameter (docs/webrtc.md, RFC 7118 contacts)."""
        return f";{WS_FLOW_PARAM}=" in self.contact


Devices = tuple[Binding, ...]
"""An extension's registered devices, the most recent registration first (empty: none)."""


@dataclass(frozen=True, slots=True)
class _Stored:
    """One device in the extension's key: its binding and when (wall clock) it expires."""

    binding: Binding
    until: float


def merge_device(
    stored: list[_Stored], binding: Binding, now: float, max_devices: int
) -> list[_Stored] | None:
    """The extension's devices after `binding` registers (most recent first), or None: it
    would be device number `max_devices + 1`. With one device allowed the new one replaces
    whatever was there (a phone that moved, or a second phone taking over)."""
    fresh = _Stored(binding, now + binding.expires)
    if max_devices <= 1:
        return [fresh]
    others = [s for s in stored if s.until > now and s.binding.contact != binding.contact]
    if len(others) >= max_devices:
        return None
    return [fresh, *others]


class _BindingCache:
    """Entries are (monotonic time they stop being valid, devices; empty = not registered).

    Hits read the dict without a lock (the SIP thread's hot path); a miss only stores what it
    read if no invalidation happened since it asked Redis (`generation`), so a change that is
    published while a read is in flight cannot be overwritten by the older value."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self.entries: dict[str, tuple[float, Devices]] = {}
        self.generation = 0
        self.live = False
        """Subscribed: invalidations reach us, entries may be trusted."""
        self.closed = False
        self._lock = threading.Lock()

    def store(self, extension: str, generation: int, valid_until: float, devices: Devices) -> None:
        with self._lock:
            if self.live and generation == self.generation:
                self.entries[extension] = (valid_until, devices)

    def invalidate(self, extension: str) -> None:
        with self._lock:
            self.generation += 1
            if extension == ALL_EXTENSIONS:
                self.entries.clear()
            else:
                self.entries.pop(extension, None)

    def reset(self, live: bool) -> None:
        with self._lock:
            self.generation += 1
            self.entries.clear()
            self.live = live


class LocationStore:
    """Synchronous on purpose: it is used from the SIP thread, where a loopback Redis round trip
    (~0.1 ms) is cheaper than a hop to the asyncio loop and back; with the cache, calls to
    registered extensions do not reach Redis at all."""

    def __init__(self, redis: Redis, prefix: str = "pbx:", cache_seconds: float = 0.0) -> None:
        """`cache_seconds` > 0: keep lookups in memory, at most this long and never past the
        binding's expiry. Writes through any node's `LocationStore` are seen at once (pub/sub);
        only writes that bypass it (a hand-edited key) wait up to `cache_seconds`."""
        self._redis = redis
        self._prefix = prefix
        self._channel = location_changes_channel(prefix)
        self._origin = uuid.uuid4().hex
        """Signs this store's change messages: it has applied its own changes already."""
        self._cache: _BindingCache | None = None
        self._listener: threading.Thread | None = None
        if cache_seconds > 0:
            self._cache = _BindingCache(cache_seconds)
            self._listener = threading.Thread(
                target=_listen,
                args=(weakref.ref(self._cache), redis, self._channel, self._origin),
                name=f"location-invalidations-{prefix}",
                daemon=True,
            )
            self._listener.start()

    def _key(self, tenant: str, extension: str) -> str:
        return location_binding(self._prefix, tenant, extension)

    def _change(self, scoped: str) -> str:
        return f"{self._origin} {scoped}"

    @property
    def cache_live(self) -> bool:
        """The cache is subscribed to invalidations and serves lookups."""
        return self._cache is not None and self._cache.live

    @property
    def closed(self) -> bool:
        return self._cache is not None and self._cache.closed

    def close(self, timeout: float = 5.0) -> None:
        """Stop the invalidation listener and wait for its thread to end (it also stops by
        itself once the store is garbage). The store stays usable, uncached: lookups go to
        Redis."""
        if self._cache is None:
            return
        self._cache.closed = True
        self._cache.reset(live=False)
        listener = self._listener
        if listener is None or not listener.is_alive():
            return
        # The listener looks at `closed` only between messages (up to _POLL_SECONDS apart):
        # one on its channel wakes it now. If Redis is gone it is not waiting there anyway.
        with contextlib.suppress(RedisError):
            self._redis.publish(self._channel, self._change(_WAKE_UP))
        listener.join(timeout)
        if listener.is_alive():
            log.warning("location invalidation listener %s did not stop", listener.name)

    def save(self, binding: Binding, max_devices: int = 1) -> bool:
        """Register `binding` (replacing the same Contact's earlier one). False: refused, the
        extension has `max_devices` other devices registered already."""
        key = self._key(binding.tenant, binding.extension)
        refused = False

        def write(pipe: Pipeline) -> None:
            nonlocal refused
            now = time.time()
            merged = merge_device(_load(pipe.get(key)), binding, now, max_devices)
            refused = merged is None
            if merged is not None:
                pipe.multi()
                _store(pipe, key, merged, now)

        self._redis.transaction(write, key)
        if refused:
            return False
        self._changed(binding.tenant, binding.extension)
        return True

    def remove(self, tenant: str, extension: str, contact: str | None = None) -> None:
        """Unregister one device (`contact`) or, None, all of the extension's."""
        key = self._key(tenant, extension)
        if contact is None:
            self._redis.delete(key)
        else:

            def write(pipe: Pipeline) -> None:
                now = time.time()
                kept = [s for s in _load(pipe.get(key)) if s.binding.contact != contact]
                pipe.multi()
                _store(pipe, key, [s for s in kept if s.until > now], now)

            self._redis.transaction(write, key)
        self._changed(tenant, extension)

    def _changed(self, tenant: str, extension: str) -> None:
        scoped = _scoped(tenant, extension)
        self._redis.publish(self._channel, self._change(scoped))
        if self._cache is not None:
            self._cache.invalidate(scoped)

    def lookup(self, tenant: str, extension: str) -> Binding | None:
        """The extension's most recently registered device (None: not registered)."""
        devices = self.devices(tenant, extension)
        return devices[0] if devices else None

    def devices(self, tenant: str, extension: str) -> Devices:
        """Every registered device of the extension, the most recent registration first."""
        key = self._key(tenant, extension)
        cache = self._cache
        if cache is None or not cache.live:
            return _live(_load(self._redis.get(key)), time.time())
        scoped = _scoped(tenant, extension)
        entry = cache.entries.get(scoped)
        asked_at = time.monotonic()
        if entry is not None and asked_at < entry[0]:
            return entry[1]
        generation = cache.generation
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(key)
        (raw,) = pipe.execute()
        now = time.time()
        stored = [s for s in _load(raw) if s.until > now]
        valid_until = asked_at + cache.max_age
        if stored:
            # Counted from before the read: the entry lapses no later than its first device.
            valid_until = min(valid_until, asked_at + min(s.until for s in stored) - now)
        devices = _live(stored, now)
        cache.store(scoped, generation, valid_until, devices)
        return devices

    def registered_extensions(self, tenant: str) -> list[str]:
        prefix = self._key(tenant, "")
        return sorted(
            key.decode()[len(prefix) :] if isinstance(key, bytes) else str(key)[len(prefix) :]
            for key in self._redis.scan_iter(match=f"{prefix}*")
        )

    def clear(self) -> None:
        """Remove every binding under this prefix (tests, node reset)."""
        for key in self._redis.scan_iter(match=f"{location_bindings(self._prefix)}*"):
            self._redis.delete(key)
        self._redis.publish(self._channel, self._change(ALL_EXTENSIONS))
        if self._cache is not None:
            self._cache.invalidate(ALL_EXTENSIONS)


def _scoped(tenant: str, extension: str) -> str:
    """A binding's name in the cache and in change messages."""
    return f"{tenant}:{extension}"


def _load(raw: bytes | str | None) -> list[_Stored]:
    """The devices in an extension's key (a key written before several devices, one binding
    object, reads as one device that lives as long as the key)."""
    if raw is None:
        return []
    value = json.loads(raw)
    if isinstance(value, dict):  # no registration outlives MAX_EXPIRES (sip/registrar.py)
        return [_Stored(Binding(**value), time.time() + _LONGEST_REGISTRATION)]
    return [_Stored(Binding(**item["binding"]), float(item["until"])) for item in value]


def _live(stored: list[_Stored], now: float) -> Devices:
    return tuple(s.binding for s in stored if s.until > now)


def _store(pipe: Pipeline, key: str, stored: list[_Stored], now: float) -> None:
    """Write the devices (none: delete the key); the key lives as long as its last device."""
    if not stored:
        pipe.delete(key)
        return
    ttl = max(1, math.ceil(max(s.until for s in stored) - now))
    items = [{"binding": asdict(s.binding), "until": s.until} for s in stored]
    pipe.set(key, json.dumps(items), ex=ttl)


def _listen(cache_ref: weakref.ref[_BindingCache], redis: Redis, channel: str, origin: str) -> None:
    """Apply invalidations until the store is closed or garbage. Holds the cache only while
    handling one message, so it never keeps a dropped store alive."""
    pubsub: PubSub | None = None
    try:
        while (cache := cache_ref()) is not None and not cache.closed:
            del cache
            try:
                if pubsub is None:
                    pubsub = redis.pubsub()
                    pubsub.subscribe(channel)
                message = pubsub.get_message(timeout=_POLL_SECONDS)
            except Exception:  # whatever broke the subscription, the cache must stop serving
                log.warning("location invalidations lost; lookups go to Redis", exc_info=True)
                _reset(cache_ref, live=False)
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()
                    pubsub = None
                time.sleep(_RETRY_SECONDS)
                continue
            if message is not None:
                _apply(cache_ref, message, origin)
    finally:
        _reset(cache_ref, live=False)
        if pubsub is not None:
            with contextlib.suppress(Exception):
                pubsub.close()


def _reset(cache_ref: weakref.ref[_BindingCache], live: bool) -> None:
    cache = cache_ref()
    if cache is not None:
        cache.reset(live)


def _apply(cache_ref: weakref.ref[_BindingCache], message: dict[str, object], origin: str) -> None:
    cache = cache_ref()
    if cache is None:
        return
    if message["type"] == "subscribe":
        # Whatever was cached before this (re)subscription may have missed a change.
        cache.reset(live=not cache.closed)
    elif message["type"] == "message":
        data = message["data"]
        sender, _, extension = (data.decode() if isinstance(data, bytes) else str(data)).partition(
            " "
        )
        if sender != origin and extension != _WAKE_UP:
            cache.invalidate(extension)
