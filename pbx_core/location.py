"""Location service: where each registered extension of each tenant can be reached, in Redis.

Bindings live in Redis with the registration's expiry as the key's TTL, so several PBX nodes
can share them and a stale phone disappears without a sweeper. The key prefix is configurable
so tests never see each other's bindings; every binding is keyed by (tenant, extension), so two
tenants' 1001 are two bindings.

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
import threading
import time
import uuid
import weakref
from dataclasses import asdict, dataclass

from redis import Redis
from redis.client import PubSub
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


class _BindingCache:
    """Entries are (monotonic time they stop being valid, binding or None = not registered).

    Hits read the dict without a lock (the SIP thread's hot path); a miss only stores what it
    read if no invalidation happened since it asked Redis (`generation`), so a change that is
    published while a read is in flight cannot be overwritten by the older value."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self.entries: dict[str, tuple[float, Binding | None]] = {}
        self.generation = 0
        self.live = False
        """Subscribed: invalidations reach us, entries may be trusted."""
        self.closed = False
        self._lock = threading.Lock()

    def store(
        self, extension: str, generation: int, valid_until: float, binding: Binding | None
    ) -> None:
        with self._lock:
            if self.live and generation == self.generation:
                self.entries[extension] = (valid_until, binding)

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

    def save(self, binding: Binding) -> None:
        key = self._key(binding.tenant, binding.extension)
        scoped = _scoped(binding.tenant, binding.extension)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key, json.dumps(asdict(binding)), ex=binding.expires)
        pipe.publish(self._channel, self._change(scoped))
        pipe.execute()
        if self._cache is not None:
            self._cache.invalidate(scoped)

    def remove(self, tenant: str, extension: str) -> None:
        scoped = _scoped(tenant, extension)
        pipe = self._redis.pipeline(transaction=False)
        pipe.delete(self._key(tenant, extension))
        pipe.publish(self._channel, self._change(scoped))
        pipe.execute()
        if self._cache is not None:
            self._cache.invalidate(scoped)

    def lookup(self, tenant: str, extension: str) -> Binding | None:
        key = self._key(tenant, extension)
        cache = self._cache
        if cache is None or not cache.live:
            raw = self._redis.get(key)
            return None if raw is None else _decode(raw)
        scoped = _scoped(tenant, extension)
        entry = cache.entries.get(scoped)
        asked_at = time.monotonic()
        if entry is not None and asked_at < entry[0]:
            return entry[1]
        generation = cache.generation
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.pttl(key)
        raw, ttl_ms = pipe.execute()
        binding = None if raw is None else _decode(raw)
        valid_until = asked_at + cache.max_age
        if binding is not None and ttl_ms >= 0:
            # Counted from before the read: the entry lapses no later than the key does.
            valid_until = min(valid_until, asked_at + ttl_ms / 1000)
        cache.store(scoped, generation, valid_until, binding)
        return binding

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


def _decode(raw: bytes | str) -> Binding:
    return Binding(**json.loads(raw))


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
