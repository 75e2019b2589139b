"""SQL pieces every report query shares: a connection from an engine or one already open, the
interval a time falls in, and conditional counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Integer, case, func, literal
from sqlalchemy import cast as sql_cast

from reports.ranges import Interval, ReportRange

Bind = Engine | Connection


@contextmanager
def connection_of(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


def bucket(column: ColumnElement[Any], rng: ReportRange, interval: Interval, dialect: str) -> Any:
    size = interval.seconds
    if size is None:
        return literal(0)
    offset = (column - rng.start_ts) / size
    # CAST truncates on SQLite but rounds on PostgreSQL; FLOOR is not built into every SQLite.
    if dialect == "sqlite":
        return sql_cast(offset, Integer)
    return sql_cast(func.floor(offset), Integer)


def count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
