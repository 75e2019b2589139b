"""Activation links in the service (provisioning/activations.py), on SQLite and PostgreSQL: a
link expires, dies with its user, is stored only as its SHA-256; a bulk import's web passwords
are hashed in one batch (cti/password_pool.py, over the cores)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from cti.password_pool import PasswordPool
from cti.passwords import TEST_COST, verify_password
from provisioning.activations import ACTIVATION_DAYS, activations, digest
from provisioning.errors import NotFound
from provisioning.service import ProvisioningService, UserPatch
from tests.provisioning.conftest import TODAY, tenant_spec, test_hasher

CSV = "username,name,extension,sip_password,profile\n" + "".join(  # 6: a company keeps 5
    f"u{n},User {n},{n},sip-secret-{n},kantoor\n" for n in range(1001, 1007)
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(TODAY)


@pytest.fixture
def made(engine: Engine, clock: Clock) -> ProvisioningService:
    service = ProvisioningService(engine, test_hasher, now=clock)
    service.create_tenant("op", tenant_spec("acme"))
    return service


def _tokens(service: ProvisioningService) -> dict[str, str]:
    report = service.import_users("admin", "acme", CSV, dry_run=False)
    assert report.errors == []
    return {a.username: a.token for a in report.activations}


def test_a_link_expires_after_its_days(made: ProvisioningService, clock: Clock) -> None:
    tokens = _tokens(made)
    clock.now = TODAY + timedelta(days=ACTIVATION_DAYS, seconds=-1)
    assert made.activations.activate("acme", tokens["u1001"], "Valid-Secret-1") == "u1001"
    clock.now = TODAY + timedelta(days=ACTIVATION_DAYS)
    with pytest.raises(NotFound) as refused:
        made.activations.activate("acme", tokens["u1002"], "Valid-Secret-2")
    assert refused.value.field == "token"


def test_a_link_dies_with_its_user_and_only_its_digest_is_stored(
    made: ProvisioningService, engine: Engine
) -> None:
    tokens = _tokens(made)
    with engine.connect() as connection:
        stored = set(connection.execute(select(activations.c.token_sha256)).scalars())
    assert stored == {digest(t) for t in tokens.values()}
    assert not stored & set(tokens.values())
    made.delete_user("admin", "acme", "u1002", confirm_buyout=True)
    made.import_users(
        "admin",
        "acme",
        "username,name,extension,sip_password,profile\nu1002,New,1002,sip-secret-9,kantoor\n",
        dry_run=False,
    )
    with pytest.raises(NotFound):  # the old link does not open the new user of that name
        made.activations.activate("acme", tokens["u1002"], "Valid-Secret-2")


def test_a_bulk_imports_passwords_are_hashed_in_one_batch(engine: Engine) -> None:
    batches: list[list[str]] = []

    def hash_many(passwords: Sequence[str]) -> list[str]:
        batches.append(list(passwords))
        return [test_hasher(p) for p in passwords]

    service = ProvisioningService(engine, test_hasher, now=lambda: TODAY, hash_many=hash_many)
    service.create_tenant("op", tenant_spec("acme"))
    text = "username,name,extension,sip_password,profile,password\n" + "".join(
        f"p{n},User {n},{n},sip-secret-{n},kantoor,{'' if n == 1002 else f'web-secret-{n}'}\n"
        for n in (1001, 1002, 1003)
    )
    report = service.import_users("admin", "acme", text, dry_run=False)
    assert report.errors == []
    assert batches == [["web-secret-1001", "web-secret-1003"]]
    assert [a.username for a in report.activations] == ["p1002"]  # only the one without
    assert service.sign_in("p1003", "web-secret-1003", verify_password) is not None


def test_the_pool_hashes_over_processes_in_order() -> None:
    pool = PasswordPool(TEST_COST, workers=2)
    try:
        passwords = [f"secret-{n}" for n in range(6)]
        hashes = pool.hash_all(passwords)
        assert [verify_password(p, h) for p, h in zip(passwords, hashes, strict=True)] == [True] * 6
        assert len(set(hashes)) == 6  # a salt each
        assert pool.hash_all([]) == []
    finally:
        pool.close()


def test_a_password_set_by_the_admin_ends_the_pending_link(made: ProvisioningService) -> None:
    tokens = _tokens(made)
    made.update_user("admin", "acme", "u1003", UserPatch(password="Set-By-Admin-1"), False)
    with pytest.raises(NotFound):
        made.activations.activate("acme", tokens["u1003"], "Taken-Over-22")
    assert made.sign_in("u1003", "Set-By-Admin-1", verify_password) is not None
