"""The PBX fixtures of tests/pbx_core (free ports, own Redis prefix, rtpengine, prompts), plus
the engine runtime wired to that PBX as the product wires it, and a real SMTP server's inbox
(`inbox`, aiosmtpd; the product mails there through SMTP_HOST and SMTP_PORT)."""

from __future__ import annotations

import email
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core.service import PbxService
from tests.pbx_core.conftest import (
    REDIS_URL,
    events,
    pbx,
    pbx_config,
    prompts_dir,
    redis_prefix,
    rtpengine,
)
from tests.pbx_core.support import free_port

__all__ = ["events", "pbx", "pbx_config", "prompts_dir", "redis_prefix", "rtpengine"]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@asynccontextmanager
async def running_runtime(
    pbx: PbxService, redis: Redis, prefix: str, **options: Any
) -> AsyncIterator[EngineRuntime]:
    """The demo tenant's engine runtime on `pbx`, started (a restart: another one after it)."""
    instance = EngineRuntime(
        [demo_tenant_config()],
        pbx,
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        prompts_dir=pbx.config.prompts_dir,
        **options,
    )
    pbx.register_handler(instance.on_call_event)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


@pytest.fixture
async def runtime(pbx: PbxService, redis: Redis, redis_prefix: str) -> AsyncIterator[EngineRuntime]:
    async with running_runtime(pbx, redis, redis_prefix.rstrip(":")) as instance:
        yield instance


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__(EmailMessage)
        self.mails: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.mails.append(message)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port(socket.SOCK_STREAM)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_FROM", "voicemail@opencc.test")
    yield handler
    controller.stop()
