"""Hoteling in provisioning (PostgreSQL and SQLite): hosts, sign-in with the phone PIN, the
host in use, lock-outs of the guest's PIN and of the host, moving, sign-out, sessions ending at
the end of the tenant's day, audit, and nothing across tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.hoteling import HOST_LOCK_MINUTES, MAX_HOST_WRONG_PINS, Refusal
from provisioning.hoteling_store import ENTITY, HotelingService, Refused, SignedIn
from provisioning.models import audit_log
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService, UserPatch
from provisioning.unit import Change
from provisioning.voicemail_boxes import MAX_WRONG_PINS, VoicemailBoxes
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hoteling(service: ProvisioningService, engine: Engine, clock: Clock) -> HotelingService:
    for tenant in ("acme", "other"):
        service.create_tenant("operator", tenant_spec(tenant, contract_profiles=5))
    service.create_users("operator", "acme", [spec(1001), spec(1002), spec(1050), spec(1051),
                         spec(1020, Profile.VERGADERZAAL)])  # fmt: skip
    service.create_users("operator", "other", [spec(2001, username="o2001")])
    pins = VoicemailBoxes(engine)
    pins.set_pin("acme", "1001", "4321")
    pins.set_pin("acme", "1002", "5555")
    pins.set_pin("other", "2001", "4321")
    made = HotelingService(engine, now=clock)
    made.set_host("admin", "acme", "1050", 12 * 60)
    made.set_host("admin", "acme", "1051", 60)
    return made


def test_sign_in_the_host_in_use_moving_and_sign_out(
    hoteling: HotelingService, clock: Clock, engine: Engine
) -> None:
    heard: list[Change] = []
    hoteling.subscribe(heard.append)
    signed = hoteling.sign_in("acme", "1050", "1001", "4321")
    assert isinstance(signed, SignedIn)
    assert signed.session.expires_at == T0 + timedelta(hours=12)
    assert [(s.host, s.guest) for s in hoteling.sessions("acme")] == [("1050", "1001")]
    assert heard[-1].entity == ENTITY and heard[-1].key == "1050"
    assert hoteling.sign_in("acme", "1050", "1002", "5555") == Refused(Refusal.HOST_IN_USE)
    # The guest moves to the other host: the first is free again
    assert isinstance(hoteling.sign_in("acme", "1051", "1001", "4321"), SignedIn)
    assert [(s.host, s.guest) for s in hoteling.sessions("acme")] == [("1051", "1001")]
    view = {v.extension: v for v in hoteling.hosts("acme")}
    assert view["1050"].guest is None
    assert (view["1051"].guest, view["1051"].guest_name) == ("1001", "User 1001")
    assert view["1051"].expires_at == T0 + timedelta(hours=1)
    assert hoteling.sign_out("phone:1051", "acme", "1051") is True
    assert hoteling.sign_out("phone:1051", "acme", "1051") is False
    assert hoteling.sessions("acme") == []
    with engine.connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.entity == ENTITY).order_by(audit_log.c.id)
        ).scalars()
        assert list(actions) == ["create", "create", "sign_in", "moved", "sign_in", "sign_out"]


def test_a_session_ends_by_itself(hoteling: HotelingService, clock: Clock) -> None:
    assert isinstance(hoteling.sign_in("acme", "1051", "1001", "4321"), SignedIn)
    clock.now = T0 + timedelta(minutes=59)
    assert len(hoteling.sessions("acme")) == 1
    clock.now = T0 + timedelta(hours=1)
    assert hoteling.sessions("acme") == []
    assert hoteling.hosts("acme")[1].guest is None
    # ...and the host takes another guest
    assert isinstance(hoteling.sign_in("acme", "1051", "1002", "5555"), SignedIn)


def test_refusals_and_lock_outs(hoteling: HotelingService, clock: Clock) -> None:
    assert hoteling.sign_in("acme", "1001", "1002", "5555") == Refused(Refusal.NOT_A_HOST)
    assert hoteling.sign_in("acme", "1050", "1020", "0000") == Refused(Refusal.NOT_A_GUEST)
    assert hoteling.sign_in("acme", "1050", "1999", "0000") == Refused(Refusal.NOT_A_GUEST)
    assert hoteling.sign_in("acme", "1050", "1051", "0000") == Refused(Refusal.GUEST_LOCKED)
    # Wrong PINs lock the host after MAX_HOST_WRONG_PINS in a row, whoever was tried
    hosts_wrong = MAX_HOST_WRONG_PINS - 1  # one was the locked PIN of 1051 above
    for _ in range(hosts_wrong):
        assert hoteling.sign_in("acme", "1050", "1001", "0000") == Refused(Refusal.WRONG_PIN)
    assert hoteling.sign_in("acme", "1050", "1001", "4321") == Refused(Refusal.HOST_LOCKED)
    assert hoteling.hosts("acme")[0].locked_until == T0 + timedelta(minutes=HOST_LOCK_MINUTES)
    clock.now = T0 + timedelta(minutes=HOST_LOCK_MINUTES)
    assert isinstance(hoteling.sign_in("acme", "1050", "1001", "4321"), SignedIn)
    assert hoteling.sign_out("phone:1050", "acme", "1050")
    # The guest's own PIN locks after MAX_WRONG_PINS wrong tries in a row, on any hosts
    for n in range(MAX_WRONG_PINS - 1):
        host = "1051" if n % 2 else "1050"
        assert hoteling.sign_in("acme", host, "1002", "1111") == Refused(Refusal.WRONG_PIN)
    assert hoteling.sign_in("acme", "1050", "1002", "1111") == Refused(Refusal.GUEST_LOCKED)
    assert hoteling.sign_in("acme", "1051", "1002", "5555") == Refused(Refusal.GUEST_LOCKED)


def test_nothing_crosses_tenants(hoteling: HotelingService) -> None:
    # other's 2001 (same PIN) is no guest of acme's host, and acme's host is none of other's
    assert hoteling.sign_in("acme", "1050", "2001", "4321") == Refused(Refusal.NOT_A_GUEST)
    assert hoteling.sign_in("other", "1050", "1001", "4321") == Refused(Refusal.NOT_A_HOST)
    assert hoteling.hosts("other") == []
    with pytest.raises(NotFound):
        hoteling.set_host("admin", "other", "1050", 60)


def test_host_rules(hoteling: HotelingService) -> None:
    with pytest.raises(Invalid) as profile:
        hoteling.set_host("admin", "acme", "1020", 60)
    assert "HotelingHost" in profile.value.reason
    with pytest.raises(Invalid) as minutes:
        hoteling.set_host("admin", "acme", "1050", 5)
    assert minutes.value.field == "max_minutes"
    assert isinstance(hoteling.sign_in("acme", "1050", "1001", "4321"), SignedIn)
    hoteling.remove_host("admin", "acme", "1050")
    assert hoteling.sessions("acme") == []
    with pytest.raises(NotFound):
        hoteling.remove_host("admin", "acme", "1050")


def test_a_host_cannot_be_deleted_or_renumbered_while_it_is_one(
    hoteling: HotelingService, service: ProvisioningService
) -> None:
    service.create_user("admin", "acme", spec(1060))  # a company keeps 5 profiles
    with pytest.raises(Conflict) as deleted:
        service.delete_user("admin", "acme", "user1050", confirm_buyout=True)
    assert "hoteling" in deleted.value.reason
    hoteling.remove_host("admin", "acme", "1050")
    service.delete_user("admin", "acme", "user1050", confirm_buyout=True)


def test_a_deleted_or_renumbered_guest_leaves_its_host(
    hoteling: HotelingService, service: ProvisioningService
) -> None:
    service.create_user("admin", "acme", spec(1060))
    assert isinstance(hoteling.sign_in("acme", "1050", "1001", "4321"), SignedIn)
    service.update_user("admin", "acme", "user1001", UserPatch(extension="1009",
                        sip_password="sip-secret-1"), confirm_buyout=True)  # fmt: skip
    assert hoteling.sessions("acme") == []
    assert isinstance(hoteling.sign_in("acme", "1051", "1002", "5555"), SignedIn)
    service.delete_user("admin", "acme", "user1002", confirm_buyout=True)
    assert hoteling.sessions("acme") == []
