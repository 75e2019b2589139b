"""The service on SQLite and PostgreSQL: one transaction a change, audit in it, listeners after
the commit, the 3.6 rules with a buyout to confirm, the all-or-nothing import."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from provisioning.errors import BuyoutRequired, Conflict, Invalid
from provisioning.models import audit_log, contract_years, users
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService, UserPatch
from provisioning.unit import Change
from provisioning.users import Licences, Tier, UserSpec
from queueing.config import Tier as EngineTier
from tests.provisioning.conftest import tenant_spec


def spec(n: int, profile: Profile = Profile.KANTOOR, **extra: object) -> UserSpec:
    values: dict[str, object] = {
        "username": f"user{n}",
        "name": f"User {n}",
        "extension": str(n),
        "password": None,
        "sip_password": f"sip-secret-{n}",
        "profile": profile,
    }
    values.update(extra)
    return UserSpec(**values)  # type: ignore[arg-type]


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_changes_are_audited_and_heard_only_after_commit(
    service: ProvisioningService, engine: Engine, changes: list[Change]
) -> None:
    service.create_tenant("op", tenant_spec("acme"))
    service.create_user("op", "acme", spec(1001))
    assert [(c.tenant, c.entity, c.key, c.action) for c in changes] == [
        ("acme", "tenant", "acme", "create"),
        ("acme", "user", "user1001", "create"),
    ]
    # A create changes every field it names.
    assert {"extension", "roles", "licences"} <= changes[1].changed
    audits = count(engine, audit_log)
    with pytest.raises(Conflict):
        service.create_user("op", "acme", spec(1001, username="other"))
    # Refused: nothing written, nothing audited, nobody told.
    assert (count(engine, audit_log), len(changes)) == (audits, 2)


def test_a_failing_listener_does_not_undo_the_change(
    service: ProvisioningService, engine: Engine
) -> None:
    def broken(change: Change) -> None:
        raise RuntimeError("listener down")

    service.subscribe(broken)
    service.create_tenant("op", tenant_spec("acme"))
    assert service.tenant("acme").sip_domain == "acme.test"


def test_a_half_done_change_leaves_nothing(service: ProvisioningService, engine: Engine) -> None:
    service.create_tenant("op", tenant_spec("acme"))
    service.create_user("op", "acme", spec(1001, licences=Licences(call_center=Tier.BASIC)))
    settings = {"number": "7001", "name": "Help", "tier": "basic", "agents": ["1001"]}
    service.create_call_center("op", "acme", settings)
    audits = count(engine, audit_log)
    # The row is written, then the whole tenant fails to validate: the insert must roll back.
    with pytest.raises(Invalid, match="unknown agent 1002"):
        service.create_call_center("op", "acme", {**settings, "number": "7002", "agents": ["1002"]})
    assert [c.number for c in service.call_centers("acme")] == ["7001"]
    assert count(engine, audit_log) == audits
    config = service.engine_config("acme")
    assert (config.call_centers[0].tier, config.agents[0].licence) == (
        EngineTier.BASIC,
        EngineTier.BASIC,
    )


def test_cancellations_beyond_25_percent_need_a_confirmed_buyout(
    service: ProvisioningService, engine: Engine
) -> None:
    # Contract since 2025-01-15 (36 months) for 8 profiles; today 2026-03-10 is in contract
    # year 2 (index 1), the tenant's first on the platform: 2 of the 8 may go free.
    service.create_tenant("op", tenant_spec("acme", contract_profiles=8))
    for n in range(1001, 1009):
        service.create_user("op", "acme", spec(n))
    assert service.delete_user("op", "acme", "user1001", False) == 0
    downgrade = UserPatch(profile=Profile.VERGADERZAAL)
    service.update_user("op", "acme", "user1002", downgrade, False)
    with pytest.raises(BuyoutRequired) as asked:
        service.delete_user("op", "acme", "user1003", False)
    # Kantoor at 25.00 a month, 23 months left (2026-03-10 .. 2028-01-15, a started month whole).
    assert asked.value.amount_cents == 57_500
    assert service.user("acme", "user1003").extension == "1003"
    assert service.delete_user("op", "acme", "user1003", True) == 57_500
    with engine.connect() as connection:
        year = connection.execute(select(contract_years)).one()
    assert (year.year, year.profiles_at_start, year.reductions) == (1, 8, 3)
    entry = service.audit_log("acme", limit=1).items[0]
    assert (entry.action, entry.after) == ("delete", {"buyout_cents": 57_500})
    service.delete_user("op", "acme", "user1004", True)
    with pytest.raises(Conflict, match="at least 5 profiles; it has 5"):
        service.delete_user("op", "acme", "user1005", True)


def test_import_is_all_or_nothing(service: ProvisioningService, engine: Engine) -> None:
    service.create_tenant("op", tenant_spec("acme"))
    header = "username,name,extension,sip_password,profile,password\n"
    good = "".join(f"u{n},User {n},{n},sip-secret-{n},kantoor,\n" for n in range(1001, 1004))
    report = service.import_users("op", "acme", header + good, dry_run=True)
    assert (report.rows, report.errors, report.imported) == (3, [], [])
    assert count(engine, users) == 0
    bad = good + "u1001,Again,1004,sip-secret-x,kantoor,\n"
    report = service.import_users("op", "acme", header + bad, dry_run=False)
    assert [(e.line, e.field) for e in report.errors] == [(2, "username"), (5, "username")]
    assert count(engine, users) == 0
    report = service.import_users("op", "acme", header + good, dry_run=False)
    assert [u.username for u in report.imported] == ["u1001", "u1002", "u1003"]
    assert not report.imported[0].web_sign_in
    again = service.import_users("op", "acme", header + good, dry_run=True)
    assert {e.reason for e in again.errors} >= {"u1001 is already in use", "1001 is already in use"}
