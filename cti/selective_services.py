"""Selective services in the product: a user's stored rules made into the PBX's criteria (the
tenant's schedules resolved by name), and CallNotify's mail over the product's SMTP settings (the
same as voicemail to e-mail's, `cti/voicemail_mail.py`), sent in a worker thread so the SIP
thread never waits on the mail server."""

from __future__ import annotations

import logging
import threading
from email.message import EmailMessage

from pbx_core.features.criteria import CallNotice, Criteria, Selective
from provisioning.selective import Rule, SelectiveService, SelectiveSettings
from provisioning.user_services_store import TenantSchedules
from reports.scheduled import SmtpSettings

log = logging.getLogger(__name__)

SUBJECTS = {
    "nl": "Oproep van {caller} voor toestel {extension}",
    "en": "Call from {caller} for extension {extension}",
}
BODIES = {
    "nl": "{caller} belde toestel {extension}. Deze melding komt van uw dienst Oproepmelding.",
    "en": "{caller} called extension {extension}. This notice comes from your Call Notify service.",
}


def pbx_selective(settings: SelectiveSettings, schedules: TenantSchedules) -> Selective:
    """What the PBX applies (`settings` already without the services the profile lacks)."""
    return Selective(
        rejection=_criteria(settings.rejection, schedules),
        acceptance=_criteria(settings.acceptance, schedules),
        forwarding=_criteria(settings.forwarding, schedules),
        forward_default=settings.forwarding.default_number,
        notify=_criteria(settings.notify, schedules),
        notify_address=settings.notify.address,
    )


def _criteria(service: SelectiveService, schedules: TenantSchedules) -> tuple[Criteria, ...]:
    return tuple(_criterion(rule, schedules) for rule in service.rules)


def _criterion(rule: Rule, schedules: TenantSchedules) -> Criteria:
    weekly = None if rule.schedule is None else schedules.weekly.get(rule.schedule)
    holidays = None if rule.holidays is None else schedules.holidays.get(rule.holidays)
    # A schedule deleted since the rule was written: the rule holds never rather than always.
    gone = (rule.schedule is not None and weekly is None) or (
        rule.holidays is not None and holidays is None
    )
    return Criteria(
        name=rule.name,
        active=rule.active and not gone,
        numbers=frozenset(rule.numbers),
        any_private=rule.any_private,
        any_unavailable=rule.any_unavailable,
        schedule=weekly,
        holidays=holidays,
        forward_to=rule.forward_to,
    )


class CallNotifyMailer:
    def __init__(self, smtp: SmtpSettings, timeout: float = 20.0) -> None:
        self._smtp = smtp
        self._timeout = timeout

    @classmethod
    def from_env(cls) -> CallNotifyMailer | None:
        """None when no SMTP server is configured (`SMTP_HOST` unset): nothing is mailed."""
        smtp = SmtpSettings.configured()
        return None if smtp is None else cls(smtp)

    def notify(self, notice: CallNotice) -> None:
        """From the SIP thread: the mail goes in a thread of its own."""
        threading.Thread(target=self._send, args=(notice,), daemon=True).start()

    def _send(self, notice: CallNotice) -> None:
        language = notice.language if notice.language in SUBJECTS else "en"
        caller = " ".join(part for part in (notice.caller_name, notice.caller) if part) or "?"
        mail = EmailMessage()
        mail["From"] = self._smtp.sender
        mail["To"] = notice.address
        mail["Subject"] = SUBJECTS[language].format(caller=caller, extension=notice.extension)
        mail.set_content(BODIES[language].format(caller=caller, extension=notice.extension))
        try:
            self._smtp.send(mail, self._timeout)
        except (OSError, ValueError):  # the server, or a header it refuses
            log.exception("CallNotify mail to %s for %s failed", notice.address, notice.extension)
