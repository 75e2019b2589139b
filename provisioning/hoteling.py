"""Flexplek / hoteling (seed 3.2.1; chapter 7 HotelingHost / HotelingGuest) as pure rules: who
may sign in on which host, when a session ends, and the lock-out of a host after wrong PINs.

- A *host* is a user (a shared phone's extension) made a host by an admin; its profile must
  include HotelingHost. A *guest* is a user of the same tenant whose profile includes
  HotelingGuest.
- The guest signs in with its extension and its phone PIN (the voice portal's PIN: one PIN per
  user, one lock of wrong tries in a row, `provisioning.voicemail_boxes`).
- A host carries at most one guest; a host in use by another guest refuses ("host in use"). A
  guest that signs in on a second host leaves the first (BroadWorks moves the guest too); the
  same guest signing in again on its host starts a new period.
- A session ends at the host's maximum (default 12 hours) or at the end of the day in the
  tenant's time zone, whichever is first; an ended session is no session (no sweeper needed to
  stop calls ringing the host).
- After `MAX_HOST_WRONG_PINS` wrong PINs in a row on one host (whatever guests were tried) the
  host refuses every sign-in for `HOST_LOCK_MINUTES`: guessing by trying one PIN on many
  extensions is stopped too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_MAX_MINUTES = 12 * 60
MIN_MAX_MINUTES = 15
MAX_MAX_MINUTES = 24 * 60
MAX_HOST_WRONG_PINS = 5
HOST_LOCK_MINUTES = 15
HOST_FEATURE = "HotelingHost"
GUEST_FEATURE = "HotelingGuest"


class Refusal(StrEnum):
    NOT_A_HOST = "not_a_host"
    """The phone dialling is no hoteling host."""
    NOT_A_GUEST = "not_a_guest"
    """No such user in the host's tenant, the host itself, or a profile without HotelingGuest."""
    HOST_IN_USE = "host_in_use"
    HOST_LOCKED = "host_locked"
    GUEST_LOCKED = "guest_locked"
    """The guest's PIN is locked (too many wrong tries) or was never set."""
    WRONG_PIN = "wrong_pin"


@dataclass(frozen=True, slots=True)
class Host:
    tenant: str
    extension: str
    max_minutes: int = DEFAULT_MAX_MINUTES
    wrong_pins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    tenant: str
    host: str
    guest: str
    signed_in_at: datetime
    expires_at: datetime


def check_max_minutes(minutes: int) -> str | None:
    """Why a host's maximum is refused, or None."""
    if not MIN_MAX_MINUTES <= minutes <= MAX_MAX_MINUTES:
        return f"between {MIN_MAX_MINUTES} and {MAX_MAX_MINUTES} minutes"
    return None


def end_of_day(now: datetime, time_zone: str) -> datetime:
    """The next local midnight after `now` in the tenant's time zone (an aware datetime)."""
    local = now.astimezone(ZoneInfo(time_zone))
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
    return midnight.astimezone(now.tzinfo)


def expires_at(signed_in_at: datetime, max_minutes: int, time_zone: str) -> datetime:
    return min(signed_in_at + timedelta(minutes=max_minutes), end_of_day(signed_in_at, time_zone))


def active(session: Session | None, now: datetime) -> Session | None:
    return session if session is not None and now < session.expires_at else None


def host_locked(host: Host, now: datetime) -> bool:
    return host.locked_until is not None and now < host.locked_until


def admission(
    host: Host | None,
    guest: str,
    guest_has_feature: bool,
    occupant: Session | None,
    now: datetime,
) -> Refusal | None:
    """Whether `guest` may try a PIN on `host` now (None: ask for the PIN). `guest_has_feature`
    is False for an extension that is no user of the host's tenant, so another tenant's guest
    is refused exactly as an unknown extension."""
    if host is None:
        return Refusal.NOT_A_HOST
    if host_locked(host, now):
        return Refusal.HOST_LOCKED
    if guest == host.extension or not guest_has_feature:
        return Refusal.NOT_A_GUEST
    current = active(occupant, now)
    if current is not None and current.guest != guest:
        return Refusal.HOST_IN_USE
    return None


def after_wrong_pin(host: Host, now: datetime) -> Host:
    wrong = host.wrong_pins + 1
    if wrong >= MAX_HOST_WRONG_PINS:
        return replace(host, wrong_pins=0, locked_until=now + timedelta(minutes=HOST_LOCK_MINUTES))
    return replace(host, wrong_pins=wrong)


def after_good_pin(host: Host) -> Host:
    return replace(host, wrong_pins=0, locked_until=None)


def session_for(host: Host, guest: str, now: datetime, time_zone: str) -> Session:
    return Session(
        host.tenant, host.extension, guest, now, expires_at(now, host.max_minutes, time_zone)
    )
