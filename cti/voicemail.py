"""The product's voicemail shell: messages the PBX recorded go into the table (and the phones'
message waiting indication follows); the REST API reads, marks and deletes them here.

The PBX calls `deposited` in its SIP thread; the row is written on the asyncio loop through a
worker thread, so the SIP thread never waits on the database (docs/voicemail.md).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cti.voicemail_mail import MailedMessage, VoicemailMailer
from pbx_core.voicemail.deposit import DepositedMessage, Mailbox, VoicemailSettings
from pbx_core.voicemail.greetings import (
    MAX_GREETING_SECONDS,
    GreetingRefused,
    own_greeting_path,
    store_greeting,
)
from pbx_core.voicemail.portal_menu import PinCheck
from provisioning.announcement_store import AnnouncementService
from provisioning.announcements import MAX_SECONDS as MAX_ANNOUNCEMENT_SECONDS
from provisioning.errors import ProvisioningError
from provisioning.voicemail_boxes import VoicemailBoxes
from provisioning.voicemail_messages import MessageCounts, VoicemailMessage, VoicemailMessages

log = logging.getLogger(__name__)

CountsListener = Callable[[str, str, MessageCounts], None]
"""(tenant, extension, counts): a box's new/old counts changed (MWI)."""


class Voicemail:
    def __init__(
        self,
        store: VoicemailMessages,
        boxes: VoicemailBoxes,
        directory: Path,
        loop: asyncio.AbstractEventLoop,
        *,
        mailer: VoicemailMailer | None = None,
        max_seconds: float = 180.0,
        announcements: AnnouncementService | None = None,
    ) -> None:
        self._store = store
        self._boxes = boxes
        self.directory = directory
        self._loop = loop
        self._max_seconds = max_seconds
        self._mailer = mailer
        self._announcements = announcements
        """Where an announcement recorded in the voice portal goes, as an upload does."""
        self._listeners: list[CountsListener] = []
        self._writing: set[asyncio.Task[None]] = set()

    def pbx_settings(self) -> VoicemailSettings:
        return VoicemailSettings(
            directory=self.directory,
            on_message=self._deposited_in_sip_thread,
            mailbox=self._mailbox,
            max_seconds=self._max_seconds,
            greeting_max_seconds=MAX_GREETING_SECONDS,
            announcement_max_seconds=MAX_ANNOUNCEMENT_SECONDS,
            portal=self,
        )

    def on_counts(self, listener: CountsListener) -> None:
        self._listeners.append(listener)

    async def tell_phones(
        self, set_counts: Callable[[str, str, int, int], None], tenants: Iterable[str]
    ) -> None:
        """Keep the PBX's MWI counts (`PbxService.set_message_counts`) the table's: every box
        of each of `tenants` with messages now, then each change (of any tenant)."""
        self.on_counts(lambda t, extension, c: set_counts(t, extension, c.new, c.old))
        for tenant in tenants:
            for extension, counts in (await self.all_counts(tenant)).items():
                set_counts(tenant, extension, counts.new, counts.old)

    def _mailbox(self, tenant: str, extension: str) -> Mailbox | None:
        # Every provisioned user has voicemail (docs/voicemail.md, "Who has voicemail").
        language = self._store.language_of(tenant, extension)
        return Mailbox(language) if language is not None else None

    def _deposited_in_sip_thread(self, message: DepositedMessage) -> None:
        self._loop.call_soon_threadsafe(self._start_writing, message)

    def _start_writing(self, message: DepositedMessage) -> None:
        task = self._loop.create_task(self.deposited(message), name="voicemail-deposit")
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def drain(self) -> None:
        """Wait for the messages still being written (at shutdown)."""
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

    async def deposited(self, message: DepositedMessage) -> None:
        row = VoicemailMessage(
            id=message.message_id,
            tenant=message.tenant,
            extension=message.extension,
            caller=message.caller,
            caller_name=message.caller_name,
            received_at=message.received_at,
            duration_ms=round(message.duration_seconds * 1000),
            read=False,
            audio_file=str(message.path.relative_to(self.directory)),
        )
        try:
            await asyncio.to_thread(self._store.add, row)
        except Exception:
            # The audio stays on disk under its id: an operator can still find it.
            log.exception("voicemail %s (%s) not stored", message.message_id, message.path)
            return
        log.info("voicemail %s for %s/%s", row.id, row.tenant, row.extension)
        await self._counts_changed(message.tenant, message.extension)
        await self._mail(message)

    async def _mail(self, message: DepositedMessage) -> None:
        if self._mailer is None:
            return
        tenant, extension = message.tenant, message.extension
        address = await asyncio.to_thread(self._boxes.email_of, tenant, extension)
        if address is None:
            return
        language = await asyncio.to_thread(self._store.language_of, tenant, extension)
        mailed = MailedMessage(
            address=address,
            extension=extension,
            caller=message.caller,
            received_at=message.received_at.strftime("%Y-%m-%d %H:%M UTC"),
            duration_seconds=max(1, round(message.duration_seconds)),
            language=language or "en",
            audio=message.path,
        )
        try:
            await asyncio.to_thread(self._mailer.send, mailed)
        except (OSError, smtplib.SMTPException) as error:
            # The message is stored and listed all the same; only the copy by mail is missing.
            log.warning("voicemail %s not mailed to %s: %s", message.message_id, address, error)

    async def messages(self, tenant: str, extension: str) -> list[VoicemailMessage]:
        return await asyncio.to_thread(self._store.of_box, tenant, extension)

    async def audio(self, tenant: str, extension: str, message_id: str) -> Path | None:
        message = await asyncio.to_thread(self._store.get, tenant, extension, message_id)
        if message is None:
            return None
        path = self.directory / message.audio_file
        return path if path.is_file() else None

    async def set_read(
        self, tenant: str, extension: str, message_id: str, read: bool
    ) -> VoicemailMessage | None:
        store = self._store
        if not await asyncio.to_thread(store.mark_read, tenant, extension, message_id, read):
            return None
        await self._counts_changed(tenant, extension)
        return await asyncio.to_thread(store.get, tenant, extension, message_id)

    async def remove(self, tenant: str, extension: str, message_id: str) -> bool:
        removed = await asyncio.to_thread(self._store.remove, tenant, extension, message_id)
        if removed is None:
            return False
        (self.directory / removed.audio_file).unlink(missing_ok=True)
        await self._counts_changed(tenant, extension)
        return True

    async def counts(self, tenant: str, extension: str) -> MessageCounts:
        return await asyncio.to_thread(self._store.counts, tenant, extension)

    async def all_counts(self, tenant: str) -> dict[str, MessageCounts]:
        return await asyncio.to_thread(self._store.all_counts, tenant)

    async def set_pin(self, tenant: str, extension: str, pin: str) -> None:
        await asyncio.to_thread(self._boxes.set_pin, tenant, extension, pin)

    async def set_email(self, tenant: str, extension: str, address: str | None) -> None:
        await asyncio.to_thread(self._boxes.set_email, tenant, extension, address)

    # -----------------------------------------------------------------------------------------
    # The voice portal's `PortalStore`: called in the SIP thread, each one short query; count
    # changes go to the loop like the API's.

    def check_pin(self, tenant: str, extension: str, pin: str) -> PinCheck:
        # The same three outcomes on both sides; provisioning knows nothing of the PBX.
        return PinCheck(self._boxes.check(tenant, extension, pin).value)

    def check_call_pin(self, tenant: str, extension: str, pin: str, number: str) -> PinCheck:
        return PinCheck(self._boxes.check_for_call(tenant, extension, pin, number).value)

    def box(self, tenant: str, extension: str) -> Sequence[tuple[str, bool, Path]]:
        return [
            (m.id, m.read, self.directory / m.audio_file)
            for m in self._store.of_box(tenant, extension)
        ]

    def mark_read(self, tenant: str, extension: str, message_id: str) -> None:
        if self._store.mark_read(tenant, extension, message_id, True):
            self._counts_changed_soon(tenant, extension)

    def delete(self, tenant: str, extension: str, message_id: str) -> None:
        removed = self._store.remove(tenant, extension, message_id)
        if removed is not None:
            (self.directory / removed.audio_file).unlink(missing_ok=True)
            self._counts_changed_soon(tenant, extension)

    def announcements(self, tenant: str, extension: str) -> Sequence[str] | None:
        service = self._announcements
        if service is None or self._boxes.announcement_recorder(tenant, extension) is None:
            return None
        return [view.name for view in service.list(tenant)]  # by name, as the admin page

    def save_announcement(self, tenant: str, extension: str, name: str, audio: Path) -> bool:
        service = self._announcements
        # Asked again: the user may have lost the admin role during the call.
        actor = self._boxes.announcement_recorder(tenant, extension)
        if service is None or actor is None:
            return False
        try:
            service.put(actor, tenant, name, audio.read_bytes())  # its checks, audit, file
        except ProvisioningError as refused:
            log.warning("announcement %s of %s by phone refused: %s", name, tenant, refused)
            return False
        log.info("announcement %s of %s recorded by phone by %s", name, tenant, actor)
        return True

    def save_greeting(self, tenant: str, extension: str, busy: bool, audio: Path) -> bool:
        box_dir = self.pbx_settings().box_dir(tenant, extension)
        try:
            store_greeting(audio.read_bytes(), own_greeting_path(box_dir, busy))
        except GreetingRefused as refused:
            log.warning("greeting of %s/%s by phone refused: %s", tenant, extension, refused)
            return False
        return True

    def _counts_changed_soon(self, tenant: str, extension: str) -> None:
        def start() -> None:
            task = self._loop.create_task(self._counts_changed(tenant, extension))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)

        self._loop.call_soon_threadsafe(start)

    async def set_greeting(self, tenant: str, extension: str, wav: bytes) -> None:
        """The user's own greeting from an uploaded WAV (raises `GreetingRefused`)."""
        box_dir = self.pbx_settings().box_dir(tenant, extension)
        await asyncio.to_thread(store_greeting, wav, own_greeting_path(box_dir))

    async def remove_greeting(self, tenant: str, extension: str) -> None:
        """Back to the spoken default greeting."""
        own = own_greeting_path(self.pbx_settings().box_dir(tenant, extension))
        own.unlink(missing_ok=True)

    async def _counts_changed(self, tenant: str, extension: str) -> None:
        counts = await self.counts(tenant, extension)
        for listener in self._listeners:
            try:
                listener(tenant, extension, counts)
            except Exception:
                log.exception("voicemail count listener failed")
