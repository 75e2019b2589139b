"""Alerts for a tenant's admins (issue 15.5 "blocks, logs and alerts the tenant admin"; 15.4 call
capacity): what the PBX raises (`pbx_core/trunks/alerts.py`) is kept in Redis for the admin API
(`GET /api/v1/tenants/{tenant}/alerts`, the newest `KEPT`) and mailed to the tenant's admins
through the installation's SMTP server (`SMTP_HOST`..., as voicemail-to-email and the scheduled
reports), at most one mail per tenant and kind per `MAIL_GAP_SECONDS`: a hijacked phone dialling
abroad a hundred times sends one mail, its calls all stay in the list.

Decision: the admins' address is the one each gave its own mailbox (`PUT /api/v1/voicemail/
email`); an admin without one gets no mail (the list and the log still have it). The gate is a
Redis key with an expiry, so several product nodes together still send one mail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from redis.asyncio import Redis

from common.redis_keys import alert_mail_gate, tenant_alerts
from pbx_core.trunks.alerts import AlertKind, TenantAlert
from reports.scheduled import SmtpSettings

log = logging.getLogger(__name__)

KEPT = 200
"""Alerts kept per tenant, newest first."""
MAIL_GAP_SECONDS = 900
SUBJECTS = {
    AlertKind.TOLL_FRAUD: "OpenCC: toll-fraud guard blocked calls ({tenant})",
    AlertKind.CALL_CAPACITY: "OpenCC: calls refused over the call capacity ({tenant})",
}

Recipients = Callable[[str], list[str]]
"""Blocking (SQL): a tenant's admins' addresses (`VoicemailBoxes.admin_addresses`)."""


async def recent_alerts(redis: Redis, prefix: str, tenant: str, limit: int) -> list[dict[str, Any]]:
    """A tenant's newest alerts, newest first: `{"at", "kind", "text"}` each."""
    raw = await redis.lrange(tenant_alerts(prefix, tenant), 0, limit - 1)
    return [json.loads(entry) for entry in raw]


class TenantAlerts:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        recipients: Recipients,
        smtp: SmtpSettings | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`smtp` None: alerts are kept and logged, never mailed (no `SMTP_HOST`)."""
        self._redis = redis
        self._prefix = prefix
        self._recipients = recipients
        self._smtp = smtp
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    def on_alert(self, alert: TenantAlert) -> None:
        """`PbxService.on_alert`'s listener (the asyncio loop): stored and mailed in a task."""
        task = asyncio.get_running_loop().create_task(self._record(alert), name="tenant-alert")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the alerts under way (at the product's stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _record(self, alert: TenantAlert) -> None:
        at = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds")
        entry = {"at": at, "kind": alert.kind.value, "text": alert.text}
        key = tenant_alerts(self._prefix, alert.tenant)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.lpush(key, json.dumps(entry))
                pipe.ltrim(key, 0, KEPT - 1)
                await pipe.execute()
            if self._smtp is not None:
                await self._mail(self._smtp, alert, at)
        except Exception:  # Redis or the mail server away: the PBX's log line stays the record
            log.exception("alert for tenant %s not kept or mailed: %s", alert.tenant, alert.text)

    async def _mail(self, smtp: SmtpSettings, alert: TenantAlert, at: str) -> None:
        gate = alert_mail_gate(self._prefix, alert.tenant, alert.kind.value)
        if not await self._redis.set(gate, at, nx=True, ex=MAIL_GAP_SECONDS):
            return  # mailed lately: this one is in the list
        addresses = await asyncio.to_thread(self._recipients, alert.tenant)
        if not addresses:
            log.warning("tenant %s has no admin with an e-mail address: alert not mailed",
                        alert.tenant)  # fmt: skip
            return
        mail = EmailMessage()
        mail["From"] = smtp.sender
        mail["To"] = ", ".join(addresses)
        mail["Subject"] = SUBJECTS[alert.kind].format(tenant=alert.tenant)
        minutes = MAIL_GAP_SECONDS // 60
        mail.set_content(
            f"{at} (UTC): {alert.text}\n\n"
            f"Further alerts of this kind in the next {minutes} minutes are not mailed; the admin"
            f" API lists them all: GET /api/v1/tenants/{alert.tenant}/alerts\n"
        )
        await asyncio.to_thread(smtp.send, mail, 20.0)
        log.info("alert mailed to %s: %s", ", ".join(addresses), alert.text)
