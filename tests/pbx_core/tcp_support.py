"""Helpers for SIP over TCP tests: the gateway next to a test PBX, SIPp phones on TCP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pbx_core.location import Binding
from pbx_core.service import PbxService
from pbx_core.sip.stream_framing import FramingError, KeepAlive, Message, StreamFramer
from pbx_core.sip.tcp_transport import FLOW_PARAM, TcpTransportGateway
from pbx_core.sip.wire import SipMessage
from tests.pbx_core.support import SIPP_DIR, Sipp, free_port, scenario_variables

TCP = ["-t", "t1"]
"""SIPp over TCP, one connection for all its calls (a phone's single flow)."""


@asynccontextmanager
async def running_gateway(pbx: PbxService) -> AsyncIterator[TcpTransportGateway]:
    """The PBX's own SIP-over-TCP listener, at its SIP address as the contract has it (the
    fixtures pick a port number free for UDP and TCP)."""
    gateway = pbx.tcp_gateway
    assert gateway is not None, "the PBX runs without SIP over TCP"
    assert gateway.listen_address == (pbx.config.sip_host, pbx.config.sip_port)
    yield gateway


async def wait_for_binding(pbx: PbxService, extension: str, timeout: float = 10.0) -> Binding:
    """The extension's binding once it is one through the TCP gateway."""
    async with asyncio.timeout(timeout):
        while True:
            binding = pbx.registration(extension)
            if binding is not None and FLOW_PARAM in binding.contact:
                return binding
            await asyncio.sleep(0.05)


class TcpPhone:
    """A phone on one TCP connection (SIPp `tcp_register_and_wait.xml`): registered, handling
    calls to it with an out-of-call scenario. SIPp's exit code covers only the registration,
    so `finish` also reads its error log and its message trace for the calls."""

    def __init__(self, sipp: Sipp, message_file: Path) -> None:
        self.sipp = sipp
        self.message_file = message_file

    async def finish(self) -> list[str]:
        """Wait for the phone to end; assert it met no error; what it sent and received, as
        `sent 180 INVITE`, `received BYE BYE` (start line's method or code, CSeq method)."""
        try:
            result = await self.sipp.wait()
        finally:
            self.sipp.kill()
        assert result.returncode == 0, result.errors
        errors = self.sipp.error_file.read_text(errors="replace")
        problems = [
            event
            for event in _LOG_ENTRY.split(errors)
            if event.strip() and not any(benign in event for benign in _BENIGN)
        ]
        assert not problems, problems
        return summarize(self.message_file.read_text(errors="replace"))


_BENIGN = ("out-of-call scenario", "events occurred", "Overload warning")
"""What SIPp's error log says that is no failure: a call handed to the out-of-call scenario,
the log's heading, its watchdog on a busy machine."""
_LOG_ENTRY = re.compile(r"\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: ")
_TRACE_HEADER = re.compile(r"^TCP message (sent|received)", re.MULTILINE)


def summarize(trace: str) -> list[str]:
    """SIPp's `-trace_msg` log as `sent|received <method or code> <CSeq method>` lines."""
    summary = []
    for entry in _TRACE_HEADER.finditer(trace):
        text = trace[entry.end() :].split("\n-----", 1)[0]
        lines = [line.strip() for line in text.splitlines()[1:] if line.strip()]
        if not lines:
            continue
        first = lines[0].split()
        kind = first[1] if first[0].startswith("SIP/") else first[0]
        cseq = next((line.split()[-1] for line in lines if line.lower().startswith("cseq:")), "")
        summary.append(f"{entry.group(1)} {kind} {cseq}")
    return summary


async def tcp_phone(
    pbx: PbxService,
    gateway: TcpTransportGateway,
    extension: str,
    on_call: str,
    work_dir: Path,
    wait_ms: int = 4000,
    **variables: Any,
) -> TcpPhone:
    """A TCP phone for `extension` that handles calls to it with the scenario `on_call`
    (agent_answer.xml...) for `wait_ms`; returns once it is registered."""
    values = {"media_port": free_port(), "ring_ms": 300, "talk_ms": 800} | variables
    declared = scenario_variables(on_call)
    ooc_args = [
        arg
        for name, value in values.items()
        if name in declared
        for arg in ("-set", name, str(value))
    ]
    message_file = work_dir / f"tcp-phone-{extension}-{free_port()}-messages.log"
    sipp = await Sipp(
        "tcp_register_and_wait.xml",
        work_dir=work_dir,
        remote=gateway.listen_address,
        variables={"wait_ms": wait_ms},
        extra=[*TCP, "-s", extension, "-au", extension, "-ap", f"pw{extension}",
               "-oocsf", str(SIPP_DIR / on_call), *ooc_args,
               "-trace_msg", "-message_file", str(message_file)],
    ).start()  # fmt: skip
    try:
        await wait_for_binding(pbx, extension)
    except TimeoutError:
        sipp.kill()
        result = await sipp.wait()
        raise AssertionError(f"{extension} did not register over TCP: {result.errors}") from None
    return TcpPhone(sipp, message_file)


class Peer:
    """A raw TCP client of the gateway that reads back what it is sent, message by message."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._framer = StreamFramer()
        self._frames: list[Message | KeepAlive | FramingError] = []

    @classmethod
    async def connect(cls, gateway: TcpTransportGateway, source: str | None = None) -> Peer:
        """`source`: the loopback address to connect from (127.0.0.0/8 all works locally)."""
        local = None if source is None else (source, 0)
        return cls(*await asyncio.open_connection(*gateway.listen_address, local_addr=local))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self, timeout: float = 5.0) -> Message | KeepAlive | FramingError:
        async with asyncio.timeout(timeout):
            while not self._frames:
                data = await self.reader.read(65536)
                assert data, "the gateway closed the connection"
                self._frames += self._framer.feed(data)
        return self._frames.pop(0)

    async def message(self) -> SipMessage:
        frame = await self.receive()
        assert isinstance(frame, Message), frame
        return SipMessage.parse(frame.data)

    async def status(self) -> str:
        return (await self.message()).start_line

    async def closed(self, timeout: float = 5.0) -> bool:
        async with asyncio.timeout(timeout):
            return await self.reader.read(65536) == b""

    def close(self) -> None:
        self.writer.close()
