"""Speed dial calls (SpeedDial8 `2`-`9`, SpeedDial100 `#00`-`#99`; the rule in
`common/speed_dial.py`): the PBX dials the number stored under the slot, as if the phone had
dialled it (redial and forwarding apply to that number). A slot the profile lacks or an empty
slot is refused in the user's language (features/speed_dial.py).

Runs in the SIP thread; the B2BUA calls in from `sip/calls/inbound.py` (`takes`, `dial`)."""

from __future__ import annotations

from common.speed_dial import dialled_slot, feature_of_slot
from pbx_core.features.speed_dial import SpeedDialTable, empty_slot, not_included
from pbx_core.features.table import ServicesTable
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call


class SpeedDialCalls:
    def __init__(self, ctx: CallContext, services: ServicesTable, table: SpeedDialTable) -> None:
        self._ctx = ctx
        self._services = services
        self._table = table

    @staticmethod
    def takes(dialled: str) -> bool:
        return dialled_slot(dialled) is not None

    def dial(self, phone: Call) -> None:
        """`phone` (a user's call to a slot `takes` accepted, not answered yet) calls its number."""
        slot = dialled_slot(phone.called)
        assert slot is not None  # `takes` said so
        feature = feature_of_slot(slot)
        user = self._services.get(phone.tenant, phone.caller)
        handling = self._ctx.call_handling
        if feature not in user.features:
            handling.say_and_hang_up(phone, user, not_included(str(feature), user.profile,
                                                               user.language))  # fmt: skip
            return
        number = self._table.number(phone.tenant, phone.caller, slot)
        if number is None:
            handling.say_and_hang_up(phone, user, empty_slot(slot, user.language))
            return
        phone.called = number  # a call to that number from here on
        handling.dialled(phone, number)
        self._ctx.forwarding.ring(phone, number)
