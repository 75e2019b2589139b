"""rtpengine's `--dtmf-log-dest` feed: one JSON object per RFC 4733 digit it sees in a call's
media, turned into (call id, the tag of the party that pressed it, digit)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from pbx_core.sip.sdp import dtmf_from_event_code

log = logging.getLogger(__name__)


class DtmfFeed(asyncio.DatagramProtocol):
    def __init__(self, on_digit: Callable[[str, str, str], None]) -> None:
        self._on_digit = on_digit

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            message = json.loads(data)
            digit = dtmf_from_event_code(int(message["event"]))
            call_id = str(message["callid"])
            source_tag = str(message.get("source_tag", ""))
        except (ValueError, KeyError, TypeError):
            log.debug("ignoring malformed DTMF feed datagram %r", data[:200])
            return
        if digit is not None:
            self._on_digit(call_id, source_tag, digit)
