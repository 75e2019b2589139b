"""Shared helpers for the crm_connectors tests: real HTTP servers, PostgreSQL, Redis.

No conftest.py on purpose: module names in tests/ are shared by every package's tests.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import uvicorn

from tests.components import POSTGRES_FIX, REDIS_FIX, fail_missing

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
def postgres_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for one test, dropped afterwards."""
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        fail_missing(f"PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__})", POSTGRES_FIX)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def rq_queue() -> Iterator[Any]:
    """An rq Queue with a unique name on the real Redis; its keys and jobs are removed after."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq import Queue

    redis = Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except RedisConnectionError:
        fail_missing("Redis on 127.0.0.1:6379", REDIS_FIX)
    name = f"test-crm-{uuid.uuid4().hex[:12]}"
    queue = Queue(name, connection=redis)
    try:
        yield queue
    finally:
        for key in redis.scan_iter("rq:job:*", count=1000):
            if redis.type(key) == b"hash" and redis.hget(key, "origin") == name.encode():
                redis.delete(key)
        for key in redis.scan_iter(f"*{name}*", count=1000):
            redis.delete(key)
        redis.close()
