"""The conference bridge "Groepsgesprek" (seed 3.3.4): meeting rooms reached by their number,
a PIN keyed after the greeting (RFC 4733 or SIP INFO, ended with `#`), the moderator's PIN or a
participant's, a cap of participants, a join and a leave tone, and "mute all" by the moderator
(`*6` toggles it). docs/conference.md.

The PBX answers the caller itself (rtpengine anchors it as every call) and, once the PIN is
good, re-answers rtpengine's far side with a socket of the room's mixer (`media/conference.py`,
`media/mixer.py`, the same mixing as three-way calls): each participant hears all others.
The rooms are data the application writes (`features/rooms.py`); the SIP thread reads them per
call.
Runs in the SIP thread; only each room's mixer has its own thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

from sippy.Core.EventDispatcher import ED2
from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.features.rooms import Participant, Room, RoomMove, RoomsTable
from pbx_core.media import mixer, sdp_rewrite
from pbx_core.media.conference import Conference
from pbx_core.media.ng_client import NgError
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call

log = logging.getLogger(__name__)

PIN_PROMPT = "bridge_pin"
WRONG_PIN_PROMPT = "bridge_wrong_pin"
FULL_PROMPT = "bridge_full"
"""Prompt names without the language: the room's (`Room.language`) is added."""
MAX_PIN_TRIES = 3
"""A caller who keys a wrong PIN this often is hung up on (a PIN is not guessed by trying)."""
MUTE_ALL_CODE = "*6"
"""The moderator's in-conference key: everyone but the moderators is muted, or unmuted again."""
TONES = "tones"
"""The mixer participant the join and leave tones come from (it has no phone)."""
JOIN_TONE = mixer.tones((800, 0.12), (1200, 0.12))
LEAVE_TONE = mixer.tones((1200, 0.12), (800, 0.12))


class SeatState(StrEnum):
    PIN = "pin"
    IN = "in"


@dataclass(eq=False)
class _Seat:
    call: Call
    room: Room
    state: SeatState = SeatState.PIN
    digits: str = ""
    tries: int = 0
    moderator: bool = False


@dataclass(eq=False)
class _Meeting:
    mixer: Conference
    seats: dict[str, _Seat] = field(default_factory=dict)
    """call id -> the seats in the room (not those still keying the PIN)."""
    muted: bool = False
    """Mute all: only the moderators are heard."""

    def routes(self) -> dict[str, frozenset[str]]:
        muted = [cid for cid, seat in self.seats.items() if self.muted and not seat.moderator]
        routes = mixer.everyone_else(self.seats, muted)
        return {name: talkers | {TONES} for name, talkers in routes.items()}


class BridgeRooms:
    def __init__(self, ctx: CallContext, rooms: RoomsTable) -> None:
        self._ctx = ctx
        self._rooms = rooms
        self._seats: dict[str, _Seat] = {}
        self._meetings: dict[tuple[str, str], _Meeting] = {}

    def room(self, tenant: str, called: str) -> Room | None:
        """The room `called` is, if the PBX can mix (inbound.py's hook)."""
        return self._rooms.get(tenant, called) if self._ctx.media is not None else None

    def start(self, call: Call, room: Room) -> None:
        """A caller reached the room: answered, asked for the PIN."""
        self._seats[call.call_id] = _Seat(call, room)
        self._ctx.bridging.answer(call)
        self._say(call, PIN_PROMPT)

    def on_digit(self, call: Call, digit: str) -> bool:
        """A caller's digit: True when the bridge took it."""
        seat = self._seats.get(call.call_id)
        if seat is None:
            return False
        seat.digits = (seat.digits + digit)[-8:]
        if seat.state is SeatState.PIN and digit == "#":
            self._check_pin(seat, seat.digits[:-1])
        elif seat.state is SeatState.IN and seat.moderator and seat.digits.endswith(MUTE_ALL_CODE):
            seat.digits = ""
            self.mute_all(call.tenant, seat.room.number, None)
        return True

    def _check_pin(self, seat: _Seat, keyed: str) -> None:
        room, call = seat.room, seat.call
        seat.digits = ""
        if keyed not in (room.pin, room.moderator_pin) or not keyed:
            seat.tries += 1
            if seat.tries >= MAX_PIN_TRIES:
                log.info(
                    "bridge %s: %s keyed a wrong PIN %d times", room.number, call.caller, seat.tries
                )
                self._ctx.bridging.end_call(call, cc.HangupSide.PBX)
            else:
                self._say(call, WRONG_PIN_PROMPT)
            return
        meeting = self._meetings.get((call.tenant, room.number))
        if meeting is not None and len(meeting.seats) >= room.max_participants:
            self._say(call, FULL_PROMPT, then_hang_up=True)
            return
        licence = self._rooms.licence(call.tenant)
        if licence is not None and self._tenant_seats(call.tenant) >= licence:
            log.info("bridge %s: the tenant's licence of %d places is in use", room.number, licence)
            self._say(call, FULL_PROMPT, then_hang_up=True)
            return
        seat.moderator = keyed == room.moderator_pin
        self._join(seat, meeting)

    def _tenant_seats(self, tenant: str) -> int:
        """Callers in all of the tenant's rooms (the licence counts them together)."""
        return sum(len(m.seats) for (owner, _), m in self._meetings.items() if owner == tenant)

    def _join(self, seat: _Seat, meeting: _Meeting | None) -> None:
        ctx = self._ctx
        call = seat.call
        assert ctx.media is not None
        if meeting is None:
            host = str(ctx.config["_sip_address"])
            meeting = _Meeting(
                Conference(
                    host, (TONES,), partial(self._mixer_failed, call.tenant, seat.room.number)
                )
            )
            meeting.mixer.start()
            self._meetings[(call.tenant, seat.room.number)] = meeting
        ctx.caller_media.stop_media(call)
        address = meeting.mixer.add(call.call_id)
        engine, codec = sdp_rewrite.audio_endpoint(call.offer_sdp)
        meeting.mixer.connect(call.call_id, engine, codec)
        # The mixer stands in for the far side toward rtpengine (port latching: the caller is
        # told nothing, as for a bridge).
        ctx.media.answer(
            call.call_id,
            call.caller_tag,
            str(call.ua.lTag),
            sdp_rewrite.offer(address),
            latching=True,
        )
        seat.state = SeatState.IN
        meeting.seats[call.call_id] = seat
        meeting.mixer.set_routes(meeting.routes())
        meeting.mixer.feed(TONES, JOIN_TONE)
        self._moved(call, seat, meeting, joined=True)

    def mute_all(self, tenant: str, number: str, on: bool | None) -> bool:
        """Mute (True), unmute (False) or toggle (None) everyone but the moderators; False when
        the room has no meeting."""
        meeting = self._meetings.get((tenant, number))
        if meeting is None:
            return False
        meeting.muted = not meeting.muted if on is None else on
        meeting.mixer.set_routes(meeting.routes())
        return True

    def participants(self, tenant: str, number: str) -> list[Participant]:
        meeting = self._meetings.get((tenant, number))
        if meeting is None:
            return []
        return [_participant(meeting, seat) for seat in meeting.seats.values()]

    def _moved(self, call: Call, seat: _Seat, meeting: _Meeting, *, joined: bool) -> None:
        listener = self._rooms.on_move
        if listener is None:
            return
        present = tuple(_participant(meeting, each) for each in meeting.seats.values())
        move = RoomMove(call.tenant, seat.room.number, joined, _participant(meeting, seat), present)
        try:
            listener(move)
        except Exception:  # a listener's fault never breaks a call
            log.exception("bridge %s: the join/leave listener failed", seat.room.number)

    def call_ended(self, call: Call) -> None:
        seat = self._seats.pop(call.call_id, None)
        if seat is None:
            return
        key = (call.tenant, seat.room.number)
        meeting = self._meetings.get(key)
        if meeting is None or meeting.seats.pop(call.call_id, None) is None:
            return
        meeting.mixer.remove(call.call_id)
        self._moved(call, seat, meeting, joined=False)
        if not meeting.seats:
            meeting.mixer.close()
            del self._meetings[key]
            return
        meeting.mixer.set_routes(meeting.routes())
        meeting.mixer.feed(TONES, LEAVE_TONE)

    def _say(self, call: Call, prompt: str, *, then_hang_up: bool = False) -> None:
        media = self._ctx.media
        assert media is not None
        language = self._seats[call.call_id].room.language  # every caller said to has a seat
        try:
            duration_ms = media.play_media(
                call.call_id, call.caller_tag, self._ctx.prompt_path(f"{prompt}_{language}")
            )
        except NgError:
            log.exception("bridge: could not say %s", prompt)
            duration_ms = 0
        call.playing = True
        call.looping = ""  # replaces any loop; ends by itself
        if then_hang_up:
            done = partial(self._ctx.guard, self._hang_up, call)
            call.timer = Timeout(done, max(duration_ms, 1) / 1000.0)

    def _hang_up(self, call: Call) -> None:
        call.timer = None
        self._ctx.bridging.end_call(call, cc.HangupSide.PBX)

    def _mixer_failed(self, tenant: str, number: str, _error: BaseException) -> None:
        """From the mixer's thread: the room's callers are hung up in the SIP thread (they have
        no audio path any more)."""
        ED2.callFromThread(self._end_meeting, tenant, number)

    def _end_meeting(self, tenant: str, number: str) -> None:
        meeting = self._meetings.get((tenant, number))
        if meeting is not None:
            for seat in list(meeting.seats.values()):
                self._ctx.guard(self._ctx.bridging.end_call, seat.call, cc.HangupSide.PBX)


def _participant(meeting: _Meeting, seat: _Seat) -> Participant:
    muted = meeting.muted and not seat.moderator
    return Participant(seat.call.call_id, seat.call.caller, seat.moderator, muted)
