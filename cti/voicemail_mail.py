"""Voicemail to e-mail: a new message mailed to the box's address with its audio attached
(WAV), over the SMTP server of the environment (`SMTP_HOST`, `SMTP_PORT`, `SMTP_FROM`,
`SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_STARTTLS`: the same settings as the scheduled reports).
Blocking `smtplib`; `Voicemail` calls it in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from reports.scheduled import SmtpSettings

SUBJECTS = {
    "nl": "Voicemail van {caller} ({seconds} s)",
    "en": "Voicemail from {caller} ({seconds} s)",
}
BODIES = {
    "nl": "{caller} sprak op {when} een bericht in voor toestel {extension}."
    " Het bericht zit als bijlage bij deze mail.",
    "en": "{caller} left a message for extension {extension} at {when}."
    " The message is attached to this mail.",
}


@dataclass(frozen=True, slots=True)
class MailedMessage:
    address: str
    extension: str
    caller: str
    received_at: str
    duration_seconds: int
    language: str
    audio: Path


class VoicemailMailer:
    def __init__(self, smtp: SmtpSettings, timeout: float = 20.0) -> None:
        self._smtp = smtp
        self._timeout = timeout

    @classmethod
    def from_env(cls) -> VoicemailMailer | None:
        """None when no SMTP server is configured (`SMTP_HOST` unset): nothing is mailed."""
        smtp = SmtpSettings.configured()
        return None if smtp is None else cls(smtp)

    def send(self, message: MailedMessage) -> None:
        language = message.language if message.language in SUBJECTS else "en"
        caller = message.caller or "?"
        mail = EmailMessage()
        mail["From"] = self._smtp.sender
        mail["To"] = message.address
        mail["Subject"] = SUBJECTS[language].format(caller=caller, seconds=message.duration_seconds)
        mail.set_content(
            BODIES[language].format(
                caller=caller, when=message.received_at, extension=message.extension
            )
        )
        mail.add_attachment(
            message.audio.read_bytes(),
            maintype="audio",
            subtype="wav",
            filename=f"voicemail-{message.extension}.wav",
        )
        self._smtp.send(mail, self._timeout)
