"""CSV import of 150 users (a company at the top of the seed's 5-150 range) through
`ProvisioningService.import_users`, against a baseline measured in the same run: a plain
SQLAlchemy multi-row INSERT of the same rows (no parsing, no checks, no audit, no HA1).

The import is what an admin's `POST /api/v1/tenants/{t}/users/import?dry_run=false` runs: CSV
parsing, every rule of every row, the collision checks against the platform and the tenant,
digest HA1 per user, one INSERT, one audit entry per user, an activation link per user (a
random token, its SHA-256 stored), one transaction. Rows carry no web password: each user sets
its own with its link (docs/provisioning.md, "Activation links").

The second figure is the same import with a web password in every row, hashed with the
production scrypt over a pool of processes, one per core (`cti.password_pool`): one run (it
takes seconds), against the bound it cannot beat, 150 x one scrypt / cores, measured here too.

    .venv/bin/python bench/provisioning_import.py             # SQLite file in a temp dir
    .venv/bin/python bench/provisioning_import.py --postgres  # PostgreSQL at 127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from cti.password_pool import PasswordPool
from cti.passwords import hash_password
from provisioning.db import migrate
from provisioning.models import users
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec

USERS = 150
RUNS = 5
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEADER = "username,name,extension,sip_password,profile,roles,call_center\n"
WITH_PASSWORDS = "username,name,extension,sip_password,profile,roles,call_center,password\n"


def csv_text(run: int) -> str:
    return HEADER + "".join(
        f"r{run}u{n},Medewerker {n},{n},sip-secret-{n},kantoor,agent,premium\n"
        for n in range(2000, 2000 + USERS)
    )


def csv_with_passwords() -> str:
    return WITH_PASSWORDS + "".join(
        f"pw{n},Medewerker {n},{n},sip-secret-{n},kantoor,agent,premium,web-secret-{n}\n"
        for n in range(2000, 2000 + USERS)
    )


def baseline_rows(tenant: str, run: int) -> list[dict[str, object]]:
    return [
        {
            "tenant": tenant,
            "username": f"b{run}u{n}",
            "name": f"Medewerker {n}",
            "extension": str(n),
            "password_hash": "!",
            "sip_ha1_md5": "0" * 32,
            "sip_ha1_sha256": "0" * 64,
            "language": "nl",
            "roles": "agent",
            "profile": "kantoor",
            "call_center_licence": "premium",
            "supervisor_licence": False,
            "receptionist_licence": None,
            "recording_mode": None,
        }
        for n in range(2000, 2000 + USERS)
    ]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def bench(url: str) -> None:
    engine = sa.create_engine(url)
    migrate(engine)
    service = ProvisioningService(engine, hash_password)
    imports, baselines = [], []
    for run in range(RUNS):
        # A fresh tenant a run, each holding 150 users already, so both sides insert into a
        # table that grows alike.
        tenant, plain = f"imp{run}", f"base{run}"
        for name in (tenant, plain):
            service.create_tenant("bench", TenantSpec(name, name, f"{name}.bench", date.today()))
        text = csv_text(run)

        def run_import(tenant: str = tenant, text: str = text) -> None:
            report = service.import_users("bench", tenant, text, dry_run=False)
            assert len(report.imported) == USERS, report.errors[:3]
            assert len(report.activations) == USERS

        def run_baseline(tenant: str = plain, run: int = run) -> None:
            with engine.begin() as connection:
                connection.execute(sa.insert(users), baseline_rows(tenant, run))

        imports.append(timed(run_import))
        baselines.append(timed(run_baseline))
    median_import, median_base = statistics.median(imports), statistics.median(baselines)
    print(f"{url.split(':')[0]}: {USERS} users, median of {RUNS} runs")
    print(f"  import with activation links:              {median_import * 1000:8.1f} ms")
    print(f"  baseline (plain multi-row INSERT):         {median_base * 1000:8.1f} ms")
    print(f"  ratio import / baseline:                   {median_import / median_base:8.1f}x")
    with_passwords(engine, median_base)
    engine.dispose()


def with_passwords(engine: sa.Engine, baseline: float) -> None:
    pool = PasswordPool()
    try:
        service = ProvisioningService(engine, hash_password, hash_many=pool.hash_all)
        service.create_tenant("bench", TenantSpec("pw", "pw", "pw.bench", date.today()))
        pool.hash_all(["warm", "up"])  # the workers start once, not per import
        text = csv_with_passwords()

        def run() -> None:
            report = service.import_users("bench", "pw", text, dry_run=False)
            assert len(report.imported) == USERS and not report.activations, report.errors[:3]

        seconds = timed(run)
    finally:
        pool.close()
    one = statistics.median(timed(lambda: hash_password("a web password")) for _ in range(3))
    cores = os.cpu_count() or 1
    print(f"  import with {USERS} web passwords, {cores} processes: {seconds:8.2f} s (one run)")
    print(f"    one production scrypt here:              {one * 1000:8.1f} ms")
    print(f"    bound: {USERS} x scrypt / {cores} cores:         {one * USERS / cores:8.2f} s")
    print(f"    ratio to the baseline INSERT:            {seconds / baseline:8.0f}x")


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
