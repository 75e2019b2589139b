"""`/api/v1/recordings` attacked: without a token, from another tenant, by a colleague, with forged,
altered or expired links, and with bad input on every route. A real app (uvicorn) on a real
provisioning database with the demo company and a second tenant."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from redis import Redis

from common.job_queues import job_queue
from cti.app import create_app
from cti.passwords import TEST_COST, hash_password
from cti.provisioning_demo import seed_demo_company, seed_demo_operator
from cti.recording_links import LinkPurpose, LinkSigner, RecordingLink
from cti.rest import recordings as recordings_api
from cti.settings import CtiSettings
from cti.users import UserDirectory, make_engine
from provisioning.db import migrate
from provisioning.profiles import Profile
from provisioning.recordings import NewRecording, RecordingCatalogue
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec
from provisioning.users import Licences, UserRole, UserSpec
from tests.cti.cti_redis_testkit import REDIS_URL, new_prefix
from tests.cti.cti_server import TOKEN_SECRET, ThreadServer

OTHER = "acme"


def _hasher(password: str) -> str:
    return hash_password(password, TEST_COST)


class World:
    def __init__(self, var: Path) -> None:
        database_url = f"sqlite:///{var / 'opencc.db'}"
        engine = make_engine(database_url)
        UserDirectory(engine, TEST_COST).create_tables()
        migrate(engine)
        provisioning = ProvisioningService(engine, _hasher)
        seed_demo_company(provisioning)
        provisioning.ensure_tenant(
            "test", TenantSpec(OTHER, "Acme", "acme.test", datetime.now(UTC).date())
        )
        provisioning.create_user(
            "test",
            OTHER,
            UserSpec("acmeadmin", "Acme admin", "1001", "pwacmeadmin", "pwacmesip1",
                     Profile.KANTOOR, frozenset({UserRole.ADMIN}), Licences()),
        )  # fmt: skip
        self.catalogue = RecordingCatalogue(engine)
        archive = var / "archive"
        for tenant in ("demo", OTHER):
            (archive / tenant).mkdir(parents=True)
            (archive / tenant / "a.opus").write_bytes(b"OggS" + bytes(200))
        self.demo_id = self.catalogue.add(self._new("demo", "1005"))
        self.other_id = self.catalogue.add(self._new(OTHER, "1001"))
        self.queue = job_queue(
            f"test-recordings-{uuid.uuid4().hex[:10]}", Redis.from_url(REDIS_URL)
        )
        settings = CtiSettings(
            token_secret=TOKEN_SECRET,
            redis_url=REDIS_URL,
            key_prefix=new_prefix(),
            database_url=database_url,
            password_cost=TEST_COST,
            provisioning=provisioning,
        )
        app = create_app(settings)
        recordings_api.install(
            app,
            recordings_api.RecordingsPortal(
                self.catalogue, provisioning, archive, LinkSigner(TOKEN_SECRET), self.queue,
                "http://portal.example",
            ),
        )  # fmt: skip
        self.server = ThreadServer(app).start()
        self.engine = engine

    @staticmethod
    def _new(tenant: str, owner: str) -> NewRecording:
        return NewRecording(
            tenant, f"call-{owner}", owner, "+31201234567", owner, "7002",
            datetime.now(UTC), 3.0, f"{tenant}/a.opus",
        )  # fmt: skip

    @contextlib.contextmanager
    def client(
        self, username: str | None = None, password: str | None = None
    ) -> Iterator[httpx.Client]:
        """Signed in as `username` (default password `pw` + username), or anonymous."""
        with httpx.Client(base_url=self.server.base_url, timeout=30) as client:
            if username is not None:
                answer = client.post(
                    "/api/v1/auth/token",
                    json={"username": username, "password": password or f"pw{username}"},
                )
                answer.raise_for_status()
                client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client

    def stop(self) -> None:
        self.server.stop()
        self.queue.delete(delete_jobs=True)
        self.engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = World(tmp_path_factory.mktemp("recordings-api"))
    try:
        yield made
    finally:
        made.stop()


def _routes(rid: int) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", f"/api/v1/recordings/{rid}", None),
        ("POST", f"/api/v1/recordings/{rid}/player", None),
        ("POST", f"/api/v1/recordings/{rid}/download", None),
        ("PUT", f"/api/v1/recordings/{rid}/labels", {"labels": ["x"]}),
        ("POST", f"/api/v1/recordings/{rid}/mail", {"to": "a@example.com"}),
    ]


def test_without_a_token_every_route_is_401(world: World) -> None:
    with world.client() as anonymous:
        routes = [*_routes(world.demo_id), ("GET", "/api/v1/recordings", None)]
        routes += [("GET", f"/api/v1/recordings/{world.demo_id}/access", None)]
        routes += [("GET", "/api/v1/recordings/retention", None)]
        routes += [("PUT", "/api/v1/recordings/retention", {"days": 365})]
        for method, path, body in routes:
            assert anonymous.request(method, path, json=body).status_code == 401, path


def test_another_tenants_admin_never_reaches_a_recording(world: World) -> None:
    with world.client("acmeadmin", "pwacmeadmin") as acme:
        listed = acme.get("/api/v1/recordings").json()
        assert [r["id"] for r in listed["items"]] == [world.other_id]
        for method, path, body in _routes(world.demo_id):
            assert acme.request(method, path, json=body).status_code == 404, path
        assert acme.get(f"/api/v1/recordings/{world.demo_id}/access").status_code == 404
        assert acme.put("/api/v1/recordings/retention", json={"days": 365}).status_code == 200
    assert world.catalogue.retention_days("demo") == 90
    assert world.catalogue.access_log("demo", world.demo_id) == []


def test_a_colleague_sees_only_its_own(world: World) -> None:
    with world.client("1003") as colleague, world.client("1005") as owner:
        assert colleague.get("/api/v1/recordings").json()["total"] == 0
        for method, path, body in _routes(world.demo_id):
            assert colleague.request(method, path, json=body).status_code == 404, path
        assert owner.get("/api/v1/recordings").json()["total"] == 1
        for admin_only in ("/retention", f"/{world.demo_id}/access"):
            assert owner.get(f"/api/v1/recordings{admin_only}").status_code == 403
        assert owner.put("/api/v1/recordings/retention", json={"days": 365}).status_code == 403


def test_the_operator_has_no_recording_licence(world: World) -> None:
    seed_demo_operator(UserDirectory(world.engine, TEST_COST))
    with world.client("operator", "pwoperator") as operator:
        assert operator.get("/api/v1/recordings").status_code == 403


def test_links_cannot_be_forged_altered_reused_elsewhere_or_used_expired(world: World) -> None:
    with world.client("1005") as owner, world.client() as anonymous:
        good = owner.post(f"/api/v1/recordings/{world.demo_id}/player").json()["url"]
        assert anonymous.get(good).status_code == 200
        token = good.rsplit("/", 1)[1]
        altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        access_token = owner.headers["Authorization"].removeprefix("Bearer ")
        foreign = LinkSigner("another installation's secret, 32 bytes or more").sign(
            RecordingLink("demo", world.demo_id, "x", LinkPurpose.MAIL), 600
        )
        expired = LinkSigner(TOKEN_SECRET).sign(
            RecordingLink("demo", world.demo_id, "x", LinkPurpose.MAIL), -10
        )
        for bad in (altered, access_token, foreign, expired, "x" * 3000, "..%2F..%2Fetc"):
            answer = anonymous.get(f"/api/v1/recordings/audio/{bad}")
            assert answer.status_code in (404, 422), bad
            assert answer.content[:4] != b"OggS"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "labels", {"labels": ["<script>alert(1)</script>"]}),
        ("PUT", "labels", {"labels": [f"l{n}" for n in range(11)]}),
        ("PUT", "labels", {"labels": "complaint"}),
        ("POST", "mail", {"to": "not-an-address"}),
        ("POST", "mail", {"to": "a@example.com\r\nBcc: evil@example.com"}),
        ("POST", "mail", {"to": "a@example.com", "days": 0}),
        ("POST", "mail", {"to": "a@example.com", "days": 31}),
        ("POST", "mail", {"to": "a@example.com", "days": "x"}),
    ],
)
def test_bad_input_gets_a_clear_422(
    world: World, method: str, path: str, body: dict[str, object]
) -> None:
    with world.client("1005") as owner:
        answer = owner.request(method, f"/api/v1/recordings/{world.demo_id}/{path}", json=body)
        assert answer.status_code == 422
        assert answer.json()["detail"]
    assert len(world.queue) == 0, "nothing is mailed"


@pytest.mark.parametrize(
    "query",
    [
        {"number": "%"},
        {"number": "1' OR '1'='1"},
        {"user": "../1001"},
        {"limit": "100000"},
        {"offset": "-1"},
        {"since": "yesterday"},
    ],
)
def test_bad_search_filters_get_422(world: World, query: dict[str, str]) -> None:
    with world.client("admin") as admin:
        assert admin.get("/api/v1/recordings", params=query).status_code == 422


def test_bad_ids_and_retention(world: World) -> None:
    with world.client("admin") as admin:
        assert admin.get("/api/v1/recordings/abc").status_code == 422
        assert admin.get("/api/v1/recordings/99999999").status_code == 404
        assert admin.put("/api/v1/recordings/retention", json={"days": 30}).status_code == 422
        assert admin.get("/api/v1/recordings/retention").json() == {
            "days": 90,
            "choices": [90, 365],
        }
