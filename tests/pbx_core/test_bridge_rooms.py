"""The conference bridge over real SIP (SIPp phones) and real RTP through rtpengine and the
room's mixer: PIN, moderator, the cap, mute all. Every phone plays its own tone; who hears whom
is read from the tones in the frames each one receives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pbx_core.call_control import DEFAULT_TENANT
from pbx_core.features.rooms import Room
from pbx_core.service import PbxService
from pbx_core.sip.calls.bridge_rooms import MUTE_ALL_CODE
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp
from tests.pbx_core.test_hold_and_monitor import _assert_hearing, _listen
from tests.pbx_core.test_three_way_call import _key

ROOM = Room("8100", pin="1234", moderator_pin="9999", max_participants=3)
MODERATOR_HZ, B_HZ, C_HZ, LATE_HZ = 500, 1000, 1500, 2000


async def _prompted(phone: RtpPhone) -> None:
    """Until the phone hears the PIN prompt (rtpengine's address is then known). 30 s: a CI
    run under full load took more than 10 s to start the prompt (the hoteling test)."""
    async with asyncio.timeout(30):
        while phone.peer is None:
            await asyncio.sleep(0.05)


def _caller(
    pbx: PbxService, work: Path, extension: str, phone: RtpPhone, scenario: str, room: Room = ROOM
) -> Sipp:
    return Sipp(
        scenario,
        work_dir=work,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": extension, "to": room.number, "media_port": phone.port,
                   "hold_ms": 9000},
        extra=["-au", extension, "-ap", f"pw{extension}"],
    )  # fmt: skip


@dataclass
class Meeting:
    moderator: RtpPhone
    b: RtpPhone
    c: RtpPhone
    sipps: list[Sipp]


@asynccontextmanager
async def three_in_the_room(pbx: PbxService, tmp_path: Path, room: Room) -> AsyncIterator[Meeting]:
    """1001 with the moderator's PIN, 1002 and 1003 (after a wrong PIN) with the participants',
    each heard by the other two (checked); they hang up after 9 s."""
    moderator, b, c = RtpPhone(MODERATOR_HZ).start(), RtpPhone(B_HZ).start(), RtpPhone(C_HZ).start()
    sipps = []
    try:
        for extension, phone, pin in (("1001", moderator, room.moderator_pin),
                                      ("1002", b, room.pin), ("1003", c, room.pin)):  # fmt: skip
            sipps.append(
                await _caller(pbx, tmp_path, extension, phone, "ext_call.xml", room).start()
            )
            await _prompted(phone)  # the PIN prompt comes from rtpengine
            if extension == "1003":
                await _key(phone, "0000#")  # a wrong PIN first: asked again
            await _key(phone, pin + "#")
        await moderator.wait_to_hear(C_HZ, timeout=10)
        since = await _listen()
        _assert_hearing(
            since,
            {
                moderator: ((B_HZ, C_HZ), (MODERATOR_HZ,)),
                b: ((MODERATOR_HZ, C_HZ), (B_HZ,)),
                c: ((MODERATOR_HZ, B_HZ), (C_HZ,)),
            },
        )
        yield Meeting(moderator, b, c, sipps)
        for sipp in sipps:
            result = await sipp.wait()
            assert result.returncode == 0, result.errors
    finally:
        for sipp in sipps:
            sipp.kill()
        for phone in (moderator, b, c):
            await phone.close()


async def test_three_callers_with_pins_hear_each_other_the_cap_and_mute_all(
    pbx: PbxService, tmp_path: Path
) -> None:
    pbx.rooms.replace_tenant(DEFAULT_TENANT, [ROOM])
    late = RtpPhone(LATE_HZ).start()
    try:
        async with three_in_the_room(pbx, tmp_path, ROOM) as meeting:
            # A fourth caller with the right PIN: the room is full, it is told so and hung up.
            late_sipp = _caller(pbx, tmp_path, "1004", late, "ext_call_remote_bye.xml")
            await late_sipp.start()
            try:
                await _prompted(late)
                await _key(late, ROOM.pin + "#")
                assert (await late_sipp.wait()).returncode == 0
            finally:
                late_sipp.kill()
            await _key(meeting.moderator, MUTE_ALL_CODE)
            since = await _listen()
            _assert_hearing(
                since,
                {
                    meeting.b: ((MODERATOR_HZ,), (C_HZ, LATE_HZ)),
                    meeting.c: ((MODERATOR_HZ,), (B_HZ, LATE_HZ)),
                },
            )
            heard = [meeting.moderator.share(hz, since) for hz in (B_HZ, C_HZ)]
            assert heard == [0, 0], "mute all: the moderator hears nobody"
    finally:
        await late.close()


async def test_the_tenants_licence_counts_every_room_together(
    pbx: PbxService, tmp_path: Path
) -> None:
    """A licence of 1 place: 1001 is in room 8100, so 1002 keying the right PIN of the empty
    room 8101 (English prompts) is told the bridge is full and hung up."""
    other = Room("8101", pin="4321", moderator_pin="8888", max_participants=5, language="en")
    pbx.rooms.replace_tenant(DEFAULT_TENANT, [ROOM, other], licence=1)
    first, second = RtpPhone(B_HZ).start(), RtpPhone(C_HZ).start()
    seated = _caller(pbx, tmp_path, "1001", first, "ext_call.xml")
    refused = _caller(pbx, tmp_path, "1002", second, "ext_call_remote_bye.xml", other)
    try:
        await seated.start()
        await _prompted(first)
        await _key(first, ROOM.pin + "#")
        async with asyncio.timeout(10):
            while not await pbx.bridge_participants(DEFAULT_TENANT, ROOM.number):
                await asyncio.sleep(0.1)
        await refused.start()
        await _prompted(second)
        await _key(second, other.pin + "#")
        assert (await refused.wait()).returncode == 0  # told and hung up by the PBX
        assert await pbx.bridge_participants(DEFAULT_TENANT, other.number) == []
        assert (await seated.wait()).returncode == 0
    finally:
        for sipp in (seated, refused):
            sipp.kill()
        for phone in (first, second):
            await phone.close()
