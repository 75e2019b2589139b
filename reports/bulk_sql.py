"""Many rows inserted or updated at once, through the database driver: the ingester's hot path.

The fold's rows already hold driver-ready values (str, int, float, bool, None), so SQLAlchemy's
per-row parameter processing is not needed (docs/reports.md, "Performance").
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, String, Table, bindparam, insert, update
from sqlalchemy.exc import DBAPIError

from reports.fold import Row


def text_limits(table: Table) -> list[tuple[str, int]]:
    """(column, size) of the table's sized text columns."""
    return [
        (column.name, column.type.length)
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    ]


def clip(rows: list[Row], limits: list[tuple[str, int]]) -> None:
    """Cut free-text values to their column size: PostgreSQL refuses longer ones (SQLite not)."""
    for name, limit in limits:
        # Over-long values are rare: find the longest in C and only then walk the rows.
        if max(map(len, filter(None, map(itemgetter(name), rows))), default=0) <= limit:
            continue
        for row in rows:
            value = row[name]
            if value is not None and len(value) > limit:
                row[name] = value[:limit]


def as_tuples(rows: list[Row], names: Sequence[str]) -> list[tuple[Any, ...]]:
    return list(map(itemgetter(*names), rows))


def insert_rows(
    connection: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT many complete rows, values in the order of `names`.

    PostgreSQL gets one COPY per table and batch: with psycopg's pipelined executemany (adapting,
    preparing, one Bind/Execute per row) the benchmark's ingestion took 2.3-2.6 s of its own CPU,
    with COPY 0.7-1.0 s (docs/reports.md). sqlite3 gets positional parameters, which it binds
    faster than named ones. Other drivers go through SQLAlchemy.
    """
    driver = connection.dialect.driver
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    if driver == "psycopg":
        _copy_rows(connection, f"COPY {quote(table.name)} ({columns}) FROM STDIN", rows)
    elif driver == "pysqlite":
        markers = ", ".join("?" * len(names))
        # Quoted identifiers of our own tables; the values travel as parameters.
        sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({markers})"  # nosec B608
        connection.exec_driver_sql(sql, rows)
    else:
        connection.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


def _copy_rows(connection: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    dbapi = connection.dialect.loaded_dbapi
    driver_connection: Any = connection.connection.driver_connection
    try:
        with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as error:
        # Raised past SQLAlchemy, so wrap it as SQLAlchemy would: a value the database refuses
        # must arrive as DataError / IntegrityError to be set aside like any other refusal.
        raise DBAPIError.instance(sql, None, error, dbapi.Error) from error


def update_rows(
    connection: Connection, table: Table, rows: list[Row], columns: Sequence[str]
) -> None:
    """UPDATE many loaded rows by primary key, through the driver like `insert_rows`."""
    marker = {"pysqlite": ":{}", "psycopg": "%({})s"}.get(connection.dialect.driver)
    if marker is None:
        # Bind names are prefixed: SQLAlchemy reserves plain column names for the SET clause.
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in columns})
        )
        params = [
            {"b_id": row["id"], **{f"b_{name}": row[name] for name in columns}} for row in rows
        ]
        connection.execute(statement, params)
        return
    quote = connection.dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = {marker.format(name)}" for name in columns)
    # Quoted identifiers of our own tables; the values travel as parameters.
    where = f"WHERE id = {marker.format('id')}"
    sql = f"UPDATE {quote(table.name)} SET {assignments} {where}"  # nosec B608
    connection.exec_driver_sql(sql, rows)
