"""What holds for every schema with Alembic migrations, on SQLite and PostgreSQL: the migrations
build exactly the models, a versionless table in another shape is refused untouched, and the
schemas keep their own histories side by side in one database. (Reports has its own tests.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from common.migrations import MigratedSchema, SchemaAdoptionError, differences, downgrade, upgrade
from crm_connectors.index import SCHEMA as CRM_INDEX
from provisioning.db import SCHEMA as PROVISIONING
from reports.db import SCHEMA as REPORTS
from tests.migrated_schemas import BACKENDS, check_at_head, engine_on

SCHEMAS = pytest.mark.parametrize("schema", [CRM_INDEX], ids=lambda s: s.name)
ON_EACH_BACKEND = pytest.mark.parametrize("backend", BACKENDS)


@SCHEMAS
@ON_EACH_BACKEND
def test_migrations_build_the_models(schema: MigratedSchema, backend: str, tmp_path: Path) -> None:
    with engine_on(backend, tmp_path) as engine:
        upgrade(schema, engine)
        upgrade(schema, engine)  # a second run finds nothing to do
        check_at_head(schema, engine)
        downgrade(schema, engine)
        assert set(sa.inspect(engine).get_table_names()) & set(schema.metadata.tables) == set()


@SCHEMAS
@ON_EACH_BACKEND
def test_versionless_tables_of_another_shape_are_refused(
    schema: MigratedSchema, backend: str, tmp_path: Path
) -> None:
    name = sorted(schema.metadata.tables)[0]
    with engine_on(backend, tmp_path) as engine:
        other = sa.Table(name, sa.MetaData(), sa.Column("other", sa.Integer, primary_key=True))
        other.create(engine)
        with pytest.raises(SchemaAdoptionError, match=f"differ from revision {schema.adopt_at}"):
            upgrade(schema, engine)
        assert set(sa.inspect(engine).get_table_names()) == {name}


@ON_EACH_BACKEND
def test_the_schemas_share_one_database(backend: str, tmp_path: Path) -> None:
    with engine_on(backend, tmp_path) as engine:
        for schema in (PROVISIONING, CRM_INDEX, REPORTS):
            upgrade(schema, engine)
        with engine.connect() as connection:
            for schema in (PROVISIONING, CRM_INDEX, REPORTS):
                assert differences(schema, connection) == [], schema.name


@pytest.mark.parametrize("schema", [PROVISIONING, CRM_INDEX, REPORTS], ids=lambda s: s.name)
def test_the_migrations_ship_as_packages(schema: MigratedSchema) -> None:
    # pyproject's packages.find takes only folders with an __init__.py: without one, a wheel
    # would lack the revisions and start-up would migrate nothing.
    assert (schema.migrations / "__init__.py").is_file()
    assert (schema.migrations / "versions" / "__init__.py").is_file()
