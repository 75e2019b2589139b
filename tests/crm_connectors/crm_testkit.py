"""Shared helpers for the crm_connectors tests: real HTTP servers and Redis.

No conftest.py on purpose: module names in tests/ are shared by every package's tests.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import uvicorn

from tests.components import REDIS_FIX, fail_missing
from tests.ports import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for requests a test left hanging
        thread.join(timeout=10)


@contextlib.contextmanager
def rq_queue() -> Iterator[Any]:
    """An rq Queue with a unique name on the real Redis; its keys and jobs are removed after."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from common.job_queues import job_queue

    redis = Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except RedisConnectionError:
        fail_missing("Redis on 127.0.0.1:6379", REDIS_FIX)
    name = f"test-crm-{uuid.uuid4().hex[:12]}"
    queue = job_queue(name, redis)
    try:
        yield queue
    finally:
        for key in redis.scan_iter("rq:job:*", count=1000):
            if redis.type(key) == b"hash" and redis.hget(key, "origin") == name.encode():
                redis.delete(key)
        for key in redis.scan_iter(f"*{name}*", count=1000):
            redis.delete(key)
        redis.close()
