"""The contacts directory as a screen-pop source: an offered call from a number in the company
directory or in the agent's own personal contacts carries the contact in `myCalls`' offer event,
before the CRM's records; a colleague's personal contact never pops."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import Engine

from cti.contacts_screen_pop import ContactsScreenPop
from cti.event_log import EventLog
from cti.provisioning_demo import demo_tenant_spec
from cti.users import make_engine
from provisioning.contacts import ContactSpec, Scope
from provisioning.contacts_store import ContactStore
from provisioning.db import migrate
from provisioning.service import ProvisioningService
from queueing.events import EventType
from tests.cti.cti_clients import login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_world import StaticScreenPop, World, wait_for_subscribers
from tests.cti.test_cti_subscriptions import MY_CALLS, collect

CRM_NUMBER = "+31201234567"  # StaticScreenPop's CRM record


@pytest.fixture
def contacts_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'contacts.db'}")
    migrate(engine)
    ProvisioningService(engine, str).ensure_tenant("test", demo_tenant_spec("demo"))
    return engine


@pytest.fixture
def settings_overrides(contacts_engine: Engine) -> dict[str, Any]:
    store = ContactStore(contacts_engine)
    store.create(
        "demo",
        "admin",
        Scope.COMPANY,
        ContactSpec("Gemeente", ("020 123 4567",), "Gemeente Utrecht"),
    )
    store.create("demo", "1001", Scope.PERSONAL, ContactSpec("Mijn Tandarts", ("0307654321",)))
    store.create("demo", "1002", Scope.PERSONAL, ContactSpec("Geheim van 1002", ("0101112222",)))
    return {"screen_pop": ContactsScreenPop(store, StaticScreenPop())}


async def test_an_offer_carries_the_company_and_personal_contact(
    world: World, redis: Redis, prefix: str
) -> None:
    token = await login(world.server.base_url, "1001", "pw1001")
    log = EventLog(redis, prefix)
    async with ws_session(world.server.ws_url, token) as session:
        task = asyncio.ensure_future(collect(session.subscribe(request(MY_CALLS)), 3))
        await wait_for_subscribers(world, 1)
        await log.append_many(
            [
                event(
                    1, type_=EventType.CALL_OFFERED, agent="1001", call_id="a", caller=CRM_NUMBER
                ),
                event(
                    2,
                    type_=EventType.CALL_OFFERED,
                    agent="1001",
                    call_id="b",
                    caller="+31307654321",
                ),
                event(
                    3,
                    type_=EventType.CALL_OFFERED,
                    agent="1001",
                    call_id="c",
                    caller="+31101112222",
                ),
            ]
        )
        got = await task
    pops = {e["callId"]: [(r["crm"], r["name"]) for r in e["screenPop"]] for e in got}
    assert pops == {
        "a": [
            ("directory", "Gemeente"),
            ("directory", "Gemeente Utrecht"),
            ("demo-crm", "Jansen Installatietechniek B.V."),
        ],
        "b": [("personal", "Mijn Tandarts")],
        "c": [],  # 1002's personal contact: not 1001's to see
    }


async def test_the_rest_screen_pop_knows_the_users_personal_contacts(world: World) -> None:
    for user, expected in (("1001", ["Mijn Tandarts"]), ("1002", [])):
        token = await login(world.server.base_url, user, f"pw{user}")
        async with httpx.AsyncClient(base_url=world.server.base_url) as client:
            answer = await client.get(
                "/api/v1/screen-pop",
                params={"number": "030 765 4321"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert [r["name"] for r in answer.json()["records"]] == expected
