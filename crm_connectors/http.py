"""One place that turns httpx responses into data or `CrmError`s, with bounded retries.

Every vendor connector sends through `send_json`, so 401/429/5xx/timeouts/garbage are handled
the same way everywhere.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from crm_connectors.errors import (
    CrmAuthError,
    CrmBadResponseError,
    CrmRateLimitedError,
    CrmUnavailableError,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one logical request may keep trying inside the process.

    Longer waits are the rq job's business (its `Retry`), so a worker is never parked for minutes.
    """

    attempts: int = 3
    backoff_s: float = 0.5
    max_wait_s: float = 5.0


#: Screen-pop lookups: one try, the caller's timeout bounds it.
NO_RETRY = RetryPolicy(attempts=1, backoff_s=0.0, max_wait_s=0.0)
#: Sync jobs and call logging: a few quick tries, then the rq job retries later.
DEFAULT_RETRY = RetryPolicy()


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


ResponseHook = Callable[[httpx.Response], Awaitable[None]]


async def send_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    timeout: float | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    on_response: ResponseHook | None = None,
) -> Any:
    """Send a request and return the decoded JSON body (None for an empty 2xx body)."""
    delay = retry.backoff_s
    for attempt in range(1, retry.attempts + 1):
        last = attempt == retry.attempts
        try:
            response = await client.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json,
                data=data,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            if last:
                raise CrmUnavailableError(f"{method} {_safe(url)}: timeout") from exc
            await asyncio.sleep(delay)
            delay *= 2
            continue
        except httpx.HTTPError as exc:
            if last:
                raise CrmUnavailableError(f"{method} {_safe(url)}: {type(exc).__name__}") from exc
            await asyncio.sleep(delay)
            delay *= 2
            continue
        if on_response is not None:
            await on_response(response)
        status = response.status_code
        if status in (401, 403):
            raise CrmAuthError(f"{method} {_safe(url)}: HTTP {status}")
        if status == 429:
            wait = retry_after_seconds(response)
            if last or (wait is not None and wait > retry.max_wait_s):
                raise CrmRateLimitedError(f"{method} {_safe(url)}: HTTP 429", wait)
            await asyncio.sleep(wait if wait is not None else delay)
            delay *= 2
            continue
        if status >= 500:
            if last:
                raise CrmUnavailableError(f"{method} {_safe(url)}: HTTP {status}")
            await asyncio.sleep(min(retry_after_seconds(response) or delay, retry.max_wait_s))
            delay *= 2
            continue
        if status >= 400:
            raise CrmBadResponseError(f"{method} {_safe(url)}: HTTP {status}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise CrmBadResponseError(f"{method} {_safe(url)}: body is not JSON") from exc
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def link_on_origin(base: str, link: str) -> str:
    """A next-page link the CRM sent, made absolute against `base`, if it stays on `base`'s
    scheme, host and port: the connector sends its bearer token with it, so a link to any
    other place (a compromised or spoofed answer, an http downgrade) is refused, not followed."""
    absolute = urljoin(base, link)
    wanted, got = urlsplit(base), urlsplit(absolute)
    if (got.scheme, got.hostname, got.port) != (wanted.scheme, wanted.hostname, wanted.port):
        raise CrmBadResponseError(f"next-page link to another origin refused: {_safe(absolute)}")
    return absolute


def _safe(url: str) -> str:
    """The URL without its query string: queries may carry numbers or tokens we do not log."""
    return url.split("?", 1)[0]
