"""Fax to e-mail, the PBX's part (`CallContext.fax`): a call the application sends here with
`ReceiveFax` is answered with G.711 toward a `FaxLine` (T.30 in audio, no T.38), and ends when
the T.30 session does (phase E), the caller hangs up, or the longest fax time passes. Each fax
call is reported once, received or failed, through `FaxSettings.on_fax` (docs/fax.md).

Runs in the SIP thread; the line thread sets the outcome, which a timer here looks at.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.fax.line import FaxLine, FaxLines, line_sdp
from pbx_core.fax.spandsp import Outcome
from pbx_core.media import g711
from pbx_core.media.sdp_rewrite import SdpError, audio_endpoint

if TYPE_CHECKING:  # the B2BUA imports this module: no import back at run time
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
CALLER_HUNG_UP = "the caller hung up before the fax was complete"
TOO_LONG = "the fax took longer than allowed"
NO_FAX = "no fax machine answered (no T.30 signals)"


@dataclass(frozen=True, slots=True)
class ReceivedFax:
    """One fax call's result, received or not."""

    fax_id: str
    call_id: str
    tenant: str
    number: str
    """The fax number (the group service) the call was for."""
    caller: str
    received_at: datetime
    ok: bool
    reason: str
    """spandsp's phase E words ("OK", "T1 expired" ...) or why the PBX ended it."""
    path: Path
    """The TIFF-F with the pages received (absent or empty when none came)."""
    pages: int = 0
    packets: int = 0


@dataclass(frozen=True)
class FaxSettings:
    directory: Path
    """Received faxes at `<directory>/<fax id>.tif`."""
    on_fax: Callable[[ReceivedFax], None]
    """Called in the SIP thread with each fax call's result; must return at once."""
    max_seconds: float = 900.0
    """The longest fax call (15 minutes: about 50 pages at 9600 bit/s)."""
    answer_seconds: float = 40.0
    """A caller that has not spoken T.30 by then is no fax machine (a person, a wrong number):
    spandsp's receiver would wait for ever. T.30's own T1 is 35 s."""


@dataclass(eq=False)
class _FaxCall:
    number: str
    line: FaxLine
    fax_id: str
    started: float = field(default_factory=time.monotonic)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class FaxPart:
    def __init__(self, ctx: CallContext, settings: FaxSettings | None) -> None:
        self._ctx = ctx
        self._settings = settings
        self._lines = FaxLines(ctx.config["_sip_address"]) if settings is not None else None
        self._calls: dict[str, _FaxCall] = {}

    def receive(self, call: Call, number: str) -> None:
        """`ReceiveFax`: answer (or re-answer) the caller toward a new fax line."""
        ctx, settings, lines = self._ctx, self._settings, self._lines
        if settings is None or lines is None or ctx.media is None:
            # The application let go of the call: it must not be left ringing.
            ctx.fail(call, "ReceiveFax", "no fax receiver (media, libspandsp2 or settings)")
            ctx.bridging.end_call(call, cc.HangupSide.PBX, code=503, reason="No Fax Receiver")
            return
        if call.call_id in self._calls:
            ctx.fail(call, "ReceiveFax", "already receiving a fax")
            return
        try:  # where rtpengine takes our audio for the caller, and the caller's G.711 law
            remote, payload_type = audio_endpoint(call.offer_sdp)
        except SdpError:
            remote, payload_type = None, g711.PCMA  # learnt from the caller's first packet
        fax_id = uuid.uuid4().hex
        line = lines.open(settings.directory / f"{fax_id}.tif", remote, payload_type)
        fax = _FaxCall(number, line, fax_id)
        self._calls[call.call_id] = fax
        ctx.caller_media.stop_media(call)
        sdp = line_sdp(ctx.config["_sip_address"], line.port, line.payload_type)
        if call.answered:
            ctx.media.answer(call.call_id, call.caller_tag, str(call.ua.lTag), sdp, latching=True)
        else:
            ctx.bridging.answer(call, sdp)
        log.info("call %s to fax %s: receiving (%s)", call.call_id, number, fax_id)
        self._watch(call, fax)

    def _watch(self, call: Call, fax: _FaxCall) -> None:
        settings = self._settings
        assert settings is not None
        call.timer = None
        if call.ended or self._calls.get(call.call_id) is not fax:
            return
        if fax.line.outcome is not None:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX)  # reports through call_ended
            return
        waited = time.monotonic() - fax.started
        if waited >= settings.max_seconds or (
            waited >= settings.answer_seconds and not fax.line.terminal.negotiated
        ):
            why = TOO_LONG if fax.line.terminal.negotiated else NO_FAX
            self._finish(call, Outcome(False, -1, why))
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX)
            return
        call.timer = Timeout(partial(self._ctx.guard, self._watch, call, fax), POLL_SECONDS)

    def call_ended(self, call: Call) -> None:
        """Either side ended the call: report the fax (failed unless T.30 ended well)."""
        if call.call_id in self._calls:
            self._finish(call, Outcome(False, -1, CALLER_HUNG_UP))

    def _finish(self, call: Call, otherwise: Outcome) -> None:
        fax = self._calls.pop(call.call_id)
        assert self._lines is not None and self._settings is not None
        call.cancel_timer()
        outcome = fax.line.outcome or otherwise
        self._lines.close(fax.line)
        log.info("fax %s on %s from %s: %s", fax.fax_id, fax.number, call.caller, outcome.reason)
        self._settings.on_fax(
            ReceivedFax(
                fax_id=fax.fax_id,
                call_id=call.call_id,
                tenant=call.tenant,
                number=fax.number,
                caller=call.caller,
                received_at=fax.received_at,
                ok=outcome.ok,
                reason=outcome.reason,
                path=fax.line.path,
                pages=fax.line.terminal.pages,
                packets=fax.line.packets_in,
            )
        )

    def stop(self) -> None:
        if self._lines is not None:
            self._lines.stop()
