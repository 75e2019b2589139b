"""Destinations written as text beyond a plain number of the numbering plan, shared by
provisioning (which checks them) and the PBX (which routes to them)."""

from __future__ import annotations

VOICEMAIL_PREFIX = "voicemail:"
"""`voicemail:<extension>`: straight into that user's voicemail box (its greeting, then the
recording), wherever a destination is written: a direct number's (docs/trunks.md), a menu's
option, fallback or destination, a hunt group's no-answer, busy or forwarding
(docs/group-services.md)."""


def voicemail_box(destination: str) -> str | None:
    """The extension of a `voicemail:<extension>` destination, else None."""
    if not destination.startswith(VOICEMAIL_PREFIX):
        return None
    return destination.removeprefix(VOICEMAIL_PREFIX)
