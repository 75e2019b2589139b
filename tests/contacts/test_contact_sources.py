"""Address books synced into the contacts (`/api/v1/contact-sources`), against a real CardDAV
server (Radicale) and a fake Microsoft Graph built to its documented shapes, through the rq
jobs the product runs; and attacked: another user's or tenant's source, internal URLs, bad
answers from the server, a forged OAuth callback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from common.job_queues import simple_worker
from crm_connectors.contact_sync import (
    ContactSyncContext,
    schedule_key,
    set_contact_sync_context,
)
from crm_connectors.graph_contacts import GraphApp
from crm_connectors.sealing import Sealer, new_key
from crm_connectors.secrets import Secret
from cti.contact_sources import ContactSources
from cti.rest import contact_sources as contact_sources_api
from provisioning.contact_sources import ContactSourceStore
from tests.contacts.conftest import Api
from tests.contacts.fake_graph import CLIENT_ID, CLIENT_SECRET, FakeGraph
from tests.contacts.radicale_server import PASSWORD, USER, Radicale, radicale
from tests.crm_connectors.crm_testkit import rq_queue, serve

ALLOW_LOOPBACK = {"OPENCC_CRM_HTTP_HOSTS": "127.0.0.1"}


def card(uid: str, name: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\n{body}END:VCARD\r\n"


class World:
    def __init__(self, api: Api, queue: Any, graph: FakeGraph, graph_url: str) -> None:
        self.api = api
        self.queue = queue
        self.graph = graph
        self.sealer = Sealer(new_key())
        self.store = ContactSourceStore(api.engine)
        app = GraphApp(CLIENT_ID, Secret(CLIENT_SECRET), f"{graph_url}/login", f"{graph_url}/v1.0")
        self.sources = ContactSources(
            self.store, self.sealer, queue, app, api.server.base_url, ALLOW_LOOPBACK
        )
        # What the product does (cti/product.py): the live sources and their routes.
        api.server.app.state.contact_sources = self.sources
        api.server.app.include_router(contact_sources_api.router)
        set_contact_sync_context(ContactSyncContext(self.store, self.sealer, app, ALLOW_LOOPBACK))

    def run_jobs(self) -> None:
        """What the product's rq worker does with the queued syncs (scheduled ones wait)."""
        worker = simple_worker([self.queue], self.queue.connection)
        # rq's command channel (pubsub) is for stopping jobs from outside, unused here; its
        # thread's stop at the end of a burst may wait out a 60 s read (a redis-py race).
        for hook in ("subscribe", "unsubscribe"):
            setattr(worker, hook, lambda: None)
        worker.work(burst=True, logging_level="WARNING")

    def source(self, client: httpx.Client, source_id: int) -> dict[str, Any]:
        answer = client.get(f"/api/v1/contact-sources/{source_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


@pytest.fixture(scope="module")
def world(api: Api) -> Iterator[World]:
    graph = FakeGraph()
    with rq_queue() as queue, serve(graph.app()) as graph_url:
        graph.base_url = graph_url
        yield World(api, queue, graph, graph_url)
    set_contact_sync_context(None)


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Radicale]:
    with radicale(tmp_path) as server:
        yield server


def _carddav(client: httpx.Client, url: str, **extra: Any) -> httpx.Response:
    body = {"name": "Team", "url": url, "username": USER, "password": PASSWORD, **extra}
    return client.post("/api/v1/contact-sources/carddav", json=body)


def _directory(client: httpx.Client, q: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/contacts", params={"q": q}).json()["items"]
    return items


def test_a_carddav_book_syncs_into_the_directory_and_keeps_manual_contacts(
    world: World, book: Radicale
) -> None:
    book.put_card("jan", card("jan", "Jan Jansen", "ORG:Bakkerij Jansen", "TEL:020 555 1001"))
    book.put_card("eva", card("eva", "Eva Smit", "TEL;TYPE=CELL:06 5555 1002"))
    book.put_card("mail", card("mail", "Only Mail", "EMAIL:only@mail.example"))
    with world.api.client("admin") as admin, world.api.client("1002") as agent:
        manual = admin.post(
            "/api/v1/contacts",
            json={"name": "Jan Handmatig", "numbers": ["0205559999"], "scope": "company"},
        ).json()
        made = _carddav(admin, book.book_url, scope="company")
        assert made.status_code == 201, made.text
        source = made.json()
        assert source["scope"] == "company" and "password" not in made.text
        assert source["health"] == "unknown"
        world.run_jobs()
        state = world.source(admin, source["id"])
        assert (state["health"], state["records"], state["skipped"]) == ("ok", 2, 1)
        jan = _directory(agent, "Jansen")
        assert [(c["name"], c["company"], c["numbers"], c["source"]) for c in jan] == [
            ("Jan Jansen", "Bakkerij Jansen", ["+31205551001"], source["id"])
        ]
        assert agent.get("/api/v1/screen-pop", params={"number": "0031205551001"}).json()
        # A synced contact is the address book's: not changed here.
        synced = jan[0]["id"]
        assert admin.delete(f"/api/v1/contacts/{synced}").status_code == 409
        changed = admin.put(f"/api/v1/contacts/{synced}", json={"name": "X", "numbers": ["0201"]})
        assert changed.status_code == 409

        book.put_card("jan", card("jan", "Jan Jansen", "TEL:020 555 1003"))
        book.delete_card("eva")
        assert admin.post(f"/api/v1/contact-sources/{source['id']}/sync").status_code == 202
        world.run_jobs()
        assert world.source(admin, source["id"])["records"] == 1
        assert [c["numbers"] for c in _directory(agent, "Jan Jansen")] == [["+31205551003"]]
        assert _directory(agent, "Eva Smit") == []
        assert [c["id"] for c in _directory(agent, "Handmatig")] == [manual["id"]]

        assert admin.delete(f"/api/v1/contact-sources/{source['id']}").status_code == 204
        assert _directory(agent, "Jan Jansen") == []
        assert [c["id"] for c in _directory(agent, "Handmatig")] == [manual["id"]]
        assert admin.get(f"/api/v1/contact-sources/{source['id']}").status_code == 404


def test_a_source_is_synced_every_half_hour_until_it_is_deleted(
    world: World, book: Radicale
) -> None:
    book.put_card("tim", card("tim", "Tim Tijd", "TEL:040 555 4001"))
    scheduled = world.queue.scheduled_job_registry
    with world.api.client("1001") as agent:
        made = _carddav(agent, book.book_url).json()
        key = schedule_key(world.queue.name, made["id"])
        first = world.queue.connection.get(key).decode()
        assert first in scheduled
        world.run_jobs()
        # The scheduled run falls due: it syncs and schedules the run after it.
        book.put_card("tom", card("tom", "Tom Tijd", "TEL:040 555 4002"))
        due = world.queue.fetch_job(first)
        assert due is not None
        scheduled.remove(due)
        world.queue.enqueue_job(due)
        world.run_jobs()
        assert world.source(agent, made["id"])["records"] == 2
        second = world.queue.connection.get(key).decode()
        assert second != first and second in scheduled
        assert agent.delete(f"/api/v1/contact-sources/{made['id']}").status_code == 204
        assert world.queue.connection.get(key) is None and second not in scheduled


def test_a_wrong_password_is_the_sources_error_not_a_crash(world: World, book: Radicale) -> None:
    with world.api.client("1003") as agent:
        made = _carddav(agent, book.book_url, password="wrong").json()
        assert made["scope"] == "personal"
        world.run_jobs()
        state = world.source(agent, made["id"])
        assert state["health"] == "error" and "auth" in state["last_error"]
        agent.delete(f"/api/v1/contact-sources/{made['id']}")


def test_sources_are_only_seen_by_who_manages_their_book(world: World) -> None:
    url = "http://127.0.0.1:9/petra/contacts/"  # an allowed host; never synced here
    with (
        world.api.client("1002") as owner,
        world.api.client("1003") as colleague,
        world.api.client("admin") as admin,
        world.api.client("acmeadmin") as stranger,
        world.api.client() as anonymous,
    ):
        mine = _carddav(owner, url).json()
        company = _carddav(admin, url, scope="company").json()
        assert _carddav(colleague, url, scope="company").status_code == 403
        for client, hidden in (
            (colleague, mine), (admin, mine), (stranger, mine), (stranger, company),
            (owner, company),
        ):  # fmt: skip
            path = f"/api/v1/contact-sources/{hidden['id']}"
            assert client.get(path).status_code == 404
            assert client.post(f"{path}/sync").status_code == 404
            assert client.delete(path).status_code == 404
            listed = [s["id"] for s in client.get("/api/v1/contact-sources").json()]
            assert hidden["id"] not in listed
        assert anonymous.get("/api/v1/contact-sources").status_code == 401
        assert [s["id"] for s in owner.get("/api/v1/contact-sources").json()] == [mine["id"]]
        assert owner.delete(f"/api/v1/contact-sources/{mine['id']}").status_code == 204
        assert admin.delete(f"/api/v1/contact-sources/{company['id']}").status_code == 204


@pytest.mark.parametrize(
    "url",
    [
        "http://dav.example.com/book/",  # credentials in clear text
        "https://localhost/book/",
        "https://127.0.0.2:8443/book/",
        "https://10.1.2.3/book/",
        "https://169.254.169.254/latest/",
        "https://[::1]/book/",
        # Legacy spellings of loopback the resolver takes as addresses (no DNS needed):
        "https://127.1/book/",
        "https://2130706433/book/",
        # A name, no address, that the resolver maps to this machine (/etc/hosts): the DNS check.
        f"https://{socket.gethostname()}/book/",
        "file:///etc/passwd",
        "https:///no-host",
    ],
)
def test_internal_and_clear_text_urls_are_refused(world: World, url: str) -> None:
    with world.api.client("1004") as agent:
        answer = _carddav(agent, url)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"]["field"] == "url"
    assert all(s.settings.get("url") != url for s in world.store.sources("demo"))


def test_a_server_answering_badly_marks_the_source_and_stores_nothing(world: World) -> None:
    answers = {
        "garbage": b"<html>maintenance",
        "entities": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><d:multistatus xmlns:d="DAV:">&b;'
        b"</d:multistatus>",
        "huge": b'<d:multistatus xmlns:d="DAV:">' + b" " * 17_000_000 + b"</d:multistatus>",
    }

    async def dav(request: Request) -> Response:
        return Response(answers[request.path_params["kind"]], 207, media_type="application/xml")

    app = Starlette(routes=[Route("/{kind}/", dav, methods=["PROPFIND", "REPORT"])])
    with serve(app) as base, world.api.client("1005") as agent:
        before = agent.get("/api/v1/contacts").json()["total"]
        for kind, expected in (("garbage", "not XML"), ("entities", "DOCTYPE"),
                               ("huge", "larger than")):  # fmt: skip
            made = _carddav(agent, f"{base}/{kind}/").json()
            world.run_jobs()
            state = world.source(agent, made["id"])
            assert state["health"] == "error" and expected in state["last_error"], state
            assert agent.delete(f"/api/v1/contact-sources/{made['id']}").status_code == 204
        assert agent.get("/api/v1/contacts").json()["total"] == before


def _multistatus(*responses: tuple[str, str]) -> bytes:
    """(href, props) pairs as a 207 body, in RFC 6352's namespaces."""
    body = "".join(
        f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop>"
        "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        for href, props in responses
    )
    return (
        '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
        f'xmlns:c="urn:ietf:params:xml:ns:carddav">{body}</d:multistatus>'
    ).encode()


def test_a_hostile_book_gets_only_its_own_parsable_cards_in(world: World) -> None:
    """Hrefs outside the configured collection (another user's book on the same server,
    another host) are ignored; a card that does not parse is skipped, the rest kept."""
    etag = '<d:getetag>"1"</d:getetag>'
    listing = _multistatus(
        ("/book/", "<d:resourcetype><d:collection/><c:addressbook/></d:resourcetype>"),
        ("/book/ok.vcf", etag), ("/book/junk.vcf", etag),
        ("/other/secret.vcf", etag), ("http://evil.example/x.vcf", etag),
    )  # fmt: skip
    cards = _multistatus(
        ("/book/ok.vcf", etag + f"<c:address-data>{card('ok', 'Echt', 'TEL:0205556001')}"
         "</c:address-data>"),
        ("/book/junk.vcf", etag + "<c:address-data>BEGIN:VCARD\nFN:half"
         "</c:address-data>"),
        ("/other/secret.vcf", etag + f"<c:address-data>{card('s', 'Gestolen', 'TEL:0205556002')}"
         "</c:address-data>"),
    )  # fmt: skip
    asked: list[bytes] = []

    async def dav(request: Request) -> Response:
        asked.append(await request.body())
        body = listing if request.method == "PROPFIND" else cards
        return Response(body, 207, media_type="application/xml")

    app = Starlette(routes=[Route("/book/", dav, methods=["PROPFIND", "REPORT"])])
    with serve(app) as base, world.api.client("1005") as agent:
        made = _carddav(agent, f"{base}/book/").json()
        world.run_jobs()
        state = world.source(agent, made["id"])
        assert (state["health"], state["records"], state["skipped"]) == ("ok", 1, 1), state
        mine = [c["name"] for c in agent.get("/api/v1/contacts").json()["items"] if c["source"]]
        assert mine == ["Echt"]
        assert b"secret" not in asked[-1] and b"evil" not in asked[-1]  # never asked for
        agent.delete(f"/api/v1/contact-sources/{made['id']}")


def test_huge_and_broken_cards_are_skipped_the_good_ones_kept(world: World, book: Radicale) -> None:
    book.put_card("good", card("good", "Goede Kaart", "TEL:030 555 2001"))
    book.put_card("big", card("big", "Grote Kaart", "TEL:030 555 2002", "NOTE:" + "x" * 1_100_000))
    book.put_card("bad", card("bad", "Slecht Nummer", "TEL:bel me maar"))
    with world.api.client("1006") as agent:
        made = _carddav(agent, book.book_url).json()
        world.run_jobs()
        state = world.source(agent, made["id"])
        assert (state["health"], state["records"], state["skipped"]) == ("ok", 1, 2)
        mine = [c["name"] for c in agent.get("/api/v1/contacts").json()["items"] if c["source"]]
        assert mine == ["Goede Kaart"]
        agent.delete(f"/api/v1/contact-sources/{made['id']}")


def _connect_outlook(world: World, client: httpx.Client) -> httpx.Response:
    """The browser's round trip: authorize, Microsoft's sign-in, back to the callback."""
    started = client.post("/api/v1/contact-sources/graph/authorize", json={"name": "Outlook"})
    assert started.status_code == 200, started.text
    signed_in = httpx.get(started.json()["authorize_url"])
    assert signed_in.status_code == 302
    return client.get(signed_in.headers["location"])


def test_outlook_contacts_sync_page_by_page_with_rotated_refresh_tokens(world: World) -> None:
    world.graph.contacts.clear()
    anna = {"address": "anna@contoso.example"}
    world.graph.add("g1", "Anna Outlook", businessPhones=["+31 20 555 3001"],
                    companyName="Contoso", emailAddresses=[anna])  # fmt: skip
    world.graph.add("g2", "Bert Mobiel", mobilePhone="06 5555 3002")
    world.graph.add("g3", "Geen Nummer")
    world.graph.add("g4", "Carla Thuis", homePhones=["010 555 3004"])
    with world.api.client("1007") as agent, world.api.client("1008") as other:
        done = _connect_outlook(world, agent)
        assert done.status_code == 200 and "connected" in done.text
        [source] = agent.get("/api/v1/contact-sources").json()
        assert source["kind"] == "graph" and other.get("/api/v1/contact-sources").json() == []
        world.run_jobs()
        state = world.source(agent, source["id"])
        assert (state["health"], state["records"], state["skipped"]) == ("ok", 3, 1)
        names = [c["name"] for c in agent.get("/api/v1/contacts").json()["items"] if c["source"]]
        assert names == ["Anna Outlook", "Bert Mobiel", "Carla Thuis"]
        assert other.get("/api/v1/contacts", params={"q": "Outlook"}).json()["total"] == 0
        # Microsoft rotated the refresh token on the sync's refresh: the stored one is the new.
        stored = world.store.get("demo", source["id"])
        assert stored is not None
        assert world.sealer.open(stored.sealed) == {"refresh_token": world.graph.issued[-1]}

        world.graph.contacts[1]["mobilePhone"] = "06 5555 3012"
        world.graph.contacts[1]["changeKey"] = "2"
        del world.graph.contacts[3]
        agent.post(f"/api/v1/contact-sources/{source['id']}/sync")
        world.run_jobs()
        assert world.source(agent, source["id"])["records"] == 2
        bert = agent.get("/api/v1/contacts", params={"q": "Bert"}).json()["items"]
        assert bert[0]["numbers"] == ["+31655553012"]

        # A next link to another origin would carry the bearer token there: refused.
        world.graph.next_link_origin = "http://127.0.0.1:9"
        agent.post(f"/api/v1/contact-sources/{source['id']}/sync")
        world.run_jobs()
        world.graph.next_link_origin = ""
        state = world.source(agent, source["id"])
        assert state["health"] == "error" and "another origin" in state["last_error"]
        assert state["records"] == 2
        assert agent.delete(f"/api/v1/contact-sources/{source['id']}").status_code == 204


def test_a_forged_or_replayed_oauth_callback_connects_nothing(world: World) -> None:
    callback = "/api/v1/contact-sources/graph/callback"
    with world.api.client("1009") as victim, world.api.client("1010") as attacker:
        started = attacker.post("/api/v1/contact-sources/graph/authorize", json={})
        signed_in = httpx.get(started.json()["authorize_url"])
        location = httpx.URL(signed_in.headers["location"])
        # The attacker's link opened in the victim's browser: no matching cookie.
        assert victim.get(f"{callback}?{location.query.decode()}").status_code == 400
        assert victim.get(f"{callback}?state=made-up&code=x").status_code == 400
        assert attacker.get(str(location)).status_code == 200
        assert attacker.get(str(location)).status_code == 400  # single use
        assert victim.get("/api/v1/contact-sources").json() == []
        for source in attacker.get("/api/v1/contact-sources").json():
            attacker.delete(f"/api/v1/contact-sources/{source['id']}")
