"""Three-way calls over real SIP (SIPp phones), real RTP through rtpengine and the PBX's mixer.

1001 calls 1002 (B), puts it on hold (re-INVITE sendonly), then calls 1003 (C), from two SIPp
dialogs as a phone with two lines, and keys `*31` (RFC 4733) in the second call. Every phone's
audio is an `RtpPhone` playing its own tone: 1001 in the second call 500 Hz, in the first (now
silent) 700 Hz, B 1000 Hz, C 1500 Hz. Who hears whom is read from the tones in the frames each
one receives.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pbx_core.call_control import DEFAULT_TENANT
from pbx_core.features.codes import CONFERENCE_CODE
from pbx_core.features.diversion import N_WAY_OTHERS, THREE_WAY_OTHERS, Forwarding
from pbx_core.media import sdp_rewrite
from pbx_core.service import PbxService
from pbx_core.sip.calls.model import Call
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import EventLog, Sipp, agent_phone
from tests.pbx_core.test_hold_and_monitor import _assert_hearing, _listen
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets

USER_HZ, USER_HELD_HZ, B_HZ, C_HZ = 500, 700, 1000, 1500
USER_THIRD_LINE_HZ, D_HZ = 1200, 2000
HOLD_MS = 12000
"""How long 1001 stays in its call to 1003 (then hangs it up): room for an N-way call's steps on
a loaded machine."""
EVENTS = {"*": 10, "#": 11} | {str(n): n for n in range(10)}
"""RFC 4733 event codes of the keys."""


@dataclass
class TwoCalls:
    user: RtpPhone
    """1001's audio in the second call (to C)."""
    user_held: RtpPhone
    b: RtpPhone
    c: RtpPhone
    sipps: list[Sipp]


@pytest.fixture
async def two_calls(pbx: PbxService, tmp_path: Path) -> AsyncIterator[TwoCalls]:
    async with open_two_calls(pbx, tmp_path) as calls:
        yield calls


@asynccontextmanager
async def open_two_calls(
    pbx: PbxService, tmp_path: Path, second_line: str = "ext_call.xml"
) -> AsyncIterator[TwoCalls]:
    """1001 in a call with 1002 and then, the first on its other line, with 1003 (the PBX of
    the tests or the product's); `second_line`: the scenario of the call to 1003 (by default
    1001 hangs it up after `HOLD_MS`)."""
    user, user_held = RtpPhone(USER_HZ).start(), RtpPhone(USER_HELD_HZ).start()
    b, c = RtpPhone(B_HZ).start(), RtpPhone(C_HZ).start()
    sipps = [
        await agent_phone(pbx.config.sip_port, extension, "agent_answer_reinvites.xml",
                          tmp_path, ring_ms=100, media_port=phone.port)
        for extension, phone in (("1002", b), ("1003", c))
    ]  # fmt: skip
    try:
        sipps.append(
            await _user_dialog(pbx, tmp_path, "ext_call_hold_remote_bye.xml", "1002", user_held)
        )
        await _start_talking(pbx, "1002", user_held, b)
        await b.wait_to_hear(USER_HELD_HZ)
        await user_held.wait_to_hear(B_HZ)
        await _call_to(pbx, "1002", held=True)
        sipps.append(await _user_dialog(pbx, tmp_path, second_line, "1003", user, hold_ms=HOLD_MS))
        await _start_talking(pbx, "1003", user, c)
        await c.wait_to_hear(USER_HZ)
        await user.wait_to_hear(C_HZ)
        yield TwoCalls(user, user_held, b, c, sipps)
    finally:
        for sipp in sipps:
            sipp.kill()
        for phone in (user, user_held, b, c):
            await phone.close()


async def _start_talking(pbx: PbxService, to: str, user: RtpPhone, callee: RtpPhone) -> None:
    """Once 1001's call to `to` is bridged, both phones send to rtpengine (where their SDP
    says; an `RtpPhone` otherwise waits to hear something first, and so would both)."""
    call = await _call_to(pbx, to)
    user.peer = sdp_rewrite.audio_endpoint(str(call.ua.lSDP))[0]
    callee.peer = sdp_rewrite.audio_endpoint(call.offer_sdp)[0]


async def _call_to(pbx: PbxService, to: str, *, held: bool = False) -> Call:
    """1001's call to `to`, once bridged (and, if `held`, held by 1001's phone)."""
    assert pbx._calls is not None
    calls = pbx._calls.calls
    async with asyncio.timeout(10):
        while True:
            found = [
                call
                for call in list(calls.values())
                if call.caller == "1001"
                and call.bridged is not None
                and call.bridged.extension == to
                and (call.held or not held)
            ]
            if found:
                return found[0]
            await asyncio.sleep(0.05)


async def _user_dialog(
    pbx: PbxService, work: Path, scenario: str, to: str, phone: RtpPhone, **variables: object
) -> Sipp:
    return await Sipp(
        scenario,
        work_dir=work,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "1001", "to": to, "media_port": phone.port} | variables,
        extra=["-au", "1001", "-ap", "pw1001"],
    ).start()


async def _key(phone: RtpPhone, keys: str) -> None:
    """`keys` as RFC 4733 events from the phone, to where its audio goes."""
    assert phone.peer is not None
    # Each press a timestamp of its own, also across calls: rtpengine takes a repeated
    # timestamp for the same event.
    seq, timestamp = secrets.randbits(15), secrets.randbits(30)
    for key in keys:
        for packet in telephone_event_packets(EVENTS[key], seq, timestamp, 0xC0FFEE):
            phone.sock.sendto(packet, phone.peer)
            await asyncio.sleep(0.02)
        seq, timestamp = seq + 10, timestamp + 1600


async def test_three_way_call_each_party_hears_the_other_two(
    pbx: PbxService, events: EventLog, two_calls: TwoCalls
) -> None:
    pbx.user_services.put(DEFAULT_TENANT, "1001", Forwarding(conference_others=THREE_WAY_OTHERS))
    await join_and_check(two_calls)


async def join_and_check(talk: TwoCalls) -> None:
    """1001 keys the code in its call to 1003: each hears the other two, until 1001 hangs up
    and every call ends."""
    await _key(talk.user, CONFERENCE_CODE)
    await talk.user.wait_to_hear(B_HZ, timeout=10)
    await talk.b.wait_to_hear(USER_HZ)
    since = await _listen()
    _assert_hearing(
        since,
        {
            talk.user: ((B_HZ, C_HZ), (USER_HELD_HZ, USER_HZ)),
            talk.b: ((USER_HZ, C_HZ), (USER_HELD_HZ, B_HZ)),
            talk.c: ((USER_HZ, B_HZ), (USER_HELD_HZ, C_HZ)),
        },
    )
    # The user hangs up the call they talk in: the other call ends too (BYE to both).
    for sipp in talk.sipps:
        result = await sipp.wait()
        assert result.returncode == 0, result.errors


async def test_without_the_feature_nothing_is_joined(
    pbx: PbxService, events: EventLog, two_calls: TwoCalls
) -> None:
    talk = two_calls
    await _key(talk.user, CONFERENCE_CODE)
    since = await _listen()
    _assert_hearing(since, {talk.b: ((USER_HELD_HZ,), (USER_HZ, C_HZ))})


@pytest.mark.parametrize("others", [N_WAY_OTHERS, THREE_WAY_OTHERS])
async def test_n_way_a_further_call_joins_up_to_the_profiles_cap(
    pbx: PbxService, tmp_path: Path, others: int
) -> None:
    """With NWayCall a third call (to 1004) joins on a second `*31` and the user talks in it; with
    ThreeWayCall only, it is refused and the three-way call goes on."""
    # With N-way the user's line to 1003 ends with the third line, the one the user talks in.
    second_line = "ext_call_remote_bye.xml" if others == N_WAY_OTHERS else "ext_call.xml"
    async with open_two_calls(pbx, tmp_path, second_line) as talk:
        await _add_a_third_call(pbx, talk, tmp_path, others)


async def _add_a_third_call(pbx: PbxService, talk: TwoCalls, tmp_path: Path, others: int) -> None:
    pbx.user_services.put(DEFAULT_TENANT, "1001", Forwarding(conference_others=others))
    await _key(talk.user, CONFERENCE_CODE)
    await talk.b.wait_to_hear(C_HZ, timeout=10)
    user, d = RtpPhone(USER_THIRD_LINE_HZ).start(), RtpPhone(D_HZ).start()
    d_sipp = await agent_phone(pbx.config.sip_port, "1004", "agent_answer_reinvites.xml",
                               tmp_path, ring_ms=100, media_port=d.port)  # fmt: skip
    user_sipp = await _user_dialog(pbx, tmp_path, "ext_call.xml", "1004", user, hold_ms=5000)
    try:
        await _start_talking(pbx, "1004", user, d)
        await d.wait_to_hear(USER_THIRD_LINE_HZ)
        await _key(user, CONFERENCE_CODE)
        if others == N_WAY_OTHERS:
            await d.wait_to_hear(B_HZ, timeout=10)
            since = await _listen()
            everyone = {USER_THIRD_LINE_HZ, B_HZ, C_HZ, D_HZ}
            silent = (USER_HELD_HZ, USER_HZ)
            _assert_hearing(
                since,
                {
                    phone: (tuple(everyone - {own}), (*silent, own))
                    for phone, own in (
                        (user, USER_THIRD_LINE_HZ),
                        (talk.b, B_HZ),
                        (talk.c, C_HZ),
                        (d, D_HZ),
                    )
                },
            )
        else:
            since = await _listen()
            _assert_hearing(
                since,
                {
                    d: ((USER_THIRD_LINE_HZ,), (B_HZ, C_HZ)),
                    talk.b: ((USER_HZ, C_HZ), (D_HZ, USER_THIRD_LINE_HZ)),
                },
            )
        # The user hangs up the third line: with N-way every call ends with it, else only that
        # call, and the three-way call ends when the user hangs up its line later.
        for sipp in (user_sipp, d_sipp, *talk.sipps):
            result = await sipp.wait()
            assert result.returncode == 0, result.errors
    finally:
        for sipp in (user_sipp, d_sipp):
            sipp.kill()
        for phone in (user, d):
            await phone.close()
