"""The product's database URL, with PostgreSQL's libpq-style host list, as SQLAlchemy takes it.

Production runs PostgreSQL as a primary and a streaming replica (docs/deploy.md). Every process
is given both hosts, the way libpq writes them, and only accepts the writable one:

    postgresql+psycopg://opencc@db1:5432,db2:5432/opencc?target_session_attrs=read-write

When the primary dies and the replica is promoted, the next new connection finds the new
primary (libpq tries the hosts in order and skips a standby); the engines' `pool_pre_ping`
throws away pooled connections to the dead one. SQLAlchemy itself does not parse a host list
in the URL's authority (it reads `5432,db2:5432` as a port); it takes the same hosts as repeated
`host=` query parameters, which is what `engine_url` turns the libpq form into. A host list that
is malformed is refused here, at start-up, with the URL form to write, rather than as a driver
error at the first query.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

DEFAULT_PORT = 5432
_HOST = re.compile(r"^(?P<host>[A-Za-z0-9._-]+)(?::(?P<port>\d+))?$")
"""A host name or IPv4 address, and a port. Not a bracketed IPv6 address: SQLAlchemy's `host=`
parameters split it at its colons (give such a host a name)."""
_FORM = "postgresql+psycopg://user@host1:port1,host2:port2/database?target_session_attrs=read-write"


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used; the message says which part and why."""


def _host_list(hosts: str) -> list[str]:
    """`h1:p1,h2:p2` as `["h1:p1", "h2:p2"]`, every port explicit (SQLAlchemy wants all or none)."""
    parsed: list[str] = []
    for position, entry in enumerate(hosts.split(","), start=1):
        match = _HOST.match(entry)
        if match is None:
            raise DatabaseUrlError(
                f"database URL host list {hosts!r}: entry {position} ({entry!r}) is not "
                f"host[:port] (a host name or IPv4 address); write {_FORM}"
            )
        port = int(match["port"] or DEFAULT_PORT)
        if not 0 < port < 65536:
            raise DatabaseUrlError(
                f"database URL host list {hosts!r}: entry {position} has port {port}, "
                "outside 1-65535"
            )
        parsed.append(f"{match['host']}:{port}")
    return parsed


def engine_url(url: str) -> URL:
    """`url` as a SQLAlchemy URL; a libpq host list (`@h1:p1,h2:p2/`) becomes `host=` parameters.

    Raises `DatabaseUrlError` for a malformed host list, or a URL SQLAlchemy cannot parse.
    """
    scheme, separator, rest = url.partition("://")
    if separator and scheme.startswith("postgresql"):
        authority, slash, tail = rest.partition("/")
        userinfo, at, hosts = authority.rpartition("@")
        if "," in hosts:
            if not slash or not tail.split("?", 1)[0]:
                raise DatabaseUrlError(f"database URL names no database; write {_FORM}")
            path, question, query = tail.partition("?")
            extra = "&".join(f"host={quote(each, safe=':')}" for each in _host_list(hosts))
            query = f"{query}&{extra}" if question and query else extra
            url = f"{scheme}://{userinfo}{at}/{path}?{query}"
    try:
        return make_url(url)
    except ValueError as error:  # SQLAlchemy's ArgumentError is a ValueError too
        raise DatabaseUrlError(f"database URL cannot be parsed ({error}); write {_FORM}") from error
