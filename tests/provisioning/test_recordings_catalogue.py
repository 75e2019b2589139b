"""The recordings catalogue on SQLite and PostgreSQL: idempotent insert, search by date, number,
call center, owner and label within one tenant, labels checked, retention 90/365 per tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from provisioning.errors import Invalid
from provisioning.recordings import NewRecording, RecordingCatalogue, RecordingQuery, Visibility
from provisioning.service import ProvisioningService
from tests.provisioning.conftest import TODAY, tenant_spec


@pytest.fixture
def catalogue(engine: Engine, service: ProvisioningService) -> RecordingCatalogue:
    for tenant in ("acme", "other"):
        service.ensure_tenant("test", tenant_spec(tenant))
    return RecordingCatalogue(engine)


def _new(tenant: str, call_id: str, days_ago: int = 0, **fields: str) -> NewRecording:
    values = {"owner": "1001", "caller": "+31201234567", "called": "7001", "call_center": "7001"}
    values.update(fields)
    return NewRecording(
        tenant=tenant,
        call_id=call_id,
        ended_at=TODAY - timedelta(days=days_ago),
        duration_seconds=12.5,
        audio=f"{tenant}/{call_id}.opus",
        **values,
    )


def test_the_same_call_is_catalogued_once(catalogue: RecordingCatalogue) -> None:
    first = catalogue.add(_new("acme", "1"))
    assert catalogue.add(_new("acme", "1")) == first
    assert catalogue.add(_new("acme", "10")) != first
    assert catalogue.search("acme", RecordingQuery())[0] == 2


def test_search_stays_in_the_tenant_and_filters(catalogue: RecordingCatalogue) -> None:
    catalogue.add(_new("acme", "a", days_ago=2))
    catalogue.add(
        _new("acme", "b", caller="1002", called="0612345678", call_center="", owner="1002")
    )
    foreign = catalogue.add(_new("other", "a"))
    assert catalogue.get("acme", foreign) is None
    total, found = catalogue.search("acme", RecordingQuery())
    assert (total, [r.call_id for r in found]) == (2, ["b", "a"])  # newest first
    assert [r.call_id for r in catalogue.search("acme", RecordingQuery(owner="1002"))[1]] == ["b"]
    assert [r.call_id for r in catalogue.search("acme", RecordingQuery(number="0612"))[1]] == ["b"]
    by_center = catalogue.search("acme", RecordingQuery(call_center="7001"))[1]
    assert [r.call_id for r in by_center] == ["a"]
    recent = catalogue.search("acme", RecordingQuery(since=TODAY - timedelta(days=1)))[1]
    assert [r.call_id for r in recent] == ["b"]
    assert catalogue.search("acme", RecordingQuery(number="%"))[0] == 0  # no LIKE wildcards


def test_labels_are_checked_and_searchable(catalogue: RecordingCatalogue) -> None:
    rec = catalogue.add(_new("acme", "a"))
    catalogue.set_labels("acme", rec, ["complaint", " complaint", "follow-up"])
    assert catalogue.search("acme", RecordingQuery(label="complaint"))[1][0].labels == (
        "complaint",
        "follow-up",
    )
    for bad in (["<script>"], [""], [f"l{n}" for n in range(11)], ["x" * 33]):
        with pytest.raises(Invalid):
            catalogue.set_labels("acme", rec, bad)


def test_expired_follows_each_tenants_retention(catalogue: RecordingCatalogue) -> None:
    catalogue.set_retention_days("other", 365)
    with pytest.raises(Invalid):
        catalogue.set_retention_days("acme", 30)
    for tenant in ("acme", "other"):
        for age in (10, 100, 400):
            catalogue.add(_new(tenant, f"{age}", days_ago=age))
    expired = sorted((r.tenant, r.call_id) for r in catalogue.expired(TODAY))
    assert expired == [("acme", "100"), ("acme", "400"), ("other", "400")]
    assert (catalogue.retention_days("acme"), catalogue.retention_days("other")) == (90, 365)


def test_a_user_sees_its_own_and_its_call_centers_recordings(
    catalogue: RecordingCatalogue,
) -> None:
    own = catalogue.add(_new("acme", "own", owner="1003", call_center=""))
    queued = catalogue.add(_new("acme", "queued", owner="1004", call_center="7002"))
    other = catalogue.add(_new("acme", "other", owner="1005", call_center="7001"))
    agent = Visibility("1003")
    supervisor = Visibility("1100", frozenset({"7002"}))
    assert [r.id for r in catalogue.search("acme", RecordingQuery(visible=agent))[1]] == [own]
    assert [r.id for r in catalogue.search("acme", RecordingQuery(visible=supervisor))[1]] == [
        queued
    ]
    assert catalogue.get("acme", own, agent) is not None
    assert catalogue.get("acme", other, agent) is None
    assert catalogue.get("acme", other) is not None
