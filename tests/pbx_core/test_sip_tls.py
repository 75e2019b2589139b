"""SIP over TLS (issue 19): a real softphone (baresip) registers over TLS and answers a call from
a UDP phone; calls reach a TLS phone down the connection it registered on (Via `SIP/2.0/TLS`)
and get 480 once that connection is gone; attacks on the TLS port (plaintext, garbage, old TLS,
a wrong password) cost the attacker only; an unusable certificate stops the start, clearly."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from pbx_core import call_control as cc
from pbx_core.config import PbxConfig
from pbx_core.service import PbxService
from pbx_core.sip.tcp_transport import TcpTransportGateway
from pbx_core.sip.tls_context import TlsConfigError, TlsFiles
from pbx_core.sip.tls_transport import TlsTransportGateway
from pbx_core.sip.wire import make_response
from tests.pbx_core.conftest import directory_for_tests
from tests.pbx_core.support import EventLog, free_port, free_sip_port, run_sipp, udp_port_bound
from tests.pbx_core.tls_support import TlsPhone, next_message, options, tls_peer
from tests.tls_certs import client_context, self_signed

FLOW = TlsTransportGateway.flow_param


@pytest.fixture
def certificate(tmp_path: Path) -> TlsFiles:
    return self_signed(tmp_path)


@pytest.fixture
def pbx_config(pbx_config: PbxConfig, certificate: TlsFiles) -> PbxConfig:
    """The usual test PBX, with SIP over TLS on a free port."""
    port = free_port(socket.SOCK_STREAM)
    return dataclasses.replace(pbx_config, sip_tls=certificate, sip_tls_port=port)


def gateway_of(pbx: PbxService) -> TlsTransportGateway:
    gateway = pbx.tls_gateway
    assert gateway is not None, "the PBX runs without SIP over TLS"
    return gateway


async def wait_for_tls_binding(pbx: PbxService, extension: str, timeout: float = 20.0) -> str:
    async with asyncio.timeout(timeout):
        while True:
            binding = pbx.registration(extension)
            if binding is not None and FLOW in binding.contact:
                return binding.contact
            await asyncio.sleep(0.05)


def udp_call(pbx: PbxService, caller: str, called: str, work_dir: Path) -> dict[str, Any]:
    return {
        "work_dir": work_dir,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": caller, "to": called, "media_port": free_port(), "hold_ms": 1000},
        "extra": ["-au", caller, "-ap", f"pw{caller}"],
    }


def baresip_port() -> int:
    """baresip listens on UDP and TCP at its port and on TLS at the next: all must be free (it
    does not start otherwise)."""
    while True:
        port = free_sip_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tls:
            try:
                tls.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


def baresip_config(directory: Path, extension: str, tls: TlsFiles, port: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    voice = directory / "voice.wav"  # 1 kHz, longer than the call: baresip hangs up at its end
    synth = ["synth", "10", "sine", "1000"]
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(voice), *synth],
                   check=True)  # fmt: skip
    (directory / "config").write_text(
        "poll_method epoll\n"
        f"sip_listen 127.0.0.1:{baresip_port()}\n"
        f"sip_cafile {tls.cert_file}\n"
        f"audio_player aufile,{directory / 'heard.wav'}\n"
        f"audio_source aufile,{voice}\n"
        f"audio_alert aufile,{directory / 'alert.wav'}\n"
        "audio_srate 8000\naudio_channels 1\n"
        "module_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n"
    )
    (directory / "accounts").write_text(
        f"<sip:{extension}@127.0.0.1:{port};transport=tls>;auth_pass=pw{extension};"
        "answermode=auto;regint=300\n"
    )


async def test_baresip_registers_over_tls_and_answers_a_udp_phones_call(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    tls, port = pbx.config.sip_tls, tls_port(pbx)
    assert tls is not None and gateway_of(pbx).listen_address == ("127.0.0.1", port)
    baresip_config(tmp_path / "baresip", "1009", tls, port)
    log_file = tmp_path / "baresip.log"
    phone = subprocess.Popen(
        ["baresip", "-f", str(tmp_path / "baresip")],
        stdin=subprocess.DEVNULL,
        stdout=log_file.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        try:
            await wait_for_tls_binding(pbx, "1009")
        except TimeoutError:
            raise AssertionError(f"baresip did not register: {log_file.read_text()}") from None
        caller = await run_sipp("ext_call.xml", **udp_call(pbx, "1001", "1009", tmp_path))
        assert caller.returncode == 0, (caller.errors, log_file.read_text())
        answered = await events.next_of(cc.CallAnswered, extension="1009")
        hung_up = await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
    finally:
        phone.terminate()
        phone.wait(timeout=10)


@pytest.mark.parametrize(
    ("scheme", "transport"), [("sip", ";transport=tls"), ("sips", "")], ids=["sip", "sips"]
)
async def test_calls_go_down_the_registered_tls_connection_and_get_480_once_it_is_gone(
    pbx: PbxService, certificate: TlsFiles, tmp_path: Path, scheme: str, transport: str
) -> None:
    gateway = gateway_of(pbx)
    peer = await tls_peer(gateway, client_context(certificate))
    contact = f"{scheme}:1005@127.0.0.1:{TlsPhone.CONTACT_PORT}{transport}"
    phone = TlsPhone(peer, "1005", f"{scheme}:127.0.0.1:{tls_port(pbx)}", contact)
    try:
        answer = await phone.register("pw1005")
        assert answer.start_line == "SIP/2.0 200 OK"
        # The phone sees its own Contact again, not the flow URI the registrar stores.
        assert f"<{contact}>" in (answer.first("contact") or "")
        assert f"{FLOW}=" in await wait_for_tls_binding(pbx, "1005")
        caller = asyncio.create_task(
            run_sipp("ext_call_fails_486.xml", **udp_call(pbx, "1001", "1005", tmp_path))
        )
        invite = await next_message(peer)
        assert invite.method == "INVITE"
        assert invite.request_uri == contact
        top = invite.top_via()
        assert (top.protocol, top.host, top.port) == ("SIP/2.0/TLS", "127.0.0.1", tls_port(pbx))
        # The PBX's Contact brings the phone's in-dialog requests back over TLS.
        assert f"127.0.0.1:{tls_port(pbx)};transport=tls" in (invite.first("contact") or "")
        await peer.send(make_response(invite, 486, "Busy Here").to_bytes())
        ack = await next_message(peer)
        assert ack.method == "ACK"
        result = await caller
        assert result.returncode == 0, result.errors
    finally:
        peer.close()
    await no_connections_left(gateway)
    gone = await run_sipp("ext_call_fails_480.xml", **udp_call(pbx, "1001", "1005", tmp_path))
    assert gone.returncode == 0, gone.errors


async def no_connections_left(gateway: TcpTransportGateway) -> None:
    async with asyncio.timeout(10):
        while gateway.connection_count:
            await asyncio.sleep(0.05)


def tls_port(pbx: PbxService) -> int:
    return pbx.config.sip_tls_port


async def answers_options(gateway: TcpTransportGateway, tls: TlsFiles) -> str:
    peer = await tls_peer(gateway, client_context(tls))
    try:
        await peer.send(options("sip:{}:{}".format(*gateway.listen_address)))
        return await peer.status()
    finally:
        peer.close()


async def test_plaintext_and_garbage_on_the_tls_port_cost_only_their_connection(
    pbx: PbxService, certificate: TlsFiles
) -> None:
    gateway = gateway_of(pbx)
    assert await answers_options(gateway, certificate) == "SIP/2.0 200 OK"
    uri = f"sip:127.0.0.1:{tls_port(pbx)}"
    attacks = [
        options(uri),  # SIP in the clear, as to the TCP port
        b"\x16\x03\x01\x00\x05garbage" + os.urandom(512),  # a broken ClientHello
        os.urandom(4096),
    ]
    for attack in attacks:
        reader, writer = await asyncio.open_connection("127.0.0.1", tls_port(pbx))
        try:
            writer.write(attack)
            await writer.drain()
            async with asyncio.timeout(10):
                answer = await reader.read(65536)
                while answer and not answer.startswith(b"SIP/"):
                    answer = await reader.read(65536)  # TLS alerts, then the close
            assert answer == b"", answer  # never a SIP answer, and the connection closed
        finally:
            writer.close()
    assert await answers_options(gateway, certificate) == "SIP/2.0 200 OK"
    await no_connections_left(gateway)  # the attackers' connections were never counted


def pinned(tls: TlsFiles, version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that speaks `version` only, whatever this machine's OpenSSL policy says."""
    context = client_context(tls)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that only the server can be the one refusing
    context.minimum_version = context.maximum_version = version
    return context


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_tls_older_than_1_2_is_refused(pbx: PbxService, certificate: TlsFiles) -> None:
    gateway = gateway_of(pbx)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await tls_peer(gateway, pinned(certificate, ssl.TLSVersion.TLSv1_1))
    peer = await tls_peer(gateway, pinned(certificate, ssl.TLSVersion.TLSv1_2))
    try:
        await peer.send(options(f"sip:127.0.0.1:{tls_port(pbx)}"))
        assert await peer.status() == "SIP/2.0 200 OK"
    finally:
        peer.close()


async def test_a_wrong_password_over_tls_is_refused_as_over_tcp(
    pbx: PbxService, certificate: TlsFiles
) -> None:
    peer = await tls_peer(gateway_of(pbx), client_context(certificate))
    try:
        phone = TlsPhone(peer, "1006", f"sip:127.0.0.1:{tls_port(pbx)}")
        assert (await phone.register("not-pw1006")).start_line == "SIP/2.0 403 Forbidden"
    finally:
        peer.close()
    assert pbx.registration("1006") is None


async def test_an_unusable_certificate_or_key_stops_the_start_naming_it(
    pbx_config: PbxConfig, certificate: TlsFiles, tmp_path: Path
) -> None:
    other = self_signed(tmp_path, name="other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    missing = tmp_path / "missing.pem"
    encrypted = tmp_path / "encrypted.key"
    assert certificate.key_file is not None
    key = serialization.load_pem_private_key(certificate.key_file.read_bytes(), None)
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    cases = {
        f"file {missing} cannot be read: No such file or directory": TlsFiles(missing),
        f"file {tmp_path} cannot be read: Is a directory": dataclasses.replace(
            certificate, key_file=tmp_path
        ),
        f"{garbage} with private key {garbage} cannot be used": TlsFiles(garbage),
        f"{other.key_file} cannot be used (the key is not the certificate's)": (
            dataclasses.replace(certificate, key_file=other.key_file)
        ),
        # OpenSSL says no more than "PEM lib" here; the message lists what must hold
        f"private key {encrypted} cannot be used": dataclasses.replace(
            certificate, key_file=encrypted
        ),
    }
    for message, tls in cases.items():
        pbx = PbxService(dataclasses.replace(pbx_config, sip_tls=tls), directory_for_tests())
        with pytest.raises(TlsConfigError) as refused:
            await pbx.start()
        await pbx.stop()
        assert message in str(refused.value)
        assert not udp_port_bound(pbx_config.sip_port), "the PBX started before it refused"
