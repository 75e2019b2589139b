"""A voicemail box is its tenant and extension: the same extension in two tenants, or two
extensions of one tenant, never see, mark or delete each other's messages (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from provisioning.service import ProvisioningService
from provisioning.voicemail_boxes import MAX_WRONG_PINS, PinResult, VoicemailBoxes
from provisioning.voicemail_messages import MessageCounts, VoicemailMessage, VoicemailMessages
from tests.provisioning.conftest import tenant_spec

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def message(message_id: str, tenant: str, extension: str, minutes: int = 0) -> VoicemailMessage:
    return VoicemailMessage(
        id=message_id.ljust(32, "0"),
        tenant=tenant,
        extension=extension,
        caller="1001",
        caller_name="",
        received_at=AT + timedelta(minutes=minutes),
        duration_ms=2500,
        read=False,
        audio_file=f"boxes/{tenant}/{extension}/{message_id}.wav",
    )


def test_boxes_are_tenant_and_extension(engine: Engine, service: ProvisioningService) -> None:
    for tenant in ("acme", "globex"):
        service.create_tenant("test", tenant_spec(tenant))
    store = VoicemailMessages(engine)
    for item in (
        message("a1", "acme", "1003"),
        message("a2", "acme", "1003", minutes=5),
        message("b1", "acme", "1004"),
        message("c1", "globex", "1003"),
    ):
        store.add(item)
    assert [m.id[:2] for m in store.of_box("acme", "1003")] == ["a2", "a1"]  # newest first
    assert [m.id[:2] for m in store.of_box("globex", "1003")] == ["c1"]
    assert store.of_box("globex", "1003")[0].received_at == AT  # with its zone, on SQLite too
    theirs = message("c1", "globex", "1003").id
    assert store.get("acme", "1003", theirs) is None
    assert store.mark_read("acme", "1003", theirs, True) is False
    assert store.remove("acme", "1003", theirs) is None
    assert store.remove("acme", "1004", message("a1", "acme", "1003").id) is None
    assert store.counts("globex", "1003") == MessageCounts(new=1, old=0)

    assert store.mark_read("acme", "1003", message("a1", "acme", "1003").id, True)
    assert store.counts("acme", "1003") == MessageCounts(new=1, old=1)
    assert store.all_counts("acme") == {
        "1003": MessageCounts(new=1, old=1),
        "1004": MessageCounts(new=1, old=0),
    }
    removed = store.remove("acme", "1003", message("a2", "acme", "1003").id)
    assert removed is not None and removed.audio_file == "boxes/acme/1003/a2.wav"
    assert store.counts("acme", "1003") == MessageCounts(new=0, old=1)


def test_pins_lock_after_five_wrong_and_a_new_pin_opens(
    engine: Engine, service: ProvisioningService
) -> None:
    service.create_tenant("test", tenant_spec("acme"))
    boxes = VoicemailBoxes(engine)
    assert boxes.check("acme", "1003", "1234") is PinResult.LOCKED  # no PIN: never a default
    boxes.set_email("acme", "1003", "jan@example.nl")
    assert boxes.check("acme", "1003", "1234") is PinResult.LOCKED  # a row, still no PIN
    boxes.set_pin("acme", "1003", "2468")
    assert boxes.email_of("acme", "1003") == "jan@example.nl"
    assert boxes.check("acme", "1004", "2468") is PinResult.LOCKED  # another box
    for _ in range(MAX_WRONG_PINS - 1):
        assert boxes.check("acme", "1003", "0000") is PinResult.WRONG
    assert boxes.check("acme", "1003", "2468") is PinResult.OK  # resets the count
    for _ in range(MAX_WRONG_PINS - 1):
        boxes.check("acme", "1003", "0000")
    assert boxes.check("acme", "1003", "0000") is PinResult.LOCKED
    assert boxes.check("acme", "1003", "2468") is PinResult.LOCKED
    boxes.set_pin("acme", "1003", "13579")
    assert boxes.check("acme", "1003", "13579") is PinResult.OK
    for bad_pin in ("123", "123456789", "12a4", ""):
        with pytest.raises(ValueError, match="4 to 8 digits"):
            boxes.set_pin("acme", "1003", bad_pin)
    with pytest.raises(ValueError, match="e-mail"):
        boxes.set_email("acme", "1003", "x@y.z\r\nBcc: victim@example.com")
