"""The busy lamp field (ch. 7 BusyLampField): the dialog event package (RFC 4235) on the shared
subscription machinery (`pbx_core.sip.subscriptions`).

A phone SUBSCRIBEs with `Event: dialog` to a colleague (the Request-URI's user) of its own
tenant; a colleague of another tenant (the Request-URI's domain is that tenant's) gets 403, an
unknown extension 404, a colleague with Privacy on who has not permitted the watcher 403 (a
watch made before privacy was switched on runs on until it expires). The first NOTIFY carries
the colleague's dialogs now, and every change of them (from `DialogStates`, fed with the PBX's
call events in the SIP thread) NOTIFYs every phone watching: `early` when it rings, `confirmed`
when it talks, `terminated` when the call ends, each with its direction and the other party.
Each dialog carries the SIP Call-ID and tags of the colleague's own dialog with the PBX, so a BLF
key can pick up a ringing call.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from pbx_core import call_control as cc
from pbx_core.features.codes import CODES, Action
from pbx_core.features.table import ServicesTable
from pbx_core.presence.dialog_state import (
    Change,
    Dialog,
    DialogPhase,
    DialogStates,
    Direction,
    Line,
)
from pbx_core.sip.calls.model import Call
from pbx_core.sip.subscriptions import Refusal, Subscriber, Subscription, Watch

EVENT = "dialog"
CONTENT_TYPE = "application/dialog-info+xml"
NAMESPACE = "urn:ietf:params:xml:ns:dialog-info"
PICKUP_CODE = next(entry.code for entry in CODES if entry.action is Action.DIRECTED_PICKUP)


@dataclass(frozen=True, slots=True)
class SipDialogIds:
    """The monitored phone's own SIP dialog with the PBX: its Call-ID, its tag, the PBX's tag."""

    call_id: str
    local_tag: str | None
    """None while the phone rings: sippy keeps a 1xx's To tag nowhere, only a 2xx's."""
    remote_tag: str | None


SipIds = Callable[[Dialog], "SipDialogIds | None"]
"""Looks a dialog's SIP identifiers up in the B2BUA (None: not known, e.g. not yet answered)."""


class BusyLampField:
    event = EVENT
    content_type = CONTENT_TYPE
    max_subscriptions = 1000
    """Per subscribing extension: a few phones with a full sidecar of keys each."""

    def __init__(
        self,
        changed: Callable[[str, Hashable], None],
        sip_ids: SipIds,
        services: ServicesTable | None = None,
    ) -> None:
        """`changed(event, line)`: `Subscriptions.changed`, to NOTIFY a line's watchers;
        `services`: the users' services (Privacy: who may watch whom)."""
        self._changed = changed
        self._sip_ids = sip_ids
        self._services = services or ServicesTable()
        self.states = DialogStates()
        self._ending: dict[Line, list[Dialog]] = {}
        """Dialogs just terminated: in the NOTIFY that reports them, then forgotten."""
        self._rendered: dict[tuple[Line, str], str] = {}
        """The changing line's `<dialog>` elements per entity, made once for all its watchers
        (only the `version` differs between their NOTIFYs); emptied after each change."""

    def watch(self, req: Any, subscriber: Subscriber) -> Watch | Refusal:
        ruri = req.getRURI()
        extension = str(ruri.username or "")
        owner = subscriber.directory
        # The Request-URI's domain may name another tenant: never looked up there.
        if subscriber.uri_tenant is not None and subscriber.uri_tenant != owner.tenant:
            return Refusal(403, "Forbidden")
        if owner.user(extension) is None:
            return Refusal(404, "Not Found")
        if not self._services.get(owner.tenant, extension).visible_to(
            subscriber.extension, extension
        ):
            return Refusal(403, "Forbidden (privacy)")
        line = (owner.tenant, extension)
        return Watch(
            resource=line,
            uri=f"sip:{extension}@{subscriber.realm}",
            limit_key=(owner.tenant, subscriber.extension),
        )

    def on_event(self, event: cc.CallEvent) -> None:
        """A PBX call event (SIP thread): NOTIFY the watchers of every line it changed."""
        changes = self.states.apply(event)
        for line in _lines(changes):
            self._ending[line] = [
                c.dialog
                for c in changes
                if (c.tenant, c.extension) == line and c.dialog.phase is DialogPhase.TERMINATED
            ]
            try:
                self._changed(EVENT, line)
            finally:
                del self._ending[line]
                self._rendered.clear()

    def body(self, subscription: Subscription) -> str:
        line: Any = subscription.watch.resource
        entity = subscription.watch.uri
        elements = self._rendered.get((line, entity))
        if elements is None:
            dialogs = (*self.states.dialogs(*line), *self._ending.get(line, ()))
            elements = dialog_elements(entity, dialogs, self._sip_ids, line[1])
            if line in self._ending:  # within a change: its other watchers get the same
                self._rendered[(line, entity)] = elements
        return dialog_info(entity, subscription.version, elements)


def _lines(changes: list[Change]) -> list[Line]:
    return list(dict.fromkeys((c.tenant, c.extension) for c in changes))


def dialog_info(entity: str, version: int, elements: str) -> str:
    """RFC 4235 section 4: always the full state, so a phone that missed a NOTIFY is right
    again with the next one."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<dialog-info xmlns="{NAMESPACE}" version="{version}" state="full" '
        f"entity={quoteattr(entity)}>\n{elements}</dialog-info>\n"
    )


def dialog_elements(
    entity: str, dialogs: tuple[Dialog, ...], sip_ids: SipIds, extension: str
) -> str:
    """One `<dialog>` per dialog of the line, as the colleague's phone sees it."""
    domain = entity.split("@", 1)[1] if "@" in entity else ""
    parts: list[str] = []
    for dialog in dialogs:
        ids = sip_ids(dialog)
        attrs = f"id={quoteattr(dialog.dialog_id)} direction={quoteattr(dialog.direction)}"
        if ids is not None:
            attrs += f" call-id={quoteattr(ids.call_id)}"
            if ids.local_tag is not None and ids.remote_tag is not None:
                attrs += (
                    f" local-tag={quoteattr(ids.local_tag)} remote-tag={quoteattr(ids.remote_tag)}"
                )
        remote = _uri(dialog.remote, domain)
        # A BLF key pressed while the colleague rings calls the remote target (Snom, Yealink,
        # as with Asterisk): the directed pickup code with the colleague's extension.
        ringing = dialog.phase is DialogPhase.EARLY and dialog.direction is Direction.RECIPIENT
        target = _uri(f"{PICKUP_CODE}{extension}", domain) if ringing else remote
        display = f" display={quoteattr(dialog.remote_name)}" if dialog.remote_name else ""
        parts += [
            f"  <dialog {attrs}>\n",
            f"    <state>{dialog.phase}</state>\n",
            f"    <local><identity>{_text(entity)}</identity>"
            f"<target uri={quoteattr(entity)}/></local>\n",
            f"    <remote><identity{display}>{_text(remote)}</identity>"
            f"<target uri={quoteattr(target)}/></remote>\n",
            "  </dialog>\n",
        ]
    return "".join(parts)


def _uri(user: str, domain: str) -> str:
    return f"sip:{user}@{domain}" if domain else f"sip:{user}"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sip_dialog_ids(calls: Mapping[str, Call], dialog: Dialog) -> SipDialogIds | None:
    """The monitored phone's SIP dialog for `dialog` in the B2BUA: its leg's dialog for a called
    extension, the caller's dialog for the caller (the phone's tag is our remote tag)."""
    call = calls.get(dialog.call_id)
    if call is None:
        return None
    if dialog.leg_id:
        leg = call.legs.get(dialog.leg_id)
        ua = None if leg is None else leg.ua
    else:
        ua = call.ua if dialog.dialog_id == call.call_id else None  # not a monitor's
    if ua is None:
        return None
    call_id, ours, theirs = ua.getCID()
    return SipDialogIds(
        str(call_id),
        local_tag=None if theirs is None else str(theirs),
        remote_tag=None if ours is None else str(ours),
    )
