"""Users in SQL: create, change, delete, list, bulk insert; and the 3.6 bookkeeping.

Each function runs inside one `Unit` (one transaction) the service opened. The pure rules
(provisioning.users, provisioning.flex) decide; this module reads what they need and writes what
they allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from common.number_destinations import VOICEMAIL_PREFIX
from provisioning import activations, manager_assistant_store, pickup_groups_store
from provisioning.bridge_rooms import bridge_rooms
from provisioning.errors import BuyoutRequired, Conflict, NotFound
from provisioning.flex import (
    FlexPrices,
    FlexState,
    assess,
    classify,
    contract_year,
    remaining_months,
)
from provisioning.group_services import group_services
from provisioning.hoteling_store import hoteling_hosts, hoteling_sessions
from provisioning.models import call_centers, contract_years, numbers, tenants, users
from provisioning.profiles import Profile
from provisioning.unit import Unit
from provisioning.users import NO_PASSWORD, RecordingMode, UserSpec, digest_secrets
from provisioning.views import Page, SipAccount, UserView


def tenant_row(connection: Connection, tenant: str) -> Any:
    row = connection.execute(select(tenants).where(tenants.c.id == tenant)).one_or_none()
    if row is None:
        raise NotFound("tenant", f"no tenant {tenant!r}")
    return row


def user_row(connection: Connection, tenant: str, username: str) -> Any:
    row = connection.execute(
        select(users).where(users.c.tenant == tenant, users.c.username == username)
    ).one_or_none()
    if row is None:
        raise NotFound("username", f"no user {username!r} in tenant {tenant!r}")
    return row


def view(row: Any) -> UserView:
    return UserView.of(row, NO_PASSWORD)


def taken_usernames(connection: Connection, names: Sequence[str]) -> set[str]:
    found = connection.execute(select(users.c.username).where(users.c.username.in_(names)))
    return set(found.scalars())


def taken_numbers(connection: Connection, tenant: str) -> set[str]:
    """Every extension, call-center, hunt-group, auto-attendant and conference-room number of the
    tenant's numbering plan."""
    extensions = select(users.c.extension).where(users.c.tenant == tenant)
    centers = select(call_centers.c.number).where(call_centers.c.tenant == tenant)
    groups = select(group_services.c.number).where(group_services.c.tenant == tenant)
    rooms = select(bridge_rooms.c.number).where(bridge_rooms.c.tenant == tenant)
    return set(connection.execute(extensions.union(centers, groups, rooms)).scalars())


def check_new_user(connection: Connection, tenant: str, spec: UserSpec) -> None:
    if taken_usernames(connection, [spec.username]):
        raise Conflict("username", f"{spec.username!r} is taken (usernames are platform-wide)")
    if spec.extension in taken_numbers(connection, tenant):
        raise Conflict("extension", f"{spec.extension} is in use in tenant {tenant!r}")


def user_values(spec: UserSpec, realm: str, password_hash: str) -> dict[str, Any]:
    """`password_hash`: of the web password, or NO_PASSWORD (hashed by the caller, in bulk)."""
    secrets = digest_secrets(spec.extension, realm, spec.sip_password)
    return {
        "username": spec.username,
        "name": spec.name,
        "extension": spec.extension,
        "password_hash": password_hash,
        "sip_ha1_md5": secrets.ha1_md5,
        "sip_ha1_sha256": secrets.ha1_sha256,
        "language": spec.language,
        "roles": ",".join(sorted(spec.roles)),
        "profile": spec.profile.value,
        "call_center_licence": spec.licences.call_center,
        "supervisor_licence": spec.licences.supervisor,
        "receptionist_licence": spec.licences.receptionist,
        "recording_mode": spec.licences.recording,
    }


def insert_users(unit: Unit, rows: Sequence[dict[str, Any]]) -> list[UserView]:
    """One multi-row INSERT, then one audit entry a user (all in the unit's transaction)."""
    unit.connection.execute(insert(users), [{**r, "tenant": unit.tenant} for r in rows])
    names = [r["username"] for r in rows]
    stored = unit.connection.execute(select(users).where(users.c.username.in_(names))).all()
    views = sorted((view(r) for r in stored), key=lambda v: names.index(v.username))
    for created in views:
        unit.record("user", created.username, "create", None, created.as_json())
    return views


def list_users(connection: Connection, tenant: str, limit: int, offset: int) -> Page[UserView]:
    tenant_row(connection, tenant)
    where = users.c.tenant == tenant
    total = connection.execute(select(func.count()).where(where)).scalar_one()
    rows = connection.execute(
        select(users).where(where).order_by(users.c.extension).limit(limit).offset(offset)
    ).all()
    return Page([view(r) for r in rows], total, limit, offset)


_SIP_COLUMNS = (users.c.extension, users.c.name, users.c.sip_ha1_md5, users.c.recording_mode)


def _sip_account(r: Any) -> SipAccount:
    mode = RecordingMode(r.recording_mode) if r.recording_mode else None
    return SipAccount(r.extension, r.name, r.sip_ha1_md5, mode)


def sip_accounts(connection: Connection, tenant: str) -> list[SipAccount]:
    tenant_row(connection, tenant)
    rows = connection.execute(select(*_SIP_COLUMNS).where(users.c.tenant == tenant))
    return [_sip_account(r) for r in rows]


def all_sip_accounts(connection: Connection) -> list[tuple[str, SipAccount]]:
    """(tenant, account) of every user of every tenant, in one query."""
    rows = connection.execute(select(users.c.tenant, *_SIP_COLUMNS))
    return [(r.tenant, _sip_account(r)) for r in rows]


def references(connection: Connection, tenant: str, extension: str) -> str | None:
    """What still routes to `extension`: a direct number (to the user or its voicemail), a call
    center's agent list, or the extension is a hoteling host (its phone is shared:
    docs/hoteling.md), a manager or an assistant (docs/manager-assistant.md), a pickup group's
    member (docs/phone-features.md)."""
    number = connection.execute(
        select(numbers.c.number).where(
            numbers.c.tenant == tenant,
            numbers.c.destination.in_((extension, f"{VOICEMAIL_PREFIX}{extension}")),
        )
    ).first()
    if number is not None:
        return f"direct number {number.number}"
    for row in connection.execute(select(call_centers).where(call_centers.c.tenant == tenant)):
        agents = row.settings.get("agents", [])
        if extension in (a if isinstance(a, str) else a.get("extension") for a in agents):
            return f"call center {row.number}"
    host = connection.execute(
        select(hoteling_hosts.c.extension).where(
            hoteling_hosts.c.tenant == tenant, hoteling_hosts.c.extension == extension
        )
    ).first()
    if host is not None:
        return "hoteling (a host phone)"
    return manager_assistant_store.references(
        connection, tenant, extension
    ) or pickup_groups_store.references(connection, tenant, extension)


@dataclass(frozen=True, slots=True)
class FlexTerms:
    prices: FlexPrices
    today: date


def open_contract_year(unit: Unit, terms: FlexTerms) -> tuple[Any, FlexState]:
    """This contract year's ledger row (made on its first change) and the tenant's 3.6 state."""
    connection, tenant = unit.connection, tenant_row(unit.connection, unit.tenant)
    year = max(contract_year(tenant.contract_start, terms.today), 0)
    key = (contract_years.c.tenant == tenant.id) & (contract_years.c.year == year)
    counted = connection.execute(select(contract_years).where(key)).one_or_none()
    profiles_now = connection.execute(
        select(func.count()).where(users.c.tenant == tenant.id)
    ).scalar_one()
    if counted is None:
        # Every change passes here first, so the first one of a year sees the year's start;
        # the first year the tenant is on the platform starts with the profiles it contracted.
        earlier = connection.execute(
            select(contract_years.c.year).where(contract_years.c.tenant == tenant.id)
        ).first()
        at_start = profiles_now if earlier is not None else tenant.contract_profiles
        connection.execute(
            insert(contract_years).values(
                tenant=tenant.id, year=year, profiles_at_start=at_start, reductions=0
            )
        )
        reductions = 0
    else:
        at_start, reductions = counted.profiles_at_start, counted.reductions
    months = remaining_months(tenant.contract_start, tenant.contract_months, terms.today)
    return key, FlexState(profiles_now, at_start, reductions, months)


def charge_profile_change(
    unit: Unit,
    terms: FlexTerms,
    old: Profile | None,
    new: Profile | None,
    confirm_buyout: bool,
) -> int:
    """Apply the 3.6 rules to one profile change; the buyout in cents (0 when free)."""
    key, state = open_contract_year(unit, terms)
    verdict = assess(classify(terms.prices, old, new), state)
    if verdict.buyout_cents and not confirm_buyout:
        raise BuyoutRequired(
            "confirm_buyout",
            f"beyond the free 25% of {state.profiles_at_year_start} profiles this contract year:"
            f" a buyout of {verdict.buyout_cents / 100:.2f} for {state.months_left} months;"
            " confirm it to proceed",
            verdict.buyout_cents,
        )
    if verdict.counts_as_reduction:
        unit.connection.execute(
            update(contract_years).where(key).values(reductions=contract_years.c.reductions + 1)
        )
    return verdict.buyout_cents


def update_user_row(unit: Unit, row: Any, values: dict[str, Any]) -> UserView:
    unit.connection.execute(update(users).where(users.c.id == row.id).values(**values))
    return view(unit.connection.execute(select(users).where(users.c.id == row.id)).one())


def delete_user_row(unit: Unit, row: Any) -> None:
    leave_hoteling(unit.connection, row.tenant, row.extension)
    activations.forget(unit.connection, row.tenant, [row.username])  # a link dies with its user
    unit.connection.execute(delete(users).where(users.c.id == row.id))


def leave_hoteling(connection: Connection, tenant: str, extension: str) -> None:
    """A deleted or renumbered user sits at no host phone any more (docs/hoteling.md)."""
    connection.execute(
        delete(hoteling_sessions).where(
            hoteling_sessions.c.tenant == tenant, hoteling_sessions.c.guest == extension
        )
    )
