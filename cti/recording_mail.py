"""rq job: e-mail a recording as an expiring link (seed 3.2.6 "via e-mail verzonden"), never the
file. SMTP settings are the installation's (`SMTP_HOST`..., as for the scheduled reports)."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid

from reports.scheduled import SmtpSettings


def mail_recording_link(recipient: str, sender_name: str, link: str, expires: str) -> str:
    """Job: returns the Message-ID."""
    settings = SmtpSettings.from_env()
    message = EmailMessage()
    message["Subject"] = "Gespreksopname / call recording"
    message["From"] = settings.sender
    message["To"] = recipient
    message["Message-ID"] = make_msgid("recording", domain="opencc")  # no DNS look-up
    message.set_content(
        f"{sender_name} deelt een gespreksopname met u / shares a call recording with you:\n\n"
        f"{link}\n\n"
        f"De link verloopt op / the link expires at {expires} (UTC).\n"
    )
    # The EHLO name given: smtplib's default asks DNS for this host's FQDN, which can hang for
    # many seconds where no resolver answers.
    with smtplib.SMTP(
        settings.host, settings.port, local_hostname=socket.gethostname(), timeout=30
    ) as client:
        if settings.starttls:
            client.starttls()
        if settings.username:
            client.login(settings.username, settings.password or "")
        refused = client.send_message(message)
    if refused:
        raise RuntimeError(f"the mail server refused {recipient}")
    return str(message["Message-ID"])
