"""Fax to e-mail, the product's side (docs/group-services.md, "Fax to e-mail"): each fax call the
PBX reports (pbx_core/fax/part.py) is mailed to the fax number's recipients, the received TIFF-F
converted to PDF with tiff2pdf (Debian libtiff-tools); a failed fax (no pages, a hang-up half-way,
a caller that is no fax machine) is mailed as a failure report and logged; each outcome is a
group call event (`GROUP_FAX_RECEIVED` / `GROUP_FAX_FAILED`, docs/events.md).

The PBX calls `received` in its SIP thread; the conversion and the mail run on the asyncio loop
through worker threads. SMTP from the environment (`SMTP_HOST` ..., as voicemail to e-mail).
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import struct
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from common.event_types import EventType
from cti.group_events import GroupEvent
from group_services.config import FaxConfig
from pbx_core.fax.part import FaxSettings, ReceivedFax
from provisioning.errors import ProvisioningError
from provisioning.group_services_store import GroupServices
from reports.scheduled import SmtpSettings, mail_files

log = logging.getLogger(__name__)

TIFF2PDF = "tiff2pdf"
CONVERT_SECONDS = 60.0
SUBJECTS: Mapping[str, Mapping[str, str]] = {
    "ok": {"nl": "Fax van {caller} ({pages})", "en": "Fax from {caller} ({pages})"},
    "failed": {"nl": "Fax van {caller} mislukt", "en": "Fax from {caller} failed"},
}
PAGES: Mapping[str, tuple[str, str]] = {"nl": ("pagina", "pagina's"), "en": ("page", "pages")}
TEXTS: Mapping[str, Mapping[str, str]] = {
    "ok": {
        "nl": "{caller} stuurde op {when} een fax naar {number}. De fax zit als PDF bij deze mail.",
        "en": "{caller} sent a fax to {number} at {when}. The fax is attached as a PDF.",
    },
    "failed": {
        "nl": "{caller} belde op {when} het faxnummer {number}, maar de fax kwam niet (volledig)"
        " aan: {reason}.",
        "en": "{caller} called the fax number {number} at {when}, but the fax was not (fully)"
        " received: {reason}.",
    },
}


class FaxRefused(Exception):
    """The received file cannot be turned into a PDF (no pages, a damaged TIFF)."""


def tiff_pages(path: Path) -> int:
    """The pages (image directories) of a TIFF file; 0 for anything that is not one."""
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8:
        return 0
    offset, pages, seen = struct.unpack_from(order + "I", data, 4)[0], 0, set()
    while 0 < offset <= len(data) - 2 and offset not in seen and pages < 10_000:
        seen.add(offset)
        (entries,) = struct.unpack_from(order + "H", data, offset)
        following = offset + 2 + 12 * entries
        if following + 4 > len(data):
            break
        pages += 1
        (offset,) = struct.unpack_from(order + "I", data, following)
    return pages


def tiff_to_pdf(path: Path) -> bytes:
    """Blocking: the TIFF-F's pages as one PDF (tiff2pdf keeps the fax's G3/G4 data as is)."""
    if tiff_pages(path) == 0:
        raise FaxRefused("no pages received")
    pdf = path.with_suffix(".pdf")
    try:
        subprocess.run(
            [TIFF2PDF, "-o", str(pdf), str(path)],
            check=True,
            capture_output=True,
            timeout=CONVERT_SECONDS,
        )
        return pdf.read_bytes()
    except (OSError, subprocess.SubprocessError) as error:
        raise FaxRefused(f"the pages could not be converted: {error}") from error
    finally:
        pdf.unlink(missing_ok=True)


class FaxToMail:
    def __init__(
        self,
        groups: GroupServices,
        directory: Path,
        loop: asyncio.AbstractEventLoop,
        smtp: SmtpSettings | None,
        events: Callable[[GroupEvent], None] | None = None,
    ) -> None:
        self._groups = groups
        self._events = events
        """The group calls' event stream (`GroupEventPublisher.publish`): each fax's outcome."""
        self.directory = directory
        self._loop = loop
        self._smtp = smtp
        self._working: set[asyncio.Task[None]] = set()

    @classmethod
    def from_env(
        cls,
        groups: GroupServices,
        directory: Path,
        loop: asyncio.AbstractEventLoop,
        events: Callable[[GroupEvent], None] | None = None,
    ) -> FaxToMail:
        smtp = SmtpSettings.from_env() if os.environ.get("SMTP_HOST") else None
        return cls(groups, directory, loop, smtp, events)

    def pbx_settings(self) -> FaxSettings:
        return FaxSettings(directory=self.directory, on_fax=self._in_sip_thread)

    def _in_sip_thread(self, fax: ReceivedFax) -> None:
        self._loop.call_soon_threadsafe(self._start, fax)

    def _start(self, fax: ReceivedFax) -> None:
        task = self._loop.create_task(self.received(fax), name="fax-to-mail")
        self._working.add(task)
        task.add_done_callback(self._working.discard)

    async def drain(self) -> None:
        """Wait for the faxes still being mailed (at shutdown)."""
        if self._working:
            await asyncio.gather(*self._working, return_exceptions=True)

    async def received(self, fax: ReceivedFax) -> None:
        ok, reason, pdf, pages = fax.ok, fax.reason, b"", 0
        if ok:
            try:
                pdf = await asyncio.to_thread(tiff_to_pdf, fax.path)
                pages = tiff_pages(fax.path)
            except FaxRefused as error:
                ok, reason = False, str(error)
        if ok:
            log.info("fax %s received: %s/%s from %s, %d pages", fax.fax_id, fax.tenant,
                     fax.number, fax.caller, pages)  # fmt: skip
        else:
            log.warning("fax_failed %s: %s/%s from %s: %s", fax.fax_id, fax.tenant, fax.number,
                        fax.caller, reason)  # fmt: skip
        mailed = await self._mail_to_recipients(fax, ok, reason, pdf, pages)
        if ok and mailed:
            fax.path.unlink(missing_ok=True)  # delivered: the mail is the fax now
        if self._events is not None:
            kind, data = (
                (EventType.GROUP_FAX_RECEIVED, {"pages": pages, "mailed": mailed})
                if ok
                else (EventType.GROUP_FAX_FAILED, {"mailed": mailed})
            )
            self._events(GroupEvent(kind, time.time(), fax.tenant, fax.number, fax.call_id,
                                    fax.caller, reason, data=data))  # fmt: skip

    async def _mail_to_recipients(
        self, fax: ReceivedFax, ok: bool, reason: str, pdf: bytes, pages: int
    ) -> bool:
        """The fax (or its failure) mailed to the number's recipients: True when sent."""
        config = await self._config(fax)
        if config is None or self._smtp is None:
            why = "no SMTP server (SMTP_HOST)" if config else "the fax number is gone"
            log.warning("fax %s not mailed: %s", fax.fax_id, why)
            return False
        try:
            await asyncio.to_thread(self._mail, config, fax, ok, reason, pdf, pages)
        except (OSError, smtplib.SMTPException) as error:
            log.error("fax %s not mailed to %s: %s", fax.fax_id, ", ".join(config.recipients),
                      error)  # fmt: skip
            return False  # the TIFF stays: an operator can still find it under its id
        return True

    async def _config(self, fax: ReceivedFax) -> FaxConfig | None:
        try:
            configs = await asyncio.to_thread(self._groups.configs, fax.tenant)
        except ProvisioningError as error:
            log.error("fax %s: the fax numbers of %s not read: %s", fax.fax_id, fax.tenant, error)
            return None
        config = configs.get(fax.number)
        return config if isinstance(config, FaxConfig) else None

    def _mail(
        self, config: FaxConfig, fax: ReceivedFax, ok: bool, reason: str, pdf: bytes, pages: int
    ) -> None:
        assert self._smtp is not None
        which = "ok" if ok else "failed"
        language = config.language
        words = {
            "caller": fax.caller or "?",
            "number": fax.number,
            "when": fax.received_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "pages": f"{pages} {PAGES[language][pages != 1]}",
            "reason": reason,
        }
        mail_files(
            self._smtp,
            config.recipients,
            subject=SUBJECTS[which][language].format(**words),
            message_id=f"<fax-{fax.fax_id}@opencc>",
            text=TEXTS[which][language].format(**words) + "\n",
            files={f"fax-{fax.fax_id[:8]}.pdf": pdf} if ok else {},
        )
