"""Programmatic Alembic migrations of the provisioning schema, on an engine the caller owns.

Run at start-up (`migrate(engine)`), idempotent. The version table is provisioning's own, so
cti's tables and the reports' Alembic history share the database without touching it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "provisioning_alembic_version"


def _run(step: Callable[[Config, str], None], engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def migrate(engine: Engine, revision: str = "head") -> None:
    _run(command.upgrade, engine, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    _run(command.downgrade, engine, revision)
