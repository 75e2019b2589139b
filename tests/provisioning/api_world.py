"""A real app (uvicorn in a thread) with the demo users, an operator and a second tenant's
admin, and a signed-in httpx client per role: the admin API as its users meet it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cti.app import create_app
from cti.passwords import TEST_COST
from cti.principal import Role
from cti.provisioning_demo import seed_demo_operator
from cti.settings import CtiSettings
from cti.users import UserDirectory, make_engine, seed_demo_users
from tests.cti.cti_redis_testkit import REDIS_URL, new_prefix
from tests.cti.cti_server import TOKEN_SECRET, ThreadServer

OTHER = "acme"
LOGINS = {
    "operator": ("operator", "pwoperator"),
    "admin": ("admin", "pwadmin"),
    "supervisor": ("supervisor", "pwsupervisor"),
    "agent": ("1001", "pw1001"),
    "acme_admin": ("admin@acme", "pwacmeadmin"),
}


def seed_logins(database_url: str) -> None:
    directory = UserDirectory(make_engine(database_url), TEST_COST)
    seed_demo_users(directory)
    seed_demo_operator(directory)
    directory.add_user(OTHER, "admin", "pwacmeadmin", Role.ADMIN)


@dataclass
class ApiWorld:
    server: ThreadServer
    clients: dict[str, httpx.Client]
    settings: CtiSettings

    def __getitem__(self, who: str) -> httpx.Client:
        return self.clients[who]

    @property
    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=30)


def start_world(var: Path, **overrides: Any) -> Iterator[ApiWorld]:
    """`overrides`: further `CtiSettings` (a fake call control, limits)."""
    database_url = f"sqlite:///{var / 'opencc.db'}"
    seed_logins(database_url)
    settings = CtiSettings(
        token_secret=TOKEN_SECRET,
        redis_url=REDIS_URL,
        key_prefix=new_prefix(),
        database_url=database_url,
        password_cost=TEST_COST,
        fanout_block_ms=50,
        **overrides,
    )
    server = ThreadServer(create_app(settings)).start()
    clients: dict[str, httpx.Client] = {}
    try:
        for who, (username, password) in LOGINS.items():
            client = httpx.Client(base_url=server.base_url, timeout=30)
            clients[who] = client
            answer = client.post(
                "/api/v1/auth/token", json={"username": username, "password": password}
            )
            answer.raise_for_status()
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        operator = clients["operator"]
        created = operator.post(
            "/api/v1/tenants",
            json={"id": OTHER, "name": "Acme B.V.", "sip_domain": "acme.test"},
        )
        assert created.status_code == 201, created.text
        yield ApiWorld(server, clients, settings)
    finally:
        for client in clients.values():
            client.close()
        server.stop()
