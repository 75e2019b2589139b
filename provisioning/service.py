"""`ProvisioningService`: the one entry point the admin API, the PBX, the engine runtime and the
portal use to read and change provisioning. Each change is one transaction with its audit
entries; listeners (`subscribe`) hear of it after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from provisioning import telephony_store as telephony
from provisioning import user_store as store
from provisioning.activations import Activation, Activations
from provisioning.activations import forget as forget_activations
from provisioning.activations import issue as issue_activations
from provisioning.call_centers import merge_patch
from provisioning.csv_import import ParsedRow, RowError, cross_check, parse_users_csv
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.flex import DEFAULT_PRICES, FlexPrices
from provisioning.group_services import group_services as group_rows
from provisioning.models import audit_log, tenants, users
from provisioning.models import call_centers as center_rows
from provisioning.numbers import number_block, to_e164
from provisioning.profiles import Profile
from provisioning.schedules import (
    ScheduleKind,
    holiday_calendar,
    holidays_in,
    normal_form,
    validate_schedule_name,
)
from provisioning.tenants import TenantSpec, validated_tenant
from provisioning.unit import Listener, Transactions, utc_now
from provisioning.users import (
    MIN_PASSWORD,
    NO_PASSWORD,
    Licences,
    UserRole,
    UserSpec,
    digest_secrets,
    validate_entitlements,
    validate_extension,
    validate_language,
    validate_name,
    validate_password,
    validate_user,
)
from provisioning.views import (
    Account,
    AuditEntry,
    CallCenterView,
    Holiday,
    NumberBlockView,
    NumberView,
    Page,
    ScheduleView,
    SipAccount,
    SipTenant,
    TenantView,
    UserView,
)
from queueing.config import TenantConfig


@dataclass(frozen=True, slots=True)
class UserPatch:
    """Fields to change; None leaves a field as it is."""

    name: str | None = None
    extension: str | None = None
    password: str | None = None
    sip_password: str | None = None
    profile: Profile | None = None
    roles: frozenset[UserRole] | None = None
    licences: Licences | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    errors: list[RowError]
    imported: list[UserView]
    activations: Sequence[Activation] = ()
    """A link for each imported user without a web password (shown once)."""


class ProvisioningService:
    def __init__(
        self,
        engine: Engine,
        hash_password: Callable[[str], str],
        prices: FlexPrices = DEFAULT_PRICES,
        now: Callable[[], datetime] = utc_now,
        hash_many: Callable[[Sequence[str]], list[str]] | None = None,
    ) -> None:
        # The web-password hasher comes from the shell (cti.passwords), so signing in and
        # provisioning agree on one format without provisioning importing cti. `hash_many`
        # hashes a bulk import's passwords at once (over the cores: cti.password_pool).
        self._tx = Transactions(engine, now)
        self._hash = hash_password
        self._hash_many = hash_many or (lambda passwords: [hash_password(p) for p in passwords])
        self._prices = prices
        self._now = now

    @property
    def transactions(self) -> Transactions:
        """For the services of provisioning's other modules (calling plans), so their changes are
        audited and heard by the listeners like these."""
        return self._tx

    @property
    def engine(self) -> Engine:
        """The database, for the stores kept beside provisioning (report schedules, CRM links)."""
        return self._tx.engine

    @property
    def activations(self) -> Activations:
        """Activation links: an imported user sets its own web password."""
        return Activations(self._tx, self._hash, self._now)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with each committed change (never with a rolled-back one)."""
        self._tx.subscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._tx.unsubscribe(listener)

    def _terms(self) -> store.FlexTerms:
        return store.FlexTerms(self._prices, self._now().date())

    # Tenants.
    def create_tenant(self, actor: str, spec: TenantSpec) -> TenantView:
        spec = validated_tenant(spec)
        with self._tx.change(actor, spec.id) as unit:
            clash = unit.connection.execute(
                select(tenants.c.id, tenants.c.sip_domain).where(
                    (tenants.c.id == spec.id) | (tenants.c.sip_domain == spec.sip_domain)
                )
            ).first()
            if clash is not None:
                field = "id" if clash.id == spec.id else "sip_domain"
                raise Conflict(field, f"{getattr(spec, field)!r} is taken")
            unit.connection.execute(insert(tenants).values(**asdict(spec)))
            made = TenantView.of(store.tenant_row(unit.connection, spec.id))
            unit.record("tenant", spec.id, "create", None, made.as_json())
        return made

    def ensure_tenant(self, actor: str, spec: TenantSpec) -> TenantView:
        """The tenant `spec.id`, created from `spec` when it does not exist yet."""
        with self._tx.engine.connect() as connection:
            row = connection.execute(select(tenants).where(tenants.c.id == spec.id)).first()
        return TenantView.of(row) if row is not None else self.create_tenant(actor, spec)

    def tenant(self, tenant: str) -> TenantView:
        with self._tx.engine.connect() as connection:
            return TenantView.of(store.tenant_row(connection, tenant))

    def tenants(self, limit: int = 50, offset: int = 0) -> Page[TenantView]:
        """Every tenant by id, a page at a time (the operator's list)."""
        with self._tx.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(tenants)).scalar_one()
            rows = connection.execute(
                select(tenants).order_by(tenants.c.id).limit(limit).offset(offset)
            )
            return Page([TenantView.of(row) for row in rows], total, limit, offset)

    def tenant_ids(self) -> list[str]:
        """Every tenant, for the processes that serve them all (the PBX, the engine runtime)."""
        with self._tx.engine.connect() as connection:
            return list(connection.execute(select(tenants.c.id).order_by(tenants.c.id)).scalars())

    def sip_tenants(self) -> list[SipTenant]:
        """Every tenant's SIP side in three queries, however many tenants (PBX start-up)."""
        with self._tx.engine.connect() as connection:
            found = {
                row.id: SipTenant(row.id, row.sip_domain, [], [])
                for row in connection.execute(select(tenants.c.id, tenants.c.sip_domain))
            }
            for tenant, account in store.all_sip_accounts(connection):
                found[tenant].accounts.append(account)
            for row in connection.execute(select(center_rows.c.tenant, center_rows.c.number)):
                found[row.tenant].call_center_numbers.append(row.number)
            # Hunt groups and auto attendants: the application's numbers too (cti/group_calls.py).
            for row in connection.execute(select(group_rows.c.tenant, group_rows.c.number)):
                found[row.tenant].call_center_numbers.append(row.number)
        return list(found.values())

    # Signing in.
    def sign_in(
        self,
        username: str,
        password: str,
        verify: Callable[[str, str], bool],
        outdated: Callable[[str], bool] = lambda _stored: False,
    ) -> Account | None:
        """The account when `password` is the user's web password, None when it is not.
        Raises NotFound when no user has `username` (usernames are platform-wide), without
        checking any password: the caller then checks the login elsewhere (cti's own users,
        which check a decoy when they do not know it either), so every login costs one check;
        one here as well made unknown names cost two and told them apart."""
        with self._tx.engine.connect() as connection:
            row = connection.execute(
                select(
                    users.c.tenant, users.c.extension, users.c.roles, users.c.password_hash
                ).where(users.c.username == username)
            ).one_or_none()
            if row is None:
                raise NotFound("username", f"no user {username!r}")
            if not verify(password, row.password_hash):
                return None
            if outdated(row.password_hash):
                # Hashed at an older, cheaper cost: stored again at today's, now that we have it.
                self._rehash(username, password)
            roles = frozenset(UserRole(r) for r in row.roles.split(","))
            supervised = connection.execute(
                select(center_rows.c.number).where(center_rows.c.tenant == row.tenant)
            ).scalars()
            centers = frozenset(supervised) if UserRole.SUPERVISOR in roles else frozenset()
        return Account(row.tenant, username, row.extension, roles, centers)

    def _rehash(self, username: str, password: str) -> None:
        with self._tx.engine.begin() as connection:
            connection.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=self._hash(password))
            )

    # Users.
    def create_user(self, actor: str, tenant: str, spec: UserSpec) -> UserView:
        (made,) = self.create_users(actor, tenant, [spec])
        return made

    def create_users(
        self,
        actor: str,
        tenant: str,
        specs: Sequence[UserSpec],
        *,
        min_password: int = MIN_PASSWORD,
    ) -> list[UserView]:
        """Several users in one transaction, all or none. A shorter `min_password` is for the
        demo company only, whose passwords the contract fixes (`pw1001`)."""
        for spec in specs:
            validate_user(spec, min_password)
        with self._tx.engine.connect() as connection:
            realm = store.tenant_row(connection, tenant).sip_domain
        values = self._user_values(specs, realm)  # outside the transaction: scrypt
        with self._tx.change(actor, tenant) as unit:
            for spec in specs:
                store.check_new_user(unit.connection, tenant, spec)
            store.open_contract_year(unit, self._terms())  # adding is free, but on the ledger
            return store.insert_users(unit, values)

    def users(self, tenant: str, limit: int = 50, offset: int = 0) -> Page[UserView]:
        with self._tx.engine.connect() as connection:
            return store.list_users(connection, tenant, limit, offset)

    def user(self, tenant: str, username: str) -> UserView:
        with self._tx.engine.connect() as connection:
            return store.view(store.user_row(connection, tenant, username))

    def sip_accounts(self, tenant: str) -> list[SipAccount]:
        """Every user's phone credentials (for the PBX's registrar and digest checks)."""
        with self._tx.engine.connect() as connection:
            return store.sip_accounts(connection, tenant)

    def update_user(
        self, actor: str, tenant: str, username: str, patch: UserPatch, confirm_buyout: bool
    ) -> UserView:
        values = self._patch_values(patch)
        with self._tx.change(actor, tenant) as unit:
            row = store.user_row(unit.connection, tenant, username)
            before = store.view(row)
            extension = patch.extension or row.extension
            if extension != row.extension:
                if extension in store.taken_numbers(unit.connection, tenant):
                    raise Conflict("extension", f"{extension} is in use in tenant {tenant!r}")
                if (used := store.references(unit.connection, tenant, row.extension)) is not None:
                    raise Conflict("extension", f"{row.extension} is still used by {used}")
                if patch.sip_password is None:
                    # HA1 hashes the digest username (the extension): it needs the password.
                    raise Invalid("sip_password", "give it again when the extension changes")
                store.leave_hoteling(unit.connection, tenant, row.extension)
            if patch.sip_password is not None:
                realm = store.tenant_row(unit.connection, tenant).sip_domain
                secrets = digest_secrets(extension, realm, patch.sip_password)
                values |= {"sip_ha1_md5": secrets.ha1_md5, "sip_ha1_sha256": secrets.ha1_sha256}
            validate_entitlements(
                patch.profile or before.profile,
                patch.roles if patch.roles is not None else before.roles,
                patch.licences or before.licences,
            )
            buyout = store.charge_profile_change(
                unit, self._terms(), before.profile, patch.profile or before.profile, confirm_buyout
            )
            made = store.update_user_row(unit, row, values)
            if patch.password is not None:  # set by the admin: a pending link must not reset it
                forget_activations(unit.connection, tenant, [username])
            if patch.licences is not None:
                # Its call centers must still run: a licence below a call center's tier, or
                # none, would leave a stored config the engine refuses (at the next start).
                try:
                    telephony.engine_config(unit.connection, tenant)
                except Invalid as error:
                    reason = f"its call centers would no longer run: {error.reason}"
                    raise Invalid("licences.call_center", reason) from None
            # Named only when true, so `Change.changed` holds it exactly when the password changed.
            after = made.as_json() | ({"password_changed": True} if patch.password else {})
            unit.record("user", username, "update", before.as_json(), after | _buyout(buyout))
        return made

    def _patch_values(self, patch: UserPatch) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if patch.name is not None:
            validate_name(patch.name)
            values["name"] = patch.name
        if patch.extension is not None:
            validate_extension(patch.extension)
            values["extension"] = patch.extension
        if patch.language is not None:
            validate_language(patch.language)
            values["language"] = patch.language
        if patch.sip_password is not None:
            validate_password(patch.sip_password, "sip_password")
        if patch.password is not None:
            validate_password(patch.password, "password")
            values["password_hash"] = self._hash(patch.password)
        if patch.profile is not None:
            values["profile"] = patch.profile.value
        if patch.roles is not None:
            values["roles"] = ",".join(sorted(patch.roles))
        if patch.licences is not None:
            values |= {
                "call_center_licence": patch.licences.call_center,
                "supervisor_licence": patch.licences.supervisor,
                "receptionist_licence": patch.licences.receptionist,
                "recording_mode": patch.licences.recording,
            }
        return values

    def delete_user(self, actor: str, tenant: str, username: str, confirm_buyout: bool) -> int:
        """Remove a user (cancel its profile); returns the buyout in cents (0 when free)."""
        with self._tx.change(actor, tenant) as unit:
            row = store.user_row(unit.connection, tenant, username)
            if (used := store.references(unit.connection, tenant, row.extension)) is not None:
                raise Conflict("username", f"extension {row.extension} is still used by {used}")
            before = store.view(row)
            buyout = store.charge_profile_change(
                unit, self._terms(), before.profile, None, confirm_buyout
            )
            store.delete_user_row(unit, row)
            unit.record("user", username, "delete", before.as_json(), _buyout(buyout) or None)
        return buyout

    def import_users(self, actor: str, tenant: str, text: str, dry_run: bool) -> ImportReport:
        """All rows or none: any bad row (or, on a real run, a collision) imports nothing."""
        rows, errors = parse_users_csv(text)
        total = len(rows) + len({e.line for e in errors if e.field != "header"})
        with self._tx.engine.connect() as connection:
            realm = store.tenant_row(connection, tenant).sip_domain
            errors += self._collisions(connection, tenant, rows)
        errors.sort(key=lambda e: e.line)
        if errors or dry_run:
            return ImportReport(total, errors, [])
        values = self._user_values([r.spec for r in rows], realm)
        without = [r.spec.username for r in rows if r.spec.password is None]
        with self._tx.change(actor, tenant) as unit:
            if collisions := self._collisions(unit.connection, tenant, rows):
                return ImportReport(len(rows), collisions, [])  # lost a race: nothing written
            store.open_contract_year(unit, self._terms())  # adding is free, but on the ledger
            made = store.insert_users(unit, values)
            links = issue_activations(unit, without, unit.at)
        return ImportReport(len(rows), [], made, links)

    def _user_values(self, specs: Sequence[UserSpec], realm: str) -> list[dict[str, Any]]:
        hashes = iter(self._hash_many([s.password for s in specs if s.password is not None]))
        return [
            store.user_values(s, realm, NO_PASSWORD if s.password is None else next(hashes))
            for s in specs
        ]

    @staticmethod
    def _collisions(connection: Any, tenant: str, rows: list[ParsedRow]) -> list[RowError]:
        names = [r.spec.username for r in rows]
        taken = store.taken_usernames(connection, names)
        return cross_check(rows, taken, store.taken_numbers(connection, tenant))

    # Numbers.
    def add_number_block(self, actor: str, tenant: str, first: str, size: int) -> NumberBlockView:
        block = number_block(first, size)
        with self._tx.change(actor, tenant) as unit:
            return telephony.add_block(unit, block)

    def number_blocks(self, tenant: str) -> list[NumberBlockView]:
        with self._tx.engine.connect() as connection:
            return telephony.list_blocks(connection, tenant)

    def assign_number(self, actor: str, tenant: str, number: str, destination: str) -> NumberView:
        e164 = to_e164(number)
        with self._tx.change(actor, tenant) as unit:
            return telephony.assign_number(unit, e164, destination)

    def numbers(self, tenant: str) -> list[NumberView]:
        with self._tx.engine.connect() as connection:
            return telephony.list_numbers(connection, tenant)

    # Call centers.
    def create_call_center(
        self, actor: str, tenant: str, settings: Mapping[str, Any]
    ) -> CallCenterView:
        with self._tx.change(actor, tenant) as unit:
            store.tenant_row(unit.connection, tenant)
            return telephony.save_call_center(unit, settings, None)

    def update_call_center(
        self, actor: str, tenant: str, number: str, patch: Mapping[str, Any]
    ) -> CallCenterView:
        """Merge `patch` (RFC 7386) into the settings; the result must validate as a whole."""
        with self._tx.change(actor, tenant) as unit:
            row = telephony.call_center_row(unit.connection, tenant, number)
            return telephony.save_call_center(unit, merge_patch(row.settings, patch), row)

    def call_centers(self, tenant: str) -> list[CallCenterView]:
        with self._tx.engine.connect() as connection:
            return telephony.list_call_centers(connection, tenant)

    def call_center(self, tenant: str, number: str) -> CallCenterView:
        with self._tx.engine.connect() as connection:
            return telephony.call_center_view(telephony.call_center_row(connection, tenant, number))

    def engine_config(self, tenant: str) -> TenantConfig:
        """What the engine runtime loads for `tenant` (later increment: reload on change)."""
        with self._tx.engine.connect() as connection:
            store.tenant_row(connection, tenant)
            return telephony.engine_config(connection, tenant)

    # Schedules and holiday calendars.
    def put_schedule(
        self, actor: str, tenant: str, kind: ScheduleKind, name: str, data: Mapping[str, Any]
    ) -> ScheduleView:
        """Create or replace a weekly schedule or a holiday calendar named `name`."""
        validate_schedule_name(name)
        made = ScheduleView(kind.value, name, normal_form(kind, data))
        with self._tx.change(actor, tenant) as unit:
            return telephony.put_schedule(unit, made)

    def holidays(self, tenant: str, name: str, year: int) -> list[Holiday]:
        """Every day of holiday calendar `name` in `year`: public holidays and own days."""
        with self._tx.engine.connect() as connection:
            store.tenant_row(connection, tenant)
            calendars = telephony.named_schedules(connection, tenant, ScheduleKind.HOLIDAYS)
        if name not in calendars:
            raise NotFound("name", f"no holiday calendar {name!r} in tenant {tenant!r}")
        days = holidays_in(holiday_calendar(calendars[name]), year)
        return [Holiday(day, holiday) for day, holiday in days.items()]

    def schedules(self, tenant: str) -> list[ScheduleView]:
        with self._tx.engine.connect() as connection:
            return telephony.list_schedules(connection, tenant)

    # Audit log.
    def audit_log(self, tenant: str, limit: int = 50, offset: int = 0) -> Page[AuditEntry]:
        where = audit_log.c.tenant == tenant
        with self._tx.engine.connect() as connection:
            store.tenant_row(connection, tenant)
            total = connection.execute(select(func.count()).where(where)).scalar_one()
            rows = connection.execute(
                select(audit_log)
                .where(where)
                .order_by(audit_log.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return Page([AuditEntry.of(r) for r in rows], total, limit, offset)


def _buyout(cents: int) -> dict[str, Any]:
    return {"buyout_cents": cents} if cents else {}
