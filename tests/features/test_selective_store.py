"""Selective services in the store, on SQLite and PostgreSQL: a change is one audited transaction
of the user's services; the PBX's table follows it (and a schedule's change); the profile
decides; bad rules are refused by their field and change nothing; tenants stay apart."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from cti.user_services_live import LiveUserServices
from pbx_core.features.criteria import CallerId, screen
from pbx_core.features.table import ServicesTable
from provisioning.errors import Invalid, NotFound
from provisioning.models import audit_log
from provisioning.schedules import ScheduleKind
from provisioning.selective import SelectiveKind
from provisioning.service import ProvisioningService
from provisioning.user_services_store import UserServicesService
from tests.features.test_user_services_rules import services

__all__ = ["services"]

ALL_WEEK = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]
OFFICE = {"timezone": "Europe/Amsterdam", "hours": ALL_WEEK}
RULE = {"name": "family", "numbers": ["1002", "+31201234567"], "schedule": "office"}


def test_rules_are_stored_audited_and_applied_by_the_pbx(
    services: UserServicesService, service: ProvisioningService, engine: Engine
) -> None:
    service.put_schedule("admin", "acme", ScheduleKind.WEEKLY, "office", OFFICE)
    table = ServicesTable()
    LiveUserServices(services, service, table).load_all()
    body = {"default_number": "1003", "rules": [RULE]}
    made = services.change_selective("admin", "acme", "user1001", SelectiveKind.FORWARDING, body)
    assert made.services.selective.forwarding.default_number == "1003"
    assert services.get("acme", "user1001").services.selective == made.services.selective
    with engine.connect() as connection:
        entity, actor = connection.execute(
            select(audit_log.c.entity, audit_log.c.actor).order_by(audit_log.c.id.desc())
        ).first() or ("", "")
    assert (entity, actor) == ("user_services", "admin")
    selective = table.get("acme", "1001").selective
    assert screen(selective, CallerId("1002"), 0.0).forward_to == "1003"
    assert screen(selective, CallerId("1004"), 0.0).forward_to is None
    # The forwarding settings keep working beside the rules, and keep the rules.
    services.change("admin", "acme", "user1001", {"forward_busy": "1004"})
    assert services.get("acme", "user1001").services.selective == made.services.selective
    # A schedule closed all week: the rule no longer holds, without touching the user.
    closed = {"timezone": "Europe/Amsterdam", "hours": []}
    service.put_schedule("admin", "acme", ScheduleKind.WEEKLY, "office", closed)
    assert screen(table.get("acme", "1001").selective, CallerId("1002"), 0.0).forward_to is None


def test_each_service_needs_its_feature_and_emptying_is_always_allowed(
    services: UserServicesService,
) -> None:
    for kind, feature in (
        (SelectiveKind.FORWARDING, "CallForwardingSelective"),
        (SelectiveKind.REJECTION, "SelectiveCallRejection"),
        (SelectiveKind.ACCEPTANCE, "SelectiveCallAcceptance"),
        (SelectiveKind.NOTIFY, "CallNotify"),
    ):
        body: dict[str, Any] = {"rules": [{"name": "x", "numbers": ["1002"]}]}
        body |= {"default_number": "1003"} if kind is SelectiveKind.FORWARDING else {}
        body |= {"address": "a@example.nl"} if kind is SelectiveKind.NOTIFY else {}
        with pytest.raises(Invalid) as refused:
            services.change_selective("admin", "acme", "user1020", kind, body)
        assert (refused.value.field, refused.value.reason) == (
            "rules",
            f"the vergaderzaal profile does not include {feature}",
        )
        services.change_selective("admin", "acme", "user1020", kind, {"rules": []})
        services.change_selective("admin", "acme", "user1001", kind, body)


REJ, FWD, NOTE = SelectiveKind.REJECTION, SelectiveKind.FORWARDING, SelectiveKind.NOTIFY


def one(**rule: object) -> dict[str, Any]:
    return {"rules": [{"name": "x", **rule}]}


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        (REJ, one(numbers=["1"]), "rules[0].numbers[0]"),
        (REJ, one(numbers=["1002"] * 13), "rules[0].numbers"),
        (REJ, one(numbers=["12ab"]), "rules[0].numbers[0]"),
        (REJ, one(schedule="nope"), "rules[0].schedule"),
        (REJ, one(holidays="nope"), "rules[0].holidays"),
        (REJ, one(forward_to="1003"), "rules[0].forward_to"),
        (REJ, one(colour="red"), "rules[0].colour"),
        (REJ, {"rules": [{"name": "x"}, {"name": "x"}]}, "rules"),
        (REJ, one(name=""), "rules[0].name"),
        (REJ, one(active="yes"), "rules[0].active"),
        (REJ, {"rules": [], "address": "a@example.nl"}, "address"),
        (REJ, [], "body"),
        (FWD, one(forward_to="1001"), "rules[0].forward_to"),
        (FWD, one(), "rules[0].forward_to"),
        (FWD, {"rules": [], "default_number": "1001"}, "default_number"),
        (NOTE, one(), "address"),
        (NOTE, {"rules": [], "address": "x@y.z\r\nBcc: v@example.com"}, "address"),
    ],
)
def test_bad_rules_are_refused_by_field_and_change_nothing(
    services: UserServicesService, kind: SelectiveKind, body: object, field: str
) -> None:
    before = services.get("acme", "user1001").services
    with pytest.raises(Invalid) as refused:
        services.change_selective("admin", "acme", "user1001", kind, body)
    assert refused.value.field == field
    assert services.get("acme", "user1001").services == before


def test_another_tenants_user_is_not_found(services: UserServicesService) -> None:
    with pytest.raises(NotFound):
        services.change_selective("admin", "other", "user1001", SelectiveKind.REJECTION,
                                  {"rules": []})  # fmt: skip
    with pytest.raises(NotFound):
        services.change_selective("admin", "acme", "user2001", SelectiveKind.REJECTION,
                                  {"rules": []})  # fmt: skip
