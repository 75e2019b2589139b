"""The database URL's libpq host list, as the product's engines hand it to psycopg
(common/database_url.py); the failover itself is tests/e2e/test_postgres_failover.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from common.database_url import DatabaseUrlError, engine_url


def connect_args(url: str) -> dict[str, Any]:
    parsed = engine_url(url)
    return dict(create_engine(parsed).dialect.create_connect_args(parsed)[1])


def test_a_host_list_reaches_libpq_as_hosts_and_ports_in_order() -> None:
    args = connect_args(
        "postgresql+psycopg://opencc:p%40ss@db1:5433,db2/opencc"
        "?target_session_attrs=read-write&connect_timeout=2"
    )
    assert args["host"] == "db1,db2" and args["port"] == "5433,5432"  # the default port filled in
    assert args["user"] == "opencc" and args["password"] == "p@ss"
    assert args["dbname"] == "opencc"
    assert args["target_session_attrs"] == "read-write" and args["connect_timeout"] == "2"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://opencc@db1:5432/opencc",
        "postgresql+psycopg://opencc@/opencc?host=db1:5432&host=db2:5432",  # SQLAlchemy's own form
        "sqlite:///var/opencc.db",
    ],
)
def test_other_urls_pass_unchanged(url: str) -> None:
    assert engine_url(url) == make_url(url)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://u@db1,/opencc", "entry 2 ('')"),
        ("postgresql+psycopg://u@db1:5432,db2:0/opencc", "entry 2 has port 0"),
        ("postgresql+psycopg://u@db1 ,db2/opencc", "entry 1 ('db1 ')"),
        ("postgresql+psycopg://u@db1,db2", "names no database"),
        ("postgresql+psycopg://u@db1:x/opencc", "cannot be parsed"),
    ],
)
def test_a_malformed_url_is_refused_with_the_form_to_write(url: str, says: str) -> None:
    with pytest.raises(DatabaseUrlError) as refused:
        engine_url(url)
    assert says in str(refused.value)
