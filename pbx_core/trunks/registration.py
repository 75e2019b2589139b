"""A trunk's registration to its carrier (issue 15.1), as pure decisions fed outcomes and a clock.

The SIP side (`pbx_core/sip/carrier_registration.py`) sends a REGISTER when `due` says so and
reports what came back; this module says what the registration is now and when to send the next:

- registered: again before the granted time runs out (half of it, at most a minute early), so
  a lost REGISTER or two still leaves time to retry before the carrier forgets us;
- failed (an error answer, no answer, a challenge our credentials do not meet): again after a
  back-off that doubles from `first_retry` up to `max_retry`, so a carrier that refuses us is not
  hammered, and one that comes back is found again within `max_retry`;
- a registration keeps counting as registered until its granted time ends, even while a
  refresh fails: the carrier still has it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class RegistrationState(StrEnum):
    REGISTERING = "registering"
    """Never registered yet (the first REGISTER is out, or about to be)."""
    REGISTERED = "registered"
    FAILED = "failed"
    """Not registered: the last attempt failed and the granted time (if any) has run out."""


@dataclass(frozen=True, slots=True)
class RegistrationPolicy:
    first_retry: float = 30.0
    max_retry: float = 1800.0
    most_early: float = 60.0
    """Refresh at most this long before the granted time ends (and at least halfway)."""


@dataclass(frozen=True, slots=True)
class Registration:
    requested_expires: int
    next_attempt_at: float
    registered_until: float | None = None
    failures: int = 0
    """Failed attempts in a row (the back-off's exponent)."""
    last_error: str = ""

    def state(self, now: float) -> RegistrationState:
        if self.registered_until is not None and now < self.registered_until:
            return RegistrationState.REGISTERED
        return RegistrationState.FAILED if self.failures else RegistrationState.REGISTERING

    def due(self, now: float) -> bool:
        return now >= self.next_attempt_at


def new_registration(requested_expires: int, now: float) -> Registration:
    return Registration(requested_expires, next_attempt_at=now)


def succeeded(
    registration: Registration, granted: int, now: float, policy: RegistrationPolicy
) -> Registration:
    """The carrier answered 2xx granting `granted` seconds (0 or less: it took none)."""
    if granted <= 0:
        return failed(registration, "the carrier granted no time", now, policy)
    early = min(granted / 2, policy.most_early)
    return replace(
        registration,
        next_attempt_at=now + granted - early,
        registered_until=now + granted,
        failures=0,
        last_error="",
    )


def failed(
    registration: Registration, reason: str, now: float, policy: RegistrationPolicy
) -> Registration:
    failures = registration.failures + 1
    wait = min(policy.first_retry * 2 ** (failures - 1), policy.max_retry)
    until = registration.registered_until
    if until is not None and until > now:
        # Still registered: retry well before the carrier forgets us, back-off or not.
        wait = min(wait, max((until - now) / 2, 1.0))
    return replace(registration, next_attempt_at=now + wait, failures=failures, last_error=reason)


def granted_seconds(expires_header: str | None, contact_expires: str | None, asked: int) -> int:
    """What a 2xx to REGISTER granted (RFC 3261 10.2.4): our Contact's `expires` parameter,
    else the Expires header, else what we asked for. Garbage reads as nothing granted."""
    for text in (contact_expires, expires_header):
        if text is not None:
            try:
                return int(text.strip())
            except ValueError:
                return 0
    return asked
