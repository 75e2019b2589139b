"""Issue 19.3: web passwords are hashed at OWASP's scrypt strength, and a hash an older
installation made cheaper is stored again at today's cost on the user's next good sign-in (never
on a wrong one), for provisioning's users and its other accounts (operators) alike."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine, select

from cti.passwords import (
    PRODUCTION_COST,
    TEST_COST,
    ScryptCost,
    hash_password,
    needs_rehash,
    verify_password,
)
from cti.principal import Role
from cti.users import UserDirectory
from provisioning.accounts import accounts
from provisioning.models import users as provisioned_users
from provisioning.service import ProvisioningService
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec

OLDER = ScryptCost(n=2**4, r=8, p=1)
"""Cheaper than the tests' own cost, as N=2^14, p=1 is cheaper than production's."""


def test_the_production_cost_is_owasps_scrypt_strength() -> None:
    cost = PRODUCTION_COST
    # OWASP: N=2^17, r=8, p=1, or the same work in less memory (N=2^14, r=8, p=5).
    assert cost.r == 8 and cost.n * cost.p >= 5 * 2**14
    assert needs_rehash(hash_password("x", ScryptCost(n=2**14, r=8, p=1)))
    assert not needs_rehash(hash_password("x"))
    assert needs_rehash("md5$abc") and needs_rehash("")


def _stored(engine: Engine, table: object, username: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(table.c.password_hash).where(table.c.username == username)  # type: ignore[attr-defined]
            ).scalar_one()
        )


def test_a_provisioned_users_older_hash_is_replaced_at_its_next_good_sign_in(
    engine: Engine,
) -> None:
    older = ProvisioningService(engine, partial(hash_password, cost=OLDER))
    older.create_tenant("op", tenant_spec("acme"))
    older.create_user("op", "acme", spec(1001, password="kim-secret-12"))
    today = ProvisioningService(engine, partial(hash_password, cost=TEST_COST))
    outdated = partial(needs_rehash, cost=TEST_COST)
    before = _stored(engine, provisioned_users, "user1001")

    assert today.sign_in("user1001", "wrong-guess", verify_password, outdated) is None
    assert _stored(engine, provisioned_users, "user1001") == before  # a wrong one changes nothing
    assert today.sign_in("user1001", "kim-secret-12", verify_password, outdated) is not None
    after = _stored(engine, provisioned_users, "user1001")
    assert after != before and not outdated(after)
    assert today.sign_in("user1001", "kim-secret-12", verify_password, outdated) is not None


def test_an_accounts_older_hash_is_replaced_at_its_next_good_sign_in(engine: Engine) -> None:
    older = UserDirectory(engine, OLDER)
    older.create_tables()
    older.add_user("demo", "ops", "ops-secret-1", Role.SUPERVISOR)
    today = UserDirectory(engine, TEST_COST)
    before = _stored(engine, accounts, "ops")

    assert today.authenticate("demo", "ops", "nope") is None
    assert _stored(engine, accounts, "ops") == before
    assert today.authenticate("demo", "ops", "ops-secret-1") is not None
    after = _stored(engine, accounts, "ops")
    assert after != before and not needs_rehash(after, TEST_COST)
    assert today.authenticate("demo", "ops", "ops-secret-1") is not None
