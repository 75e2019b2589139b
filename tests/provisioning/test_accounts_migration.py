"""Revision `oneuser` moves an installation's accounts and API tokens from cti's old tables into
the provisioning database, on SQLite and PostgreSQL: every password still signs in, supervision
is kept, a token already handed out still works (a revoked one still does not), and new ids do
not collide with the copied ones."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy import Engine

from cti.passwords import TEST_COST, hash_password
from cti.principal import Role
from cti.users import UserDirectory
from provisioning.db import migrate

OLD = sa.MetaData()
"""cti's tables as its last users revision (0001) made them: what a deployed database holds."""
OLD_USERS = sa.Table(
    "cti_users",
    OLD,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("extension", sa.String(32), nullable=True),
    sa.Column("display_name", sa.String(128), nullable=False),
    sa.UniqueConstraint("tenant", "username"),
)
OLD_SUPERVISED = sa.Table(
    "cti_supervised_call_centers",
    OLD,
    sa.Column("user_id", sa.ForeignKey("cti_users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("call_center_id", sa.String(32), primary_key=True),
)
OLD_TOKENS = sa.Table(
    "cti_api_tokens",
    OLD,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.String(64), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
)
SECRET = "kept-secret"


def _old_installation(engine: Engine) -> None:
    migrate(engine, "fraudlim")
    OLD.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(OLD_USERS),
            [
                {
                    "id": 3,
                    "tenant": "demo",
                    "username": "ops",
                    "password_hash": hash_password("ops-password-12", TEST_COST),
                    "role": "operator",
                    "extension": None,
                    "display_name": "Platform operator",
                },
                {
                    "id": 8,
                    "tenant": "acme",
                    "username": "lead",
                    "password_hash": hash_password("lead-password", TEST_COST),
                    "role": "supervisor",
                    "extension": "1100",
                    "display_name": "Lead",
                },
            ],
        )
        connection.execute(
            sa.insert(OLD_SUPERVISED),
            [{"user_id": 8, "call_center_id": "7001"}, {"user_id": 8, "call_center_id": "7002"}],
        )
        digest = hashlib.sha256(SECRET.encode()).hexdigest()
        token = {"tenant": "acme", "secret_sha256": digest, "created_by": "admin"}
        connection.execute(
            sa.insert(OLD_TOKENS),
            [
                {"id": 5, "name": "crm", "created_at": 1.0, "revoked_at": None, **token},
                {"id": 6, "name": "old", "created_at": 2.0, "revoked_at": 3.0, **token},
            ],
        )


def test_an_installations_accounts_and_tokens_move_into_provisioning(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        _old_installation(engine)
        directory = UserDirectory(engine, TEST_COST)
        directory.create_tables()  # what start-up and the operator CLI run

        ops = directory.authenticate("demo", "ops", "ops-password-12")
        assert ops is not None and ops.role is Role.OPERATOR
        assert directory.authenticate("demo", "ops", "wrong-password") is None
        assert directory.usernames_with_role(Role.OPERATOR) == ["ops@demo"]
        lead = directory.authenticate("acme", "lead", "lead-password")
        assert lead is not None and lead.call_centers == frozenset({"7001", "7002"})
        assert lead.extension == "1100"

        crm = directory.principal_for_api_token(f"occ_5_{SECRET}")
        assert crm is not None and (crm.tenant, crm.username) == ("acme", "api:crm")
        assert directory.principal_for_api_token(f"occ_6_{SECRET}") is None  # stays revoked
        assert directory.principal_for_api_token("occ_5_forged") is None

        made = directory.create_api_token("acme", "new", "admin")
        assert made.info.id == 7  # after the copied ids, not over one
        assert directory.add_user("acme", "agent", "agent-password", Role.AGENT) == 9
        assert [t.id for t in directory.list_api_tokens("acme")] == [5, 6, 7]
    finally:
        engine.dispose()
