"""A real softphone for the product's tests: baresip registered as an extension over UDP, driven
through its `ctrl_tcp` module (JSON commands in netstrings: `dial`, `transfer`, `hangup`...) and
reporting its events there (`CALL_ESTABLISHED`, `CALL_CLOSED`, `MWI_NOTIFY` with the NOTIFY's
`message-summary` body...). Its voice is a tone read in a loop (`aufile`); what it hears goes
to the `sndfile` module's dump (`heard`: there is no sound card); it answers by itself
(`answermode=auto`) and subscribes to its voicemail box's message summary (`mwi`, RFC 3842).

baresip 1.0 (Debian's) has a blind transfer (`transfer`, a REFER) but no attended one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Self

import pytest

from tests.pbx_core.support import free_port
from tests.pbx_core.test_sip_tls import baresip_port


class Baresip:
    def __init__(self, directory: Path, extension: str, pbx_port: int, voice_hz: int) -> None:
        if shutil.which("baresip") is None:
            pytest.fail("baresip is missing: install the Debian packages in the Makefile")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        voice = directory / "voice.wav"
        synth = ["synth", "60", "sine", str(voice_hz)]  # longer than any call of a test
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(voice), *synth],
                       check=True)  # fmt: skip
        self.control_port = free_port()
        (directory / "config").write_text(
            "poll_method epoll\n"
            f"sip_listen 127.0.0.1:{baresip_port()}\n"
            # No sound card: what it hears is the `sndfile` filter's dump (`heard`).
            f"snd_path {directory}\n"
            f"audio_source aufile,{voice}\n"
            f"audio_alert aufile,{directory / 'alert.wav'}\n"
            "audio_srate 8000\naudio_channels 1\n"
            "module_path /usr/lib/baresip/modules\n"
            "module g711.so\nmodule aufile.so\nmodule sndfile.so\n"
            "module_app account.so\nmodule_app menu.so\nmodule_app mwi.so\n"
            "module_app ctrl_tcp.so\n"
            f"ctrl_tcp_listen 127.0.0.1:{self.control_port}\n"
        )
        (directory / "accounts").write_text(
            f"<sip:{extension}@127.0.0.1:{pbx_port}>;auth_pass=pw{extension};"
            "answermode=auto;regint=300;mwi=yes\n"
        )
        self.log = directory / "baresip.log"
        self.events: list[dict[str, Any]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tokens = 0

    async def start(self) -> Self:
        self._process = subprocess.Popen(
            ["baresip", "-s", "-f", str(self.directory)],  # -s: the SIP trace in the log
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        async with asyncio.timeout(10):
            while True:
                try:
                    reader, self._writer = await asyncio.open_connection(
                        "127.0.0.1", self.control_port
                    )
                    break
                except OSError:
                    await asyncio.sleep(0.1)
        self._reader_task = asyncio.create_task(self._read(reader))
        return self

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            length = await reader.readuntil(b":")
            body = await reader.readexactly(int(length[:-1]))
            await reader.readexactly(1)  # the netstring's ","
            message = json.loads(body)
            if message.get("event"):
                self.events.append(message)
            elif (reply := self._replies.pop(str(message.get("token")), None)) is not None:
                reply.set_result(message)

    async def command(self, command: str, params: str = "") -> dict[str, Any]:
        """A `menu` command (`dial`, `transfer`, `hangup`...); its reply."""
        assert self._writer is not None, "not started"
        self._tokens += 1
        token = str(self._tokens)
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[token] = reply
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._writer.write(b"%d:%s," % (len(body), body))
        await self._writer.drain()
        async with asyncio.timeout(10):
            return await reply

    @property
    def heard(self) -> Path:
        """What the phone heard in its last call (a WAV file)."""
        dumps = sorted(self.directory.glob("dump-*-dec.wav"))
        assert dumps, "no audio was decoded"
        return dumps[-1]

    async def printed(self, text: str, timeout: float = 10) -> str:
        """Until baresip's output has `text` (what happened before `start` returned has no event
        on the control connection: the registration, the first MWI); the output then."""
        async with asyncio.timeout(timeout):
            while text not in (output := self.log.read_text()):
                await asyncio.sleep(0.1)
        return output

    async def registered(self) -> None:
        await self.printed("200 OK")

    async def event(self, kind: str, timeout: float = 20, after: int = 0) -> dict[str, Any]:
        """The first event of type `kind` (`REGISTER_OK`, `CALL_ESTABLISHED`, `MWI_NOTIFY`...)
        from the `after`-th on."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events[after:]:
                    if event.get("type") == kind:
                        return event
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        if self._writer is not None:
            self._writer.close()
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
