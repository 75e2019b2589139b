"""contacts: the company directory and personal contacts (provisioning/contacts.py)

Revision ID: contacts
Revises: belmenu
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "contacts"
down_revision: str | None = "belmenu"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_contacts_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_contacts")),
    )
    op.create_index("ix_prov_contacts_tenant_owner", "prov_contacts", ["tenant", "owner"])
    op.create_table(
        "prov_contact_numbers",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["prov_contacts.id"],
            name=op.f("fk_prov_contact_numbers_contact_id_prov_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "e164", name=op.f("pk_prov_contact_numbers")),
    )
    op.create_index(
        "ix_prov_contact_numbers_tenant_e164", "prov_contact_numbers", ["tenant", "e164"]
    )


def downgrade() -> None:
    op.drop_index("ix_prov_contact_numbers_tenant_e164", table_name="prov_contact_numbers")
    op.drop_table("prov_contact_numbers")
    op.drop_index("ix_prov_contacts_tenant_owner", table_name="prov_contacts")
    op.drop_table("prov_contacts")
