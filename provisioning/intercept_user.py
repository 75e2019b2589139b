"""InterceptUser (service description ch. 7): the administrator's switch for one user, the
tenant intercept's settings (`trunks_incoming.InterceptView`, its rules `check_intercept`) kept
per user. Every call to an intercepted user hears the message and goes to the alternate number or
ends; the user's phone never rings and calls out to nobody outside but 112.

The PBX applies it (`TrunkRouting.intercepted_users`, through `cti/pbx_trunks.py`); the message
is played by `cti/intercept_calls.py`, which reads `of_extension` at each call.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from common.e164 import to_e164
from provisioning.announcement_store import check_references
from provisioning.errors import Invalid, NotFound
from provisioning.models import numbers, users
from provisioning.profiles import Profile, require_feature
from provisioning.trunks_incoming import InterceptView, check_intercept
from provisioning.trunks_models import user_intercepts
from provisioning.unit import Transactions
from provisioning.user_store import user_row

ENTITY = "user_intercept"
"""The audit log's and the listeners' name of a change here (the PBX reloads its routing)."""
FEATURE = "InterceptUser"


def _view(connection: Connection, tenant: str, username: str) -> InterceptView:
    key = (user_intercepts.c.tenant == tenant) & (user_intercepts.c.username == username)
    row = connection.execute(select(user_intercepts).where(key)).one_or_none()
    if row is None:
        return InterceptView()
    return InterceptView(row.enabled, row.announcement, row.text, row.language, row.alternate)


def _not_the_user(connection: Connection, tenant: str, user: Any, alternate: str | None) -> None:
    """An alternate that reaches the user again (its extension, or a direct number that rings
    it) would be intercepted again: a loop."""
    if alternate is None:
        return
    if alternate == user.extension:
        raise Invalid("alternate", "the user's own extension: it is intercepted too")
    e164 = to_e164(alternate)
    key = (numbers.c.tenant == tenant) & (numbers.c.number == e164)
    row = connection.execute(select(numbers.c.destination).where(key)).first()
    if e164 is not None and row is not None and row.destination == user.extension:
        raise Invalid("alternate", f"{e164} is this user's own number: it is intercepted too")


class UserIntercepts:
    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    def intercept(self, tenant: str, username: str) -> InterceptView:
        with self._tx.engine.connect() as connection:
            user_row(connection, tenant, username)
            return _view(connection, tenant, username)

    def of_extension(self, tenant: str, extension: str) -> InterceptView:
        """The intercept of the user with `extension` (the PBX knows extensions)."""
        with self._tx.engine.connect() as connection:
            key = (users.c.tenant == tenant) & (users.c.extension == extension)
            name = connection.execute(select(users.c.username).where(key)).scalar_one_or_none()
            if name is None:
                raise NotFound("extension", f"no user with {extension!r} in tenant {tenant!r}")
            return _view(connection, tenant, name)

    def set_intercept(
        self, actor: str, tenant: str, username: str, wanted: InterceptView
    ) -> InterceptView:
        check_intercept(wanted)
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            user = user_row(connection, tenant, username)
            if wanted.enabled:  # switching off is always allowed (a downgraded profile)
                require_feature(Profile(user.profile), FEATURE)
            check_references(connection, tenant, {"announcement": wanted.announcement})
            _not_the_user(connection, tenant, user, wanted.alternate)
            before = _view(connection, tenant, username)
            key = (user_intercepts.c.tenant == tenant) & (user_intercepts.c.username == username)
            connection.execute(delete(user_intercepts).where(key))
            connection.execute(
                insert(user_intercepts).values(tenant=tenant, username=username, **asdict(wanted))
            )
            unit.record(ENTITY, username, "update", asdict(before), asdict(wanted))
        return wanted

    def intercepted(self, tenant: str) -> list[str]:
        """The extensions of the tenant's intercepted users (blocking, SQL)."""
        query = (
            select(users.c.extension)
            .join(
                user_intercepts,
                (user_intercepts.c.tenant == users.c.tenant)
                & (user_intercepts.c.username == users.c.username),
            )
            .where(users.c.tenant == tenant, user_intercepts.c.enabled)
        )
        with self._tx.engine.connect() as connection:
            return sorted(connection.execute(query).scalars())
