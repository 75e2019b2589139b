"""contact sources: CardDAV and Microsoft Graph address books synced into the contacts
(provisioning/contact_sources.py), and where a synced contact came from

Revision ID: contact_sources
Revises: manager_assistant
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "contact_sources"
down_revision: str | None = "manager_assistant"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_contact_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("health", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_contact_sources_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_contact_sources")),
    )
    op.create_index(
        "ix_prov_contact_sources_tenant_owner", "prov_contact_sources", ["tenant", "owner"]
    )
    with op.batch_alter_table("prov_contacts") as batch:
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source_uid", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("source_etag", sa.String(length=256), nullable=True))
        batch.create_foreign_key(
            op.f("fk_prov_contacts_source_id_prov_contact_sources"),
            "prov_contact_sources",
            ["source_id"],
            ["id"],
        )
        batch.create_index("ix_prov_contacts_source_id", ["source_id"])


def downgrade() -> None:
    with op.batch_alter_table("prov_contacts") as batch:
        batch.drop_index("ix_prov_contacts_source_id")
        batch.drop_constraint(
            op.f("fk_prov_contacts_source_id_prov_contact_sources"), type_="foreignkey"
        )
        batch.drop_column("source_etag")
        batch.drop_column("source_uid")
        batch.drop_column("source_id")
    op.drop_index("ix_prov_contact_sources_tenant_owner", table_name="prov_contact_sources")
    op.drop_table("prov_contact_sources")
