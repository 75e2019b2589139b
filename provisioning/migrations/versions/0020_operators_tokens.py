"""one user store: platform operators, service accounts and API tokens (issue 14)

The accounts and API tokens cti kept in its own tables (`cti_users`,
`cti_supervised_call_centers`, `cti_api_tokens`, version table `cti_users_alembic_version`) move
into the provisioning database. An installation that has those tables gets its rows copied with
their ids, so an API token already handed out (`occ_<id>_<secret>`) keeps working and every
password hash keeps signing in. The old tables are left as they were (nothing reads them any
more): drop them once the upgrade is checked (docs/provisioning.md, "One user store").

Revision ID: oneuser
Revises: fraudlim
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "oneuser"
down_revision: str | None = "fraudlim"
branch_labels: str | None = None
depends_on: str | None = None

COPIES = (
    (
        "cti_users",
        "prov_accounts",
        "id, tenant, username, password_hash, role, extension, display_name",
        "id, tenant, username, password_hash, role, extension, display_name",
    ),
    (
        "cti_supervised_call_centers",
        "prov_account_call_centers",
        "user_id, call_center_id",
        "account_id, call_center_id",
    ),
    (
        "cti_api_tokens",
        "prov_api_tokens",
        "id, tenant, name, secret_sha256, created_by, created_at, revoked_at",
        "id, tenant, name, secret_sha256, created_by, created_at, revoked_at",
    ),
)
SEQUENCED = ("prov_accounts", "prov_api_tokens")


def upgrade() -> None:
    op.create_table(
        "prov_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "username", name="uq_prov_accounts_tenant_username"),
    )
    op.create_table(
        "prov_account_call_centers",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("call_center_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["prov_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "call_center_id"),
    )
    op.create_table(
        "prov_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for old, new, old_columns, new_columns in COPIES:
        if old in present:
            source = sa.table(old, *(sa.column(c) for c in old_columns.split(", ")))
            target = sa.table(new, *(sa.column(c) for c in new_columns.split(", ")))
            op.execute(sa.insert(target).from_select(list(target.c), sa.select(*source.c)))
    if bind.dialect.name == "postgresql":
        # Rows inserted with their ids leave the serial sequences behind: the next id would
        # collide with a copied one.
        for name in SEQUENCED:
            table = sa.table(name, sa.column("id"))
            highest = sa.func.max(table.c.id)
            sequence = sa.func.pg_get_serial_sequence(name, "id")
            op.execute(
                sa.select(
                    sa.func.setval(sequence, sa.func.coalesce(highest, 1), highest.is_not(None))
                ).select_from(table)
            )


def downgrade() -> None:
    op.drop_table("prov_api_tokens")
    op.drop_table("prov_account_call_centers")
    op.drop_table("prov_accounts")
