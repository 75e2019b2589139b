"""`HotelingService`: hosts and guest sessions in SQL (tables `prov_hoteling_hosts`,
`prov_hoteling_sessions`), sign-in with the guest's phone PIN, sign-out, the admin's view. The
rules are `provisioning.hoteling`; each change is one transaction with its audit entry (entity
`hoteling`, key the host's extension), listeners told after the commit (the PBX reloads the
tenant's sessions).

Every look-up is by (tenant, extension): a guest is found only among the host's tenant's users,
so another tenant's extension is simply no guest here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)

from provisioning import hoteling as rules
from provisioning.errors import Invalid, NotFound
from provisioning.hoteling import Host, Refusal, Session
from provisioning.models import METADATA, TENANT_ID, tenants, users
from provisioning.profiles import FEATURES, Profile
from provisioning.unit import Listener, Transactions, Unit, utc_now
from provisioning.voicemail_boxes import PinResult, VoicemailBoxes

ENTITY = "hoteling"

hoteling_hosts = Table(
    "prov_hoteling_hosts",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("extension", String(8), primary_key=True),
    Column("max_minutes", Integer, nullable=False),
    Column("wrong_pins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)

hoteling_sessions = Table(
    "prov_hoteling_sessions",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("host", String(8), primary_key=True),
    Column("guest", String(8), nullable=False),
    Column("signed_in_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "guest", name="uq_prov_hoteling_sessions_guest"),
)


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: Session


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal


@dataclass(frozen=True, slots=True)
class HostView:
    """One host as the admin sees it: who sits there, until when."""

    extension: str
    name: str
    max_minutes: int
    locked_until: datetime | None
    guest: str | None
    guest_name: str | None
    signed_in_at: datetime | None
    expires_at: datetime | None


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _host(row: Any) -> Host:
    return Host(row.tenant, row.extension, row.max_minutes, row.wrong_pins,
                _aware(row.locked_until))  # fmt: skip


def _session(row: Any) -> Session:
    signed_in, expires = _aware(row.signed_in_at), _aware(row.expires_at)
    assert signed_in is not None and expires is not None
    return Session(row.tenant, row.host, row.guest, signed_in, expires)


class HotelingService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)
        self._now = now
        self._pins = VoicemailBoxes(engine)

    def subscribe(self, listener: Listener) -> None:
        self._tx.subscribe(listener)

    # The admin's side

    def set_host(self, actor: str, tenant: str, extension: str, max_minutes: int) -> HostView:
        """Make the user `extension` a host (or change its maximum)."""
        if (problem := rules.check_max_minutes(max_minutes)) is not None:
            raise Invalid("max_minutes", problem)
        with self._tx.change(actor, tenant) as unit:
            profile = _profile(unit.connection, tenant, extension)
            if profile is None:
                raise NotFound("extension", f"no user with extension {extension}")
            if rules.HOST_FEATURE not in FEATURES[profile]:
                reason = f"the {profile.value} profile does not include {rules.HOST_FEATURE}"
                raise Invalid("extension", reason)
            before = _host_row(unit.connection, tenant, extension)
            where = _host_where(tenant, extension)
            if before is None:
                values = {"max_minutes": max_minutes, "wrong_pins": 0, "locked_until": None}
                unit.connection.execute(
                    insert(hoteling_hosts).values(tenant=tenant, extension=extension, **values)
                )
            else:
                unit.connection.execute(
                    update(hoteling_hosts).where(*where).values(max_minutes=max_minutes)
                )
            old = None if before is None else {"max_minutes": before.max_minutes}
            action = "create" if before is None else "update"
            unit.record(ENTITY, extension, action, old, {"max_minutes": max_minutes})
        return self.host(tenant, extension)

    def remove_host(self, actor: str, tenant: str, extension: str) -> None:
        """The phone is no host any more; its guest, if any, is signed out."""
        with self._tx.change(actor, tenant) as unit:
            before = _host_row(unit.connection, tenant, extension)
            if before is None:
                raise NotFound("extension", f"{extension} is no hoteling host")
            self._end_session(unit, tenant, extension, "sign_out")
            unit.connection.execute(delete(hoteling_hosts).where(*_host_where(tenant, extension)))
            unit.record(ENTITY, extension, "delete", {"max_minutes": before.max_minutes}, None)

    def host(self, tenant: str, extension: str) -> HostView:
        for view in self.hosts(tenant):
            if view.extension == extension:
                return view
        raise NotFound("extension", f"{extension} is no hoteling host")

    def hosts(self, tenant: str) -> list[HostView]:
        """Every host of `tenant` with its guest (an ended session shows no guest)."""
        now = self._now()
        with self._tx.engine.connect() as connection:
            rows = connection.execute(
                select(hoteling_hosts).where(hoteling_hosts.c.tenant == tenant)
            ).all()
            names = dict(
                connection.execute(
                    select(users.c.extension, users.c.name).where(users.c.tenant == tenant)
                ).all()
            )
            sessions = {s.host: s for s in _sessions(connection, tenant, now)}
        views = []
        for row in sorted(rows, key=lambda r: str(r.extension)):
            host = _host(row)
            session = sessions.get(host.extension)
            views.append(
                HostView(
                    extension=host.extension,
                    name=str(names.get(host.extension, "")),
                    max_minutes=host.max_minutes,
                    locked_until=host.locked_until if rules.host_locked(host, now) else None,
                    guest=session.guest if session else None,
                    guest_name=str(names.get(session.guest, "")) if session else None,
                    signed_in_at=session.signed_in_at if session else None,
                    expires_at=session.expires_at if session else None,
                )
            )
        return views

    # The PBX's side

    def sessions(self, tenant: str) -> list[Session]:
        """The tenant's sessions that have not ended."""
        with self._tx.engine.connect() as connection:
            return _sessions(connection, tenant, self._now())

    def time_zone(self, tenant: str) -> str:
        with self._tx.engine.connect() as connection:
            return _time_zone(connection, tenant)

    def is_host(self, tenant: str, extension: str) -> bool:
        with self._tx.engine.connect() as connection:
            return _host_row(connection, tenant, extension) is not None

    def sign_in(self, tenant: str, host_extension: str, guest: str, pin: str) -> SignedIn | Refused:
        """The guest `guest` signs in on the phone `host_extension` with its phone PIN."""
        refusal = self._admission(tenant, host_extension, guest)
        if refusal is not None:
            return Refused(refusal)
        outcome = self._pins.check(tenant, guest, pin)
        actor = f"phone:{host_extension}"
        with self._tx.change(actor, tenant) as unit:
            row = _host_row(unit.connection, tenant, host_extension, lock=True)
            if row is None:
                return Refused(Refusal.NOT_A_HOST)
            host = _host(row)
            now = unit.at
            if outcome is not PinResult.OK:
                # A locked PIN counts on the host as well: someone tries extension after
                # extension.
                locked = rules.after_wrong_pin(host, now)
                _save_host(unit.connection, locked)
                action = "locked" if rules.host_locked(locked, now) else "wrong_pin"
                unit.record(ENTITY, host_extension, action, None, {"guest": guest})
                if outcome is PinResult.LOCKED:
                    return Refused(Refusal.GUEST_LOCKED)
                return Refused(Refusal.WRONG_PIN)
            occupant = _session_row(unit.connection, tenant, host_extension)
            tz = _time_zone(unit.connection, tenant)
            again = rules.admission(host, guest, True, occupant, now)
            if again is not None:  # another guest signed in meanwhile
                return Refused(again)
            _save_host(unit.connection, rules.after_good_pin(host))
            self._end_session(unit, tenant, host_extension, "replaced")
            former = unit.connection.execute(
                select(hoteling_sessions.c.host).where(
                    hoteling_sessions.c.tenant == tenant, hoteling_sessions.c.guest == guest
                )
            ).scalar()
            if former is not None:  # the guest moves: it leaves its former host
                self._end_session(unit, tenant, str(former), "moved")
            session = rules.session_for(host, guest, now, tz)
            unit.connection.execute(
                insert(hoteling_sessions).values(
                    tenant=tenant,
                    host=host_extension,
                    guest=guest,
                    signed_in_at=session.signed_in_at,
                    expires_at=session.expires_at,
                )
            )
            unit.record(ENTITY, host_extension, "sign_in", None, _session_json(session))
        return SignedIn(session)

    def sign_out(self, actor: str, tenant: str, host_extension: str) -> bool:
        """The host's guest signs out (from the phone, or the admin); False: nobody was in."""
        with self._tx.change(actor, tenant) as unit:
            return self._end_session(unit, tenant, host_extension, "sign_out")

    def _admission(self, tenant: str, host_extension: str, guest: str) -> Refusal | None:
        with self._tx.engine.connect() as connection:
            row = _host_row(connection, tenant, host_extension)
            profile = _profile(connection, tenant, guest)
            occupant = _session_row(connection, tenant, host_extension)
        has_feature = profile is not None and rules.GUEST_FEATURE in FEATURES[profile]
        host = None if row is None else _host(row)
        return rules.admission(host, guest, has_feature, occupant, self._now())

    def _end_session(self, unit: Unit, tenant: str, host_extension: str, action: str) -> bool:
        session = _session_row(unit.connection, tenant, host_extension)
        if session is None:
            return False
        unit.connection.execute(
            delete(hoteling_sessions).where(
                hoteling_sessions.c.tenant == tenant, hoteling_sessions.c.host == host_extension
            )
        )
        if rules.active(session, unit.at) is None:
            return False  # it had ended already: nothing to tell
        unit.record(ENTITY, host_extension, action, _session_json(session), None)
        return True


def _session_json(session: Session) -> dict[str, Any]:
    return {
        "guest": session.guest,
        "signed_in_at": session.signed_in_at.isoformat(),
        "expires_at": session.expires_at.isoformat(),
    }


def _host_where(tenant: str, extension: str) -> tuple[Any, ...]:
    return (hoteling_hosts.c.tenant == tenant, hoteling_hosts.c.extension == extension)


def _host_row(connection: Connection, tenant: str, extension: str, lock: bool = False) -> Any:
    query = select(hoteling_hosts).where(*_host_where(tenant, extension))
    return connection.execute(query.with_for_update() if lock else query).one_or_none()


def _save_host(connection: Connection, host: Host) -> None:
    connection.execute(
        update(hoteling_hosts)
        .where(*_host_where(host.tenant, host.extension))
        .values(wrong_pins=host.wrong_pins, locked_until=host.locked_until)
    )


def _session_row(connection: Connection, tenant: str, host: str) -> Session | None:
    row = connection.execute(
        select(hoteling_sessions).where(
            hoteling_sessions.c.tenant == tenant, hoteling_sessions.c.host == host
        )
    ).one_or_none()
    return None if row is None else _session(row)


def _sessions(connection: Connection, tenant: str, now: datetime) -> list[Session]:
    rows = connection.execute(
        select(hoteling_sessions).where(hoteling_sessions.c.tenant == tenant)
    ).all()
    return [s for s in map(_session, rows) if rules.active(s, now) is not None]


def _time_zone(connection: Connection, tenant: str) -> str:
    query = select(tenants.c.time_zone).where(tenants.c.id == tenant)
    return str(connection.execute(query).scalar_one())


def _profile(connection: Connection, tenant: str, extension: str) -> Profile | None:
    found = connection.execute(
        select(users.c.profile).where(users.c.tenant == tenant, users.c.extension == extension)
    ).scalar()
    return None if found is None else Profile(found)
