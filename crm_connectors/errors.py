"""Failures a connector reports. Callers on the call path catch `CrmError` and carry on."""

from __future__ import annotations


class CrmError(Exception):
    """Base class; `kind` is the label the error counter uses."""

    kind = "error"


class CrmAuthError(CrmError):
    """401/403, or a token endpoint that refused us: retrying will not help until reconfigured."""

    kind = "auth"


class CrmRateLimitedError(CrmError):
    """429 (or a rate-limit header at zero) that outlasted the in-process wait."""

    kind = "rate_limited"

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CrmUnavailableError(CrmError):
    """Connection refused, timeout, or 5xx after the retries."""

    kind = "unavailable"


class CrmBadResponseError(CrmError):
    """A response that does not have the documented shape (not JSON, missing keys, ...)."""

    kind = "bad_response"


class CrmConfigError(CrmError):
    """The tenant's configuration names a connector or field that does not exist."""

    kind = "config"
