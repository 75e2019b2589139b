"""Kamailio in front of two PBX nodes (`python -m pbx_core`) sharing one location table in Redis:
phones register and call through it whichever node takes each request, a node killed with
SIGKILL is routed around, and a flood from one address is cut off (docs/deploy.md, "Kamailio").
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pbx_core.edge.kamailio import (
    EdgeSettings,
    KamailioMissing,
    KamailioProcess,
    kamailio_binary,
    render,
    start_kamailio,
)
from tests.components import fail_missing
from tests.pbx_core.support import Sipp, SippResult, free_sip_port, register, run_sipp

ROOT = Path(__file__).resolve().parents[2]
CALLS = 16
"""Calls per batch: each Call-ID is hashed to a node, so 16 reach both nodes but for a chance
of 2 in 65536."""


@dataclass
class Edge:
    kamailio: KamailioProcess
    nodes: dict[int, subprocess.Popen[bytes]]
    """SIP port -> the node's process."""

    @property
    def port(self) -> int:
        return self.kamailio.settings.port

    def dispatched(self, method: str) -> list[tuple[str, int]]:
        """(Call-ID, node port) of every `method` Kamailio sent to a node, in order."""
        found = re.findall(
            rf"OPENCC-EDGE dispatch {method} (\S+) to sip:127\.0\.0\.1:(\d+)", self.kamailio.log()
        )
        return [(call_id, int(port)) for call_id, port in found]


def answers_options(port: int, source: str = "127.0.0.1", timeout: float = 1.0) -> bytes:
    """One OPTIONS to 127.0.0.1:`port` from `source`; the reply's first line, or b"" if none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.sendto(_options(port, sock.getsockname()[1], source, time.monotonic_ns()),
                    ("127.0.0.1", port))  # fmt: skip
        try:
            return sock.recv(4096).split(b"\r\n", 1)[0]
        except TimeoutError:
            return b""


def _options(port: int, own_port: int, source: str, n: int) -> bytes:
    return (
        f"OPTIONS sip:1002@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {source}:{own_port};branch=z9hG4bK-edge-{n}\r\nMax-Forwards: 70\r\n"
        f"From: <sip:probe@{source}>;tag=e{n}\r\nTo: <sip:1002@127.0.0.1:{port}>\r\n"
        f"Call-ID: edge-{n}@{source}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _start_node(port: int, edge_port: int, prefix: str, var: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pbx_core", "--port", str(port), "--no-media",
         "--key-prefix", prefix, "--var", str(var), "--edge", f"127.0.0.1:{edge_port}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not answers_options(port).startswith(b"SIP/2.0 200"):
        assert process.poll() is None, f"PBX node on {port} ended at start"
        assert time.monotonic() < deadline, f"PBX node on {port} never answered OPTIONS"
    return process


@pytest.fixture
def edge(redis_prefix: str, tmp_path: Path) -> Iterator[Edge]:
    try:
        kamailio_binary()
    except KamailioMissing:  # fails, never skips (tests/components.py)
        fail_missing("kamailio", "run `make system-packages` (or `apt-get install -y kamailio`)")
    edge_port = free_sip_port()
    nodes: dict[int, subprocess.Popen[bytes]] = {}
    running: Edge | None = None
    try:
        for _ in range(2):
            port = free_sip_port()
            nodes[port] = _start_node(port, edge_port, redis_prefix, tmp_path / f"node-{port}")
        settings = EdgeSettings(
            edge_port, tuple(("127.0.0.1", port) for port in nodes), log_dispatch=True
        )
        running = Edge(start_kamailio(settings, tmp_path / "kamailio"), nodes)
        yield running
    finally:
        if running is not None:
            running.kamailio.stop()  # the one running now (a test may have restarted it)
        for process in nodes.values():
            process.send_signal(signal.SIGTERM)
        for process in nodes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


async def _calls(edge: Edge, callee_port: int, tmp_path: Path) -> SippResult:
    """`CALLS` calls from 1001 to 1002 through Kamailio, one at a time (1002 takes one call)."""
    return await run_sipp(
        "ext_call.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", edge.port),
        variables={"from": "1001", "to": "1002", "media_port": 9, "hold_ms": 0},
        extra=["-au", "1001", "-ap", "pw1001", "-l", "1", "-r", "20"],
        calls=CALLS,
        timeout_s=60,
    )


async def _callee(tmp_path: Path) -> Sipp:
    return await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        variables={"media_port": 9, "ring_ms": 0},
        calls=CALLS,
        timeout_s=90,
    ).start()


async def test_phones_register_and_call_through_kamailio_whichever_node(
    edge: Edge, tmp_path: Path
) -> None:
    callee = await _callee(tmp_path)
    try:
        registered = await register(edge.port, "1002", callee.local_port, tmp_path)
        assert registered.returncode == 0, registered.errors
        result = await _calls(edge, callee.local_port, tmp_path)
        assert result.returncode == 0, result.errors + edge.kamailio.log()[-3000:]
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    [(_, registrar)] = {(call_id, node) for call_id, node in edge.dispatched("REGISTER")}
    invites = edge.dispatched("INVITE")
    # A challenge and its answer (same Call-ID) reach the node that issued the nonce.
    by_call: dict[str, set[int]] = {}
    for call_id, node in invites:
        by_call.setdefault(call_id, set()).add(node)
    assert len(by_call) == CALLS and all(len(nodes) == 1 for nodes in by_call.values())
    # Both nodes carried calls: the one the phone did not register with found it in Redis.
    assert {node for _, node in invites} == set(edge.nodes)
    assert any(node != registrar for _, node in invites)


async def test_node_killed_new_calls_go_to_the_other(edge: Edge, tmp_path: Path) -> None:
    callee = await _callee(tmp_path)
    try:
        registered = await register(edge.port, "1002", callee.local_port, tmp_path)
        assert registered.returncode == 0, registered.errors
        dead, alive = edge.nodes
        edge.nodes[dead].kill()  # SIGKILL: no goodbye, the probe and the timeout must notice
        edge.nodes[dead].wait()
        result = await _calls(edge, callee.local_port, tmp_path)
        assert result.returncode == 0, result.errors + edge.kamailio.log()[-3000:]
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    log = edge.kamailio.log()
    assert f"OPENCC-EDGE node down: sip:127.0.0.1:{dead}" in log
    answered = {node for _, node in edge.dispatched("INVITE")} - {dead}
    assert answered == {alive}
    # Once the probe took the dead node out, every new call went straight to the other.
    down_at = log.index(f"node down: sip:127.0.0.1:{dead}")
    later = re.findall(r"dispatch INVITE \S+ to sip:127\.0\.0\.1:(\d+)", log[down_at:])
    assert later and {int(port) for port in later} == {alive}


def test_flood_from_one_address_gets_503_then_silence(edge: Edge) -> None:
    """Attack: 2000 requests at once from 127.0.0.9. The request that trips pike is answered
    503, the address is then banned (nothing answered); others are served meanwhile."""
    flood = edge.kamailio.settings.flood_requests * 10
    replies: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.9", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        own = sock.getsockname()[1]
        for n in range(flood):
            sock.sendto(_options(edge.port, own, "127.0.0.9", n), ("127.0.0.1", edge.port))
        sock.settimeout(3)
        try:
            while True:
                replies.append(sock.recv(4096).split(b"\r\n", 1)[0])
        except TimeoutError:
            pass
    assert b"SIP/2.0 503 Service Unavailable: flood from your address" in replies
    assert len(replies) < flood / 2
    assert answers_options(edge.port, "127.0.0.9", timeout=2) == b""  # banned: dropped
    assert answers_options(edge.port, "127.0.0.1").startswith(b"SIP/2.0 200")
    assert "OPENCC-EDGE flood from 127.0.0.9: banned" in edge.kamailio.log()


def test_settings_and_template_refuse_bad_input(tmp_path: Path) -> None:
    """Attack: addresses that would inject into the config, limits of 0, a template field the
    renderer does not know: refused before Kamailio ever reads a config."""
    with pytest.raises(ValueError, match="not a host and port"):
        EdgeSettings(5060, (('127.0.0.1";\nloadmodule "x', 5070),))
    with pytest.raises(ValueError, match="not a host and port"):
        EdgeSettings(5060, (("127.0.0.1", 70000),))
    with pytest.raises(ValueError, match="at least one PBX node"):
        EdgeSettings(5060, ())
    with pytest.raises(ValueError, match="at least 1"):
        EdgeSettings(5060, (("127.0.0.1", 5070),), flood_requests=0)
    settings = EdgeSettings(5060, (("127.0.0.1", 5070),))
    with pytest.raises(ValueError, match="unknown template field 'nope'"):
        render(settings, tmp_path / "d.list", "listen={{nope}}")
    text = render(settings, tmp_path / "d.list")
    assert "{{" not in text and "listen=udp:127.0.0.1:5060" in text


async def _register_from(
    edge: Edge, source: str, scenario: str, work: Path, password: str, calls: int = 1
) -> SippResult:
    return await run_sipp(
        scenario,
        work_dir=work,
        remote=("127.0.0.1", edge.port),
        variables={"contact_port": free_sip_port()},
        extra=["-i", source, "-s", "1001", "-au", "1001", "-ap", password, "-r", "50"],
        calls=calls,
    )


async def test_password_guessing_behind_the_edge_bans_the_guesser_not_the_edge(
    edge: Edge, tmp_path: Path
) -> None:
    """Attack: 60 wrong passwords from 127.0.0.2 through Kamailio. The nodes (`--edge`) see the
    guesser's own address, so they ban it, and a phone at 127.0.0.3 behind the same Kamailio
    still registers (without it both would be Kamailio's 127.0.0.1 to the nodes)."""
    guesses = await _register_from(edge, "127.0.0.2", "register_refused.xml", tmp_path, "x", 60)
    # 403 for each guess until the node it reaches has counted 10: then 503 + Retry-After at
    # once, passed on by Kamailio as such (the scenario expected the challenge: those count as
    # its failed calls).
    assert "SIP/2.0 503 Service Unavailable" in guesses.errors, guesses.errors
    assert "Retry-After: " in guesses.errors
    phone = await _register_from(edge, "127.0.0.3", "register.xml", tmp_path, "pw1001")
    assert phone.returncode == 0, phone.errors


async def test_kamailio_killed_mid_call_and_restarted_the_call_still_hangs_up(
    edge: Edge, tmp_path: Path
) -> None:
    """kill -9 of Kamailio (all its processes) while a call talks, started again on the same
    address as systemd would: the call's BYE still reaches its node (the route is in the
    dialog's Record-Route, not in Kamailio's memory) and new calls are served."""
    callee = await Sipp(
        "agent_answer.xml", work_dir=tmp_path, variables={"media_port": 9, "ring_ms": 0}, calls=2
    ).start()
    try:
        registered = await register(edge.port, "1002", callee.local_port, tmp_path)
        assert registered.returncode == 0, registered.errors
        talking = await Sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", edge.port),
            variables={"from": "1001", "to": "1002", "media_port": 9, "hold_ms": 4000},
            extra=["-au", "1001", "-ap", "pw1001"],
        ).start()
        deadline = time.monotonic() + 20
        while not edge.dispatched("INVITE"):  # the call is in
            assert time.monotonic() < deadline, "the call never reached a node"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # answered and talking (hold_ms 4 s)
        os.killpg(edge.kamailio.process.pid, signal.SIGKILL)
        edge.kamailio.process.wait()
        edge.kamailio = start_kamailio(edge.kamailio.settings, tmp_path / "kamailio-again")
        result = await talking.wait()
        assert result.returncode == 0, result.errors  # the BYE went through the new Kamailio
        after = await run_sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", edge.port),
            variables={"from": "1001", "to": "1002", "media_port": 9, "hold_ms": 0},
            extra=["-au", "1001", "-ap", "pw1001"],
        )
        assert after.returncode == 0, after.errors
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()


async def test_the_called_phone_hangs_up_and_the_bye_reaches_the_caller_through_kamailio(
    edge: Edge, tmp_path: Path
) -> None:
    """In-dialog requests follow the record-route the other way too: the node's BYE to the
    caller (and the caller's ACK before it) pass Kamailio."""
    callee = await Sipp(
        "agent_answer_hangup.xml",
        work_dir=tmp_path,
        variables={"media_port": 9, "ring_ms": 0, "talk_ms": 300},
    ).start()
    try:
        registered = await register(edge.port, "1002", callee.local_port, tmp_path)
        assert registered.returncode == 0, registered.errors
        caller = await run_sipp(
            "ext_call_remote_bye.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", edge.port),
            variables={"from": "1001", "to": "1002", "media_port": 9},
            extra=["-au", "1001", "-ap", "pw1001"],
        )
        assert caller.returncode == 0, caller.errors + edge.kamailio.log()[-2000:]
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()


class StandbyNode:
    """What a PBX node in standby for a tenant answers (cti/engine_leased.py): 200 to the edge's
    OPTIONS probe (it is up), 503 without Retry-After to every other request (the tenant's
    engine is on another node). Counts the INVITEs it refused."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", free_sip_port()))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.refused_invites = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            request, _, rest = data.partition(b"\r\n")
            method = request.split(b" ", 1)[0]
            if method == b"ACK" or not request.endswith(b"SIP/2.0"):
                continue  # the ACK of our 503, or a reply
            status = b"200 OK" if method == b"OPTIONS" else b"503 Service Unavailable"
            self.refused_invites += method == b"INVITE"
            headers = [line for line in rest.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                       if line.split(b":", 1)[0].lower() in (b"via", b"from", b"to", b"call-id",
                                                             b"cseq")]  # fmt: skip
            reply = b"\r\n".join([b"SIP/2.0 " + status, *headers, b"Content-Length: 0", b"", b""])
            self.sock.sendto(reply, source)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def edge_with_standby(redis_prefix: str, tmp_path: Path) -> Iterator[tuple[Edge, StandbyNode]]:
    edge_port = free_sip_port()
    standby = StandbyNode()
    port = free_sip_port()
    node = _start_node(port, edge_port, redis_prefix, tmp_path / "node")
    running: Edge | None = None
    try:
        destinations = (("127.0.0.1", standby.port), ("127.0.0.1", port))
        settings = EdgeSettings(edge_port, destinations, log_dispatch=True)
        running = Edge(start_kamailio(settings, tmp_path / "kamailio"), {port: node})
        yield running, standby
    finally:
        if running is not None:
            running.kamailio.stop()
        node.send_signal(signal.SIGTERM)
        try:
            node.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.kill()
        standby.close()


async def test_a_node_in_standby_for_the_tenant_refuses_and_the_next_node_serves(
    edge_with_standby: tuple[Edge, StandbyNode], tmp_path: Path
) -> None:
    """Kamailio cannot know which node holds a tenant's queue engine; a node that does not
    answers 503 (no Retry-After), and the call goes on to the next node instead of failing."""
    edge, standby = edge_with_standby
    callee = await _callee(tmp_path)
    try:
        registered = await register(edge.port, "1002", callee.local_port, tmp_path)
        assert registered.returncode == 0, registered.errors + edge.kamailio.log()[-3000:]
        result = await _calls(edge, callee.local_port, tmp_path)
        assert result.returncode == 0, result.errors + edge.kamailio.log()[-3000:]
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    assert standby.refused_invites > 0  # some calls were hashed to it first
    (node,) = edge.nodes
    refused = {call_id for call_id, port in edge.dispatched("INVITE") if port == standby.port}
    served = {call_id for call_id, port in edge.dispatched("INVITE") if port == node}
    assert refused and refused <= served  # each refused call went on to the serving node
    assert "node down" not in edge.kamailio.log()  # a refusal is not a dead node
