"""Every Redis client of the product from its one URL (`REDIS_URL`, settings `redis_url`).

A plain `redis://`, `rediss://` or `unix://` URL gives what `Redis.from_url` gives. A Sentinel URL

    redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/SERVICE[/DB][?sentinel_password=PW]

gives a client of the primary that the Sentinels at HOST:PORT (26379 by default) name for SERVICE
(their `sentinel monitor SERVICE ...`). It asks them again whenever its connection breaks, so
after a failover the same client object writes to the promoted replica (docs/deploy.md, "Redis
with Sentinel"). USER and PASSWORD are the data nodes' (`requirepass`); `sentinel_password` the
Sentinels' own, if they ask for one. redis-py has the Sentinel client but no URL form for it.

`UrlRedis` hands rq's `rq worker --connection-class` the same parsing (`common/job_queues.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.connection
import redis.exceptions
import redis.sentinel

SENTINEL_SCHEME = "redis+sentinel"
DEFAULT_SENTINEL_PORT = 26379
SENTINEL_TIMEOUT = 1.0
"""Seconds to connect to and hear from one Sentinel: its answers are immediate, and a dead one
must not hold up the question to the next (the data clients' timeouts may be None, for a
blocking reader)."""

REPLICAS_REFRESH_SECONDS = 1.0
"""How long `ReplicaAcks` keeps the Sentinels' answer: about once per lease round."""

_QUERY_OPTIONS = {"sentinel_password"}


@dataclass(frozen=True)
class SentinelUrl:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None

    def sentinel_kwargs(self) -> dict[str, Any]:
        """How to talk to the Sentinels themselves."""
        return {
            "socket_timeout": SENTINEL_TIMEOUT,
            "socket_connect_timeout": SENTINEL_TIMEOUT,
            "password": self.sentinel_password,
        }

    def primary_kwargs(self) -> dict[str, Any]:
        """How to talk to the primary they name (what the URL leaves out, the caller may give)."""
        given = {"username": self.username, "password": self.password}
        return {"db": self.db} | {name: value for name, value in given.items() if value is not None}


def is_sentinel_url(url: str) -> bool:
    return url.startswith(f"{SENTINEL_SCHEME}://")


def parse_sentinel_url(url: str) -> SentinelUrl:
    """The parts of a `redis+sentinel://` URL; a `ValueError` naming what is wrong otherwise."""
    shown = _redacted(url)
    if not is_sentinel_url(url):
        raise ValueError(f"{shown}: a Sentinel URL starts with {SENTINEL_SCHEME}://")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise ValueError(f"{shown}: {error}") from None
    userinfo, at, hostlist = parts.netloc.rpartition("@")
    username, password = _credentials(userinfo) if at else (None, None)
    if not hostlist:
        raise ValueError(f"{shown}: no Sentinel hosts (HOST[:PORT],HOST[:PORT]... after //)")
    sentinels = tuple(_host_port(each, shown) for each in hostlist.split(","))
    path = [unquote(segment) for segment in parts.path.split("/")[1:]]
    if not path or not path[0]:
        raise ValueError(f"{shown}: no service name (the path: /SERVICE or /SERVICE/DB)")
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(f"{shown}: after /{path[0]} only a DB number may follow (/SERVICE/DB)")
    return SentinelUrl(
        sentinels=sentinels,
        service=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=username,
        password=password,
        sentinel_password=_query_options(parts.query, shown).get("sentinel_password"),
    )


def check_url(url: str) -> None:
    """A `ValueError` naming what is wrong with `url`, before any client is made from it."""
    if is_sentinel_url(url):
        parse_sentinel_url(url)
    else:
        try:
            redis.connection.parse_url(url)  # type: ignore[no-untyped-call]  # what from_url reads
        except ValueError as error:
            raise ValueError(f"{_redacted(url)}: {error}") from None


def sync_client(url: str, **kwargs: Any) -> redis.Redis:
    """A client for `url`; `kwargs` (decode_responses, socket_timeout, ...) as `from_url` takes."""
    if not is_sentinel_url(url):
        return redis.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url)
    sentinel = redis.sentinel.Sentinel(target.sentinels, sentinel_kwargs=target.sentinel_kwargs())
    primary: redis.Redis = sentinel.master_for(target.service, **kwargs | target.primary_kwargs())
    return primary


def async_client(url: str, **kwargs: Any) -> redis.asyncio.Redis:
    """The asyncio twin of `sync_client`, through redis-py's asyncio Sentinel."""
    if not is_sentinel_url(url):
        return redis.asyncio.Redis.from_url(url, **kwargs)
    target = parse_sentinel_url(url)
    sentinel = redis.asyncio.sentinel.Sentinel(
        target.sentinels, sentinel_kwargs=target.sentinel_kwargs()
    )
    primary: redis.asyncio.Redis = sentinel.master_for(
        target.service, **kwargs | target.primary_kwargs()
    )
    return primary


class ReplicaAcks:
    """How many replicas must confirm a write (`WAIT`) before it may be relied on across a
    failover (docs/deploy.md, "The lease across a Redis failover"). Replication is asynchronous:
    a write the promoted replica missed is gone.

    For a client through Sentinel: 1 while the Sentinels know a replica they could promote (one
    not down), since a failover promotes the replica with the most of the primary's writes, so
    the one that confirmed; 0 when they know none (a lone primary after a failover: nothing it
    wrote can be lost to a promotion); 1 when no Sentinel answers (one may see a replica we do
    not). Always 0 for a single Redis, which has no failover."""

    def __init__(self, client: redis.asyncio.Redis, clock: Callable[[], float] = time.monotonic):
        pool = client.connection_pool
        self._pool = (
            pool if isinstance(pool, redis.asyncio.sentinel.SentinelConnectionPool) else None
        )
        self._clock = clock
        self._known: tuple[float, int] | None = None
        self._lock = asyncio.Lock()
        """One question to the Sentinels at a time: every tenant's round asks at once."""

    async def required(self) -> int:
        if self._pool is None:
            return 0
        async with self._lock:
            now = self._clock()
            if self._known is None or now - self._known[0] >= REPLICAS_REFRESH_SECONDS:
                self._known = (now, await self._promotable())
            return self._known[1]

    async def _promotable(self) -> int:
        assert self._pool is not None
        manager = self._pool.sentinel_manager
        for sentinel in manager.sentinels:
            try:
                replicas = await sentinel.sentinel_slaves(self._pool.service_name)
            except redis.exceptions.RedisError:
                continue
            return min(1, len(manager.filter_slaves(replicas)))
        return 1


class UrlRedis(redis.Redis):
    """What `rq worker --connection-class` takes: rq makes its connection with
    `connection_class.from_url(--url)`, which here understands Sentinel URLs too."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.Redis:
        return sync_client(url, **kwargs)


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    user, colon, password = userinfo.partition(":")
    return unquote(user) or None, unquote(password) if colon else None


def _host_port(text: str, shown: str) -> tuple[str, int]:
    """`host`, `host:port`, `[v6]` or `[v6]:port`."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{shown}: Sentinel host {text!r} is not [IPv6] or [IPv6]:PORT")
        port = rest[1:] if rest else None
    else:
        host, colon, port_text = text.partition(":")
        port = port_text if colon else None
    if not host:
        raise ValueError(f"{shown}: an empty Sentinel host in {text!r}")
    if port is None:
        return host, DEFAULT_SENTINEL_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{shown}: Sentinel port {port!r} of {host} is not a number 1-65535")
    return host, int(port)


def _query_options(query: str, shown: str) -> dict[str, str]:
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - _QUERY_OPTIONS)
    if unknown:
        known = ", ".join(sorted(_QUERY_OPTIONS))
        raise ValueError(f"{shown}: unknown option(s) {', '.join(unknown)}; known: {known}")
    return {name: values[-1] for name, values in options.items()}


def _redacted(url: str) -> str:
    """`url` for an error message: without what stands before `@` and the query (passwords)."""
    scheme, slashes, rest = url.partition("?")[0].partition("://")
    if not slashes:
        return url
    netloc, slash, path = rest.partition("/")
    at = netloc.rfind("@")
    return f"{scheme}://{'***@' if at >= 0 else ''}{netloc[at + 1 :]}{slash}{path}"
