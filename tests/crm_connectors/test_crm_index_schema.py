"""An index that `create_all` made before Alembic (the databases deployed today) is adopted by
`create_schema()` with its records, on SQLite and PostgreSQL. The rest:
tests/test_migrated_schemas.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_connectors.index import SCHEMA, CrmIndex
from crm_connectors.records import CrmRecord
from tests.migrated_schemas import BACKENDS, check_at_head, create_all_as_deployed, engine_on

NUMBER = "+31201234567"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_create_all_index_is_adopted_with_its_records(backend: str, tmp_path: Path) -> None:
    with engine_on(backend, tmp_path) as engine:
        create_all_as_deployed(SCHEMA, engine)
        index = CrmIndex(engine)
        index.replace_source("t1", "sf", [CrmRecord("1", "Jansen", "sf", phones=(NUMBER,))])
        index.create_schema()
        check_at_head(SCHEMA, engine)
        assert [r.name for r in index.lookup("t1", NUMBER)] == ["Jansen"]
