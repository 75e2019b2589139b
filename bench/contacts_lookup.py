"""The contacts directory under a full company: 150 users with 200 personal contacts each and a
company directory of 5,000 (35,000 contacts, 70,000 numbers). Measured: the screen pop's
look-up of a caller's number (`ContactStore.by_number`, what each offered call costs), a search
as the agent client types (`ContactStore.search`, one page of 50) and a 5,000-row CSV import
(parse, validate, E.164, one transaction). Each is printed as a ratio against a baseline
measured in the same run: one row fetched by primary key (a database round trip) for the reads,
a plain multi-row INSERT of the same rows for the import.

    .venv/bin/python bench/contacts_lookup.py             # SQLite file in a temp dir
    .venv/bin/python bench/contacts_lookup.py --postgres  # also PostgreSQL at 127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from provisioning.contacts import ContactSpec, Scope, contacts
from provisioning.contacts_import import ImportFormat, parse_upload
from provisioning.contacts_store import ContactStore
from provisioning.db import migrate
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec

USERS = 150
PERSONAL = 200
COMPANY = 5_000
READS = 300
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TENANT = "bench"


def number(n: int) -> str:
    return f"+3185{n:07d}"


def spec(n: int) -> ContactSpec:
    return ContactSpec(f"Contact {n:06d}", (number(n), f"+316{n:08d}"), f"Company {n % 500}")


def median_seconds(work: Callable[[int], object], runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        work(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(url: str) -> None:
    engine = sa.create_engine(url)
    migrate(engine)
    ProvisioningService(engine, str).create_tenant(
        "bench", TenantSpec(TENANT, TENANT, "bench.example", date.today())
    )
    store = ContactStore(engine)
    store.create_many(TENANT, "admin", Scope.COMPANY, [spec(n) for n in range(COMPANY)])
    for u in range(USERS):
        first = COMPANY + u * PERSONAL
        store.create_many(TENANT, f"user{u}", Scope.PERSONAL,
                          [spec(n) for n in range(first, first + PERSONAL)])  # fmt: skip
    total = COMPANY + USERS * PERSONAL
    with engine.connect() as connection:
        ids = list(connection.execute(sa.select(contacts.c.id).limit(READS)).scalars())

    def by_pk(i: int) -> None:
        with engine.connect() as connection:
            connection.execute(sa.select(contacts).where(contacts.c.id == ids[i % len(ids)])).one()

    def pop(i: int) -> None:
        n = (i * 7919) % total  # company and personal numbers alike, most of them not the user's
        store.by_number(TENANT, f"user{i % USERS}", number(n))

    def search(i: int) -> None:
        store.search(TENANT, f"user{i % USERS}", f"company {i % 500}", limit=50)

    base = median_seconds(by_pk, READS)
    pop_s = median_seconds(pop, READS)
    search_s = median_seconds(search, READS // 10)

    rows = 5_000
    csv = "name,phone,company\n" + "".join(
        f"Import {n},+3188{n:07d},Import Co\n" for n in range(rows)
    )
    start = time.perf_counter()
    parsed = parse_upload(csv.encode(), ImportFormat.CSV)
    assert not parsed.errors, parsed.errors[:3]
    store.create_many(TENANT, "importer", Scope.PERSONAL, parsed.contacts)
    import_s = time.perf_counter() - start
    now = datetime.now(UTC)
    plain = [
        {"tenant": TENANT, "owner": "plain", "name": f"Plain {n}", "company": "", "email": "",
         "note": "", "numbers": [f"+3189{n:07d}"], "updated_at": now}
        for n in range(rows)
    ]  # fmt: skip
    start = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(sa.insert(contacts), plain)
    insert_s = time.perf_counter() - start
    engine.dispose()

    print(f"{url.split(':')[0]}: {total} contacts, median of {READS} reads")
    print(f"  baseline (one row by primary key): {base * 1000:8.2f} ms")
    print(f"  screen pop by number:              {pop_s * 1000:8.2f} ms  {pop_s / base:6.1f}x")
    print(
        f"  search, one page of 50:            {search_s * 1000:8.2f} ms  {search_s / base:6.1f}x"
    )
    print(f"  import {rows} CSV rows (all checks): {import_s * 1000:8.1f} ms")
    ratio = import_s / insert_s
    print(f"  baseline (plain multi-row INSERT): {insert_s * 1000:8.1f} ms  {ratio:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'bench.db'}")
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            bench(f"{PG_ADMIN}?options=-csearch_path%3D{schema}")
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
