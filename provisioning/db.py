"""Alembic migrations of the provisioning schema, on an engine the caller owns.

Run at start-up (`migrate(engine)`), idempotent. The version table is provisioning's own, so
cti's tables, the CRM index and the reports share the database without touching it
(common/migrations.py, docs/migrations.md).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from common import migrations
from provisioning import (  # noqa: F401  (each puts its tables on METADATA)
    accounts,
    activations,
    alternate_numbers,
    announcement_store,
    belmenu,
    bridge_rooms,
    contact_sources,
    contacts,
    crm_connections,
    custom_ringback,
    hoteling_store,
    intercom_store,
    manager_assistant_store,
    pickup_groups_store,
    recordings,
    report_schedules,
    speed_dial_store,
    trunks_models,
    user_services_store,
    voicemail_boxes,
    voicemail_messages,
)
from provisioning.models import METADATA

VERSION_TABLE = "provisioning_alembic_version"
SCHEMA = migrations.MigratedSchema(
    "provisioning", METADATA, Path(__file__).parent / "migrations", VERSION_TABLE
)


def migrate(engine: Engine, revision: str = "head") -> None:
    migrations.upgrade(SCHEMA, engine, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    migrations.downgrade(SCHEMA, engine, revision)
