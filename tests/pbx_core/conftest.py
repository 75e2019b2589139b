"""Fixtures: a PBX on free ports with its own Redis prefix, rtpengine, prompts, SIPp."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis import Redis

from common.child_processes import dies_with_parent
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.directory import Directory, RecordingMode, SipUser, demo_directory
from pbx_core.media.prompts import generate_all
from pbx_core.media.rtpengine_process import RtpengineProcess, start_rtpengine
from pbx_core.service import PbxService
from tests.pbx_core.support import EventLog, free_port, free_sip_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _require(binary: str) -> None:
    if shutil.which(binary) is None:
        pytest.fail(f"{binary} is missing: install the Debian packages in the Makefile")


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require("espeak-ng")
    target = tmp_path_factory.mktemp("prompts")
    generate_all(target)
    return target


@pytest.fixture(scope="session")
def rtpengine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtpengineProcess]:
    _require("rtpengine")
    work = tmp_path_factory.mktemp("rtpengine")
    dtmf_port = free_port()
    instance = start_rtpengine(work, recording_dir=work / "recordings", dtmf_log_port=dtmf_port)
    yield instance
    instance.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[int]:
    """A redis-server of the test's own on a free port: a restarted rtpengine restores every
    call it finds in its DB, so no other test's may be there."""
    if shutil.which("redis-server") is None or shutil.which("rtpengine") is None:
        pytest.fail("redis-server or rtpengine is missing: install the Makefile's Debian packages")
    port = free_port(socket.SOCK_STREAM)
    process = subprocess.Popen(
        dies_with_parent([shutil.which("redis-server") or "redis-server", "--port", str(port),
                          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", str(tmp_path)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        with Redis(host="127.0.0.1", port=port, socket_timeout=0.5) as client:
            for _ in range(100):
                with contextlib.suppress(Exception):  # not listening yet
                    if client.ping():
                        break
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=5)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"test-pbx-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def directory_for_tests() -> Directory:
    demo = demo_directory()
    users = [
        *demo.users.values(),
        SipUser(extension="1011", password="pw1011", recording=RecordingMode.ALWAYS),
        SipUser(extension="1012", password="pw1012", recording=RecordingMode.ON_DEMAND),
    ]
    return Directory.of(users, demo.call_center_numbers, demo.trusted_trunk_addresses)


@pytest.fixture
def pbx_config(redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess) -> PbxConfig:
    """The `pbx` fixture's settings (a test module overrides this fixture to change them)."""
    return PbxConfig(
        sip_port=free_sip_port(),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
        prompts_dir=prompts_dir,
        recordings_dir=rtpengine.recording_dir,
        dtmf_listen_port=rtpengine.dtmf_log_port,
        extension_ring_timeout=2.0,
    )


@pytest.fixture
async def pbx(pbx_config: PbxConfig) -> AsyncIterator[PbxService]:
    """A PBX with media (rtpengine) on free ports; ring timeout of extension calls 2 s."""
    service = PbxService(pbx_config, directory_for_tests())
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
def events(pbx: PbxService) -> EventLog:
    return EventLog(pbx.subscribe())
