"""A running API (uvicorn thread) on a real PostgreSQL provisioning database (a schema of its
own, dropped afterwards) with the demo company and a second tenant, `acme`."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from cti.app import create_app
from cti.passwords import TEST_COST, hash_password
from cti.provisioning_demo import seed_demo_company
from cti.settings import CtiSettings
from cti.users import UserDirectory, make_engine
from provisioning.db import migrate
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec
from provisioning.users import Licences, UserRole, UserSpec
from tests.components import require_postgres
from tests.cti.cti_redis_testkit import REDIS_URL, new_prefix
from tests.cti.cti_server import TOKEN_SECRET, ThreadServer

POSTGRES_BASE_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
OTHER = "acme"


def _postgres_base_url() -> str | None:
    for url in POSTGRES_BASE_URLS:
        engine = create_engine(url)
        try:
            with engine.connect():
                return url
        except OperationalError:
            continue
        finally:
            engine.dispose()
    return None


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    base = require_postgres(_postgres_base_url())
    schema = f"contacts_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Api:
    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        UserDirectory(self.engine, TEST_COST).create_tables()
        migrate(self.engine)
        self.provisioning = ProvisioningService(
            self.engine, lambda password: hash_password(password, TEST_COST)
        )
        seed_demo_company(self.provisioning)
        self.provisioning.ensure_tenant(
            "test", TenantSpec(OTHER, "Acme", "acme.test", datetime.now(UTC).date())
        )
        self.provisioning.create_user(
            "test",
            OTHER,
            UserSpec("acmeadmin", "Acme admin", "1001", "pwacmeadmin", "pwacmesip1",
                     Profile.KANTOOR, frozenset({UserRole.ADMIN}), Licences()),
        )  # fmt: skip
        settings = CtiSettings(
            token_secret=TOKEN_SECRET,
            redis_url=REDIS_URL,
            key_prefix=new_prefix(),
            database_url=database_url,
            password_cost=TEST_COST,
            provisioning=self.provisioning,
        )
        self.server = ThreadServer(create_app(settings)).start()

    @contextlib.contextmanager
    def client(self, username: str | None = None) -> Iterator[httpx.Client]:
        """Signed in as `username` (password `pw` + username), or anonymous."""
        with httpx.Client(base_url=self.server.base_url, timeout=30) as client:
            if username is not None:
                answer = client.post(
                    "/api/v1/auth/token", json={"username": username, "password": f"pw{username}"}
                )
                answer.raise_for_status()
                client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client

    def stop(self) -> None:
        self.server.stop()
        self.engine.dispose()


@pytest.fixture(scope="module")
def api(database_url: str) -> Iterator[Api]:
    made = Api(database_url)
    try:
        yield made
    finally:
        made.stop()
