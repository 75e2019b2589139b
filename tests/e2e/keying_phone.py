"""A phone that calls (SIPp: from an extension with digest auth, or from the trusted trunk) with an
RTP endpoint (silent until told to `speak`) and keys digits as RFC 4733 events; the PBX is
expected to hang up (the voice portal, the callback menu), or the phone hangs up itself after
`hang_up_after_ms`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import SIPP_TIMEOUT_S, SippResult, run_sipp
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets

EVENT_CODES = {**{str(n): n for n in range(10)}, "*": 10, "#": 11}


class KeyingCall:
    def __init__(
        self,
        sip_port: int,
        work_dir: Path,
        caller: str,
        to: str,
        *,
        on_trunk: bool = False,
        hang_up_after_ms: int | None = None,
        timeout_s: int = SIPP_TIMEOUT_S,
    ) -> None:
        """`caller` is an extension (password `pw<extension>`), or with `on_trunk` any number;
        SIPp gives up after `timeout_s` (a long session in a menu may raise it)."""
        self.phone = RtpPhone(None).start()
        self.sequence, self.timestamp = 5000, 400000
        self.timeout_s = timeout_s
        scenario = "trunk_call_remote_bye.xml" if on_trunk else "ext_call_remote_bye.xml"
        held = {} if hang_up_after_ms is None else {"hold_ms": hang_up_after_ms}
        if hang_up_after_ms is not None:
            assert not on_trunk, "an extension's call only"
            scenario = "ext_call.xml"
        self.call: asyncio.Task[SippResult] = asyncio.create_task(
            run_sipp(
                scenario,
                work_dir=work_dir,
                remote=("127.0.0.1", sip_port),
                variables={"from": caller, "to": to, "media_port": self.phone.port, **held},
                extra=[] if on_trunk else ["-au", caller, "-ap", f"pw{caller}"],
                timeout_s=timeout_s,
            )
        )

    async def press(self, digits: str) -> None:
        for _ in range(100):  # the first prompt tells where rtpengine listens
            if self.phone.peer is not None:
                break
            await asyncio.sleep(0.05)
        assert self.phone.peer is not None, "the call was not answered with audio"
        for digit in digits:
            for packet in telephone_event_packets(
                EVENT_CODES[digit], self.sequence, self.timestamp, 0x62
            ):
                self.phone.sock.sendto(packet, self.phone.peer)
                await asyncio.sleep(0.02)
            self.sequence += 10
            self.timestamp += 1600
            await asyncio.sleep(0.15)

    async def hung_up_by_pbx(self) -> None:
        """The call ended well (the PBX's BYE, or this phone's after `hang_up_after_ms`)."""
        try:
            result = await asyncio.wait_for(self.call, self.timeout_s + 15)
            assert result.returncode == 0, result.errors
        finally:
            await self.phone.close()
