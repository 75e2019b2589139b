"""`make demo` with `OPENCC_SIP_TLS_CERT`/`_KEY`/`_PORT` set listens for SIP over TLS: a demo
phone registers over it with its published password (issue 19, "no TLS"); with a certificate
that is not there the start stops at once with a one-line message, no traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pbx_core.sip.tcp_transport import Address
from pbx_core.sip.tls_context import TlsFiles
from tests.e2e.test_product_orphans import alive, descendants
from tests.pbx_core.support import free_port, free_sip_port
from tests.pbx_core.tcp_support import Peer
from tests.pbx_core.tls_support import TlsPhone, options
from tests.tls_certs import client_context, self_signed

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]


def demo_environment(var: Path, tls: TlsFiles, port: int) -> dict[str, str]:
    assert tls.key_file is not None
    return {
        **os.environ,
        "OPENCC_HTTP_PORT": str(free_port(socket.SOCK_STREAM)),
        "OPENCC_SIP_PORT": str(free_sip_port()),
        "OPENCC_SIP_WS_PORT": str(free_port(socket.SOCK_STREAM)),  # not 5066: tests side by side
        "OPENCC_SIP_TLS_CERT": str(tls.cert_file),
        "OPENCC_SIP_TLS_KEY": str(tls.key_file),
        "OPENCC_SIP_TLS_PORT": str(port),
        "OPENCC_MEDIA": "0",
        "OPENCC_VAR_DIR": str(var),
        "OPENCC_KEY_PREFIX": f"test-sip-tls-{uuid.uuid4().hex[:8]}",
        "REDIS_URL": REDIS_URL,
    }


@pytest.fixture
def certificate(tmp_path: Path) -> TlsFiles:
    return self_signed(tmp_path)


@pytest.fixture
def tls_port() -> int:
    return free_port(socket.SOCK_STREAM)


@pytest.fixture
def demo(tmp_path: Path, certificate: TlsFiles, tls_port: int) -> Iterator[subprocess.Popen[bytes]]:
    var = tmp_path / "var"
    var.mkdir()
    product = subprocess.Popen(
        [sys.executable, "-m", "cti.demo"],
        cwd=ROOT,
        env=demo_environment(var, certificate, tls_port),
        stdout=(tmp_path / "banner.txt").open("wb"),
        stderr=(tmp_path / "product.log").open("wb"),
    )
    started: set[int] = set()
    try:
        started = descendants(product.pid)
        yield product
    finally:
        started |= descendants(product.pid)
        if product.poll() is None:
            product.terminate()
            try:
                product.wait(timeout=30)
            except subprocess.TimeoutExpired:
                product.kill()
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


async def connect_when_listening(
    product: subprocess.Popen[bytes], address: Address, tls: TlsFiles, log: Path
) -> Peer:
    async with asyncio.timeout(180):  # the whole product starting on a loaded machine
        while True:
            assert product.poll() is None, log.read_text()[-3000:]
            try:
                return Peer(*await asyncio.open_connection(*address, ssl=client_context(tls)))
            except OSError:
                await asyncio.sleep(0.5)


async def test_the_demo_with_a_certificate_registers_phones_over_tls(
    demo: subprocess.Popen[bytes], certificate: TlsFiles, tls_port: int, tmp_path: Path
) -> None:
    address = ("127.0.0.1", tls_port)
    peer = await connect_when_listening(demo, address, certificate, tmp_path / "product.log")
    try:
        await peer.send(options(f"sip:127.0.0.1:{tls_port}"))
        assert await peer.status() == "SIP/2.0 200 OK"
        phone = TlsPhone(peer, "1001", f"sip:127.0.0.1:{tls_port}")
        assert (await phone.register("pw1001")).start_line == "SIP/2.0 200 OK"
    finally:
        peer.close()
    async with asyncio.timeout(60):  # the banner comes once everything runs
        while f"SIP over TLS        127.0.0.1:{tls_port}" not in (
            (tmp_path / "banner.txt").read_text()
        ):
            await asyncio.sleep(0.2)


def test_a_missing_certificate_stops_the_start_with_a_message(
    tmp_path: Path, certificate: TlsFiles, tls_port: int
) -> None:
    missing = tmp_path / "nowhere" / "sip.pem"
    env = demo_environment(tmp_path / "var", certificate, tls_port)
    env["OPENCC_SIP_TLS_CERT"] = str(missing)
    ended = subprocess.run(
        [sys.executable, "-m", "cti.demo"], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert ended.returncode == 1
    errors = ended.stderr.decode()
    assert (
        f"opencc: SIP over TLS (OPENCC_SIP_TLS_CERT, OPENCC_SIP_TLS_KEY): TLS certificate file"
        f" {missing} cannot be read: No such file or directory" in errors
    ), errors
    assert "Traceback" not in errors
