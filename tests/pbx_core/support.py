"""Helpers for the PBX tests: free ports, SIPp processes, event waiting."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pbx_core import call_control as cc
from tests import ports

SIPP_DIR = Path(__file__).parent / "sipp"
SIPP_TIMEOUT_S = 20

E = TypeVar("E")


def pcm(samples: Sequence[int]) -> bytes:
    """Samples as the linear PCM `g711` takes (16-bit, the machine's byte order)."""
    return array("h", samples).tobytes()


def samples_of(pcm: bytes) -> list[int]:
    """The samples of linear PCM that `g711` gave."""
    return array("h", pcm).tolist()


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A free UDP port (RTP, SIPp phones), or `kind`'s (tests/ports.py)."""
    return ports.free_port(kind)


def udp_port_bound(port: int, tcp: bool = False) -> bool:
    """Whether any socket on this machine is bound to UDP `port` (read from /proc/net); with
    `tcp`, listens on TCP `port` (SIPp over TCP binds no UDP socket)."""
    wanted = f":{port:04X}"
    tables = ("/proc/net/tcp", "/proc/net/tcp6") if tcp else ("/proc/net/udp", "/proc/net/udp6")
    for table in tables:
        with open(table) as rows:
            next(rows)  # the header
            for row in rows:
                local, state = row.split()[1], row.split()[3]
                if local.endswith(wanted) and (not tcp or state == "0A"):  # 0A: LISTEN
                    return True
    return False


def free_sip_port() -> int:
    """A port number free for UDP and TCP alike: the PBX listens on both."""
    return ports.free_port(both=True)


def scenario_variables(scenario: str) -> set[str]:
    text = (SIPP_DIR / scenario).read_text()
    match = re.search(r'<Global variables="([^"]*)"', text)
    return set(match.group(1).split(",")) if match else set()


def digest_uri(
    scenario: str, remote: tuple[str, int] | None, variables: dict[str, Any]
) -> str | None:
    """What SIPp must put in the digest `uri` of a call scenario: its Request-URI, as a phone
    does (the PBX checks it, docs/pbx.md). SIPp's own default, remote_ip:remote_port, only fits
    a REGISTER. The Request-URI is `[$to]@[$to_domain]` or `[$to]@[remote_ip]:[remote_port]`."""
    if remote is None or "to" not in variables:
        return None
    if "[authentication" not in (SIPP_DIR / scenario).read_text():
        return None
    host = variables.get("to_domain") or f"{remote[0]}:{remote[1]}"
    return f"{variables['to']}@{host}"


@dataclass
class SippResult:
    returncode: int
    output: str
    errors: str


class Sipp:
    """One SIPp process running one scenario file from tests/pbx_core/sipp/."""

    def __init__(
        self,
        scenario: str,
        *,
        work_dir: Path,
        remote: tuple[str, int] | None = None,
        local_port: int | None = None,
        variables: dict[str, Any] | None = None,
        extra: list[str] | None = None,
        calls: int = 1,
        timeout_s: int = SIPP_TIMEOUT_S,
    ) -> None:
        """`timeout_s`: SIPp gives up after that long (a test of one long call may raise it)."""
        # Free for TCP too: SIPp binds its main socket over TCP with `-t t1`.
        self.local_port = local_port or free_sip_port()
        self.work_dir = work_dir
        self.answers_only = remote is None
        self.error_file = work_dir / f"sipp-{scenario}-{self.local_port}-errors.log"
        args = ["sipp"]
        if remote is not None:
            args.append(f"{remote[0]}:{remote[1]}")
        args += [
            "-sf", str(SIPP_DIR / scenario),
            "-i", "127.0.0.1",
            "-p", str(self.local_port),
            "-m", str(calls),
            "-nostdin",
            "-timeout", f"{timeout_s}s",
            "-timeout_error",
            "-trace_err",
            "-error_file", str(self.error_file),
        ]  # fmt: skip
        declared = scenario_variables(scenario)
        for name, value in (variables or {}).items():
            if name in declared:  # SIPp refuses to set a variable its scenario does not use
                args += ["-set", name, str(value)]
        auth_uri = digest_uri(scenario, remote, variables or {})
        if auth_uri is not None:
            args += ["-auth_uri", auth_uri]
        if os.environ.get("PBX_TEST_SIPP_TRACE"):  # debugging aid: full message logs
            args.append("-trace_msg")
        self.args = args + (extra or [])
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> Sipp:
        """Start SIPp. One without a remote only answers (a phone, a carrier): it returns once
        SIPp holds its UDP port, so no INVITE is sent while its process is still starting (on a
        loaded machine that takes longer than a test PBX's 2 s ring time)."""
        self._process = await asyncio.create_subprocess_exec(
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.work_dir,
        )
        if self.answers_only:
            await self._until_listening()
        return self

    async def _until_listening(self, timeout: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        over_tcp = "-t" in self.args
        while not udp_port_bound(self.local_port, tcp=over_tcp):
            assert self._process is not None
            if self._process.returncode is not None:
                result = await self.wait()
                raise AssertionError(f"SIPp ended before it listened: {result.errors}")
            assert asyncio.get_running_loop().time() < deadline, "SIPp never bound its port"
            await asyncio.sleep(0.02)

    async def wait(self, timeout: float = SIPP_TIMEOUT_S + 10) -> SippResult:
        assert self._process is not None
        out, err = await asyncio.wait_for(self._process.communicate(), timeout)
        errors = self.error_file.read_text(errors="replace") if self.error_file.exists() else ""
        return SippResult(
            self._process.returncode or 0,
            out.decode(errors="replace"),
            err.decode(errors="replace") + errors,
        )

    def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()


async def run_sipp(scenario: str, **kwargs: Any) -> SippResult:
    sipp = await Sipp(scenario, **kwargs).start()
    try:
        return await sipp.wait(kwargs.get("timeout_s", SIPP_TIMEOUT_S) + 10)
    finally:
        sipp.kill()


class EventLog:
    """Collects PBX events from a subscription so tests can wait for specific ones."""

    def __init__(self, queue: asyncio.Queue[cc.CallEvent]) -> None:
        self._queue = queue
        self.seen: list[cc.CallEvent] = []
        self._taken: set[int] = set()

    async def next_of(self, kind: type[E], timeout: float = 15.0, **match: Any) -> E:
        """The first not yet returned event of `kind` whose fields equal `match`."""
        for index, event in enumerate(self.seen):
            if index not in self._taken and isinstance(event, kind) and _matches(event, match):
                self._taken.add(index)
                return event
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = await self._queue.get()
                    self.seen.append(event)
                    if isinstance(event, kind) and _matches(event, match):
                        self._taken.add(len(self.seen) - 1)
                        return event
        except TimeoutError:
            raise AssertionError(f"no {kind.__name__} {match} among {self.seen}") from None

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.seen if isinstance(event, kind)]


def _matches(event: object, match: dict[str, Any]) -> bool:
    return all(getattr(event, key) == value for key, value in match.items())


async def register(
    pbx_port: int, extension: str, contact_port: int, work_dir: Path, password: str | None = None
) -> SippResult:
    """A real REGISTER with digest auth (SIPp), binding `extension` to 127.0.0.1:contact_port."""
    scenario = "register.xml" if password is None else "register_refused.xml"
    return await run_sipp(
        scenario,
        work_dir=work_dir,
        remote=("127.0.0.1", pbx_port),
        variables={"contact_port": contact_port},
        extra=["-s", extension, "-au", extension, "-ap", password or f"pw{extension}"],
    )


async def trunk_caller(
    sip_port: int,
    scenario: str,
    work_dir: Path,
    *,
    media_port: int,
    to: str = "7001",
    caller: str = "+31201234567",
    **variables: Any,
) -> Sipp:
    """A SIPp caller on the trusted trunk, started: `scenario` (trunk_call*.xml) calling `to`."""
    return await Sipp(
        scenario,
        work_dir=work_dir,
        remote=("127.0.0.1", sip_port),
        variables={"from": caller, "to": to, "media_port": media_port} | variables,
    ).start()


async def agent_phone(
    sip_port: int,
    extension: str,
    scenario: str,
    work_dir: Path,
    timeout_s: int = SIPP_TIMEOUT_S,
    **variables: Any,
) -> Sipp:
    """A SIPp agent phone: registered as `extension`, then running `scenario` (answer, ring...)."""
    port = free_port()
    result = await register(sip_port, extension, port, work_dir)
    assert result.returncode == 0, result.errors
    return await Sipp(
        scenario,
        work_dir=work_dir,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 300, "talk_ms": 800} | variables,
        timeout_s=timeout_s,
    ).start()
