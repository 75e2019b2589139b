"""Whether a call from the carrier hides its caller (pure), for Anonymous Call Rejection (ch. 7,
RFC 3323): the caller asked for privacy (`Privacy: id`, or `header`/`user`, which withhold From
too) even with its real number in From; or From is anonymous, RFC 3323's form
(`"Anonymous" <sip:anonymous@anonymous.invalid>`) or a carrier's usual spelling.
`Privacy: none` (or no header) with a real From is a caller who shows its number."""

from __future__ import annotations

ANONYMOUS_USERS = frozenset({"", "anonymous", "restricted", "unavailable"})
"""From users of a call that hides its number (RFC 3323 `anonymous`, and carriers' spellings)."""
ANONYMOUS_HOST = "anonymous.invalid"
"""RFC 3323 section 4.1.1.3: the host of an anonymous From."""
HIDING = frozenset({"id", "header", "user"})
"""Privacy values (RFC 3323 section 4.2, RFC 3325 section 9.3) that withhold the caller's
identity; `session` and `critical` alone do not, `none` asks for nothing."""


def hides_caller(from_user: str, from_host: str, privacy: str) -> bool:
    """`privacy`: the Privacy header values as written (`id`, `header; id`, `id, critical`)."""
    if from_user.lower() in ANONYMOUS_USERS or from_host.lower() == ANONYMOUS_HOST:
        return True
    values = {v.strip().lower() for v in privacy.replace(",", ";").split(";")}
    return bool(values & HIDING)
