"""Login, token checks and API tokens over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt

from cti.passwords import TEST_COST
from cti.principal import Principal, Role
from cti.tokens import TokenSigner
from cti.users import UserDirectory, make_engine
from tests.cti.cti_clients import graphql, login
from tests.cti.cti_server import TOKEN_SECRET
from tests.cti.cti_world import World


async def test_login_returns_a_bearer_token(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        ok = await http.post("/api/v1/auth/token", json={"username": "1001", "password": "pw1001"})
        wrong = await http.post("/api/v1/auth/token", json={"username": "1001", "password": "x"})
        nobody = await http.post("/api/v1/auth/token", json={"username": "zz", "password": "x"})
        malformed = await http.post("/api/v1/auth/token", json={"username": 5})
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "bearer"
    claims = jwt.decode(ok.json()["access_token"], TOKEN_SECRET, algorithms=["HS256"])
    assert (claims["tenant"], claims["role"], claims["ext"]) == ("demo", "agent", "1001")
    assert wrong.status_code == 401
    assert nobody.status_code == 401
    assert malformed.status_code == 422


async def test_supervisor_token_names_its_call_centers(world: World) -> None:
    token = await login(world.server.base_url, "supervisor", "pwsupervisor")
    claims = jwt.decode(token, TOKEN_SECRET, algorithms=["HS256"])
    assert claims["role"] == "supervisor"
    assert claims["ccs"] == ["7001", "7002", "7003"]


async def test_tenant_qualified_login(world: World) -> None:
    token = await login(world.server.base_url, "1001@acme", "pwacme1001")
    assert jwt.decode(token, TOKEN_SECRET, algorithms=["HS256"])["tenant"] == "acme"


async def test_expired_and_forged_tokens_are_refused(world: World) -> None:
    principal = Principal("demo", "admin", Role.ADMIN)
    expired = TokenSigner(TOKEN_SECRET, ttl_seconds=10).issue(principal, now=time.time() - 60)
    forged = TokenSigner("another-secret-that-is-long-enough-0123").issue(principal)
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        for token, reason in ((expired, "token expired"), (forged, "invalid token")):
            response = await http.get(
                "/api/v1/api-tokens", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401
            assert response.json()["detail"] == reason
        assert (await http.get("/api/v1/api-tokens")).status_code == 401
    body = await graphql(world.server.base_url, expired, "{ agents { extension } }")
    assert body["errors"][0]["message"] == "token expired"
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_admin_manages_api_tokens_of_its_tenant_only(world: World) -> None:
    base = world.server.base_url
    admin = await login(base, "admin", "pwadmin")
    agent = await login(base, "1002", "pw1002")
    acme_admin = await login(base, "admin@acme", "pwacmeadmin")
    async with httpx.AsyncClient(base_url=base) as http:
        as_agent = await http.post(
            "/api/v1/api-tokens", json={"name": "crm"}, headers={"Authorization": f"Bearer {agent}"}
        )
        assert as_agent.status_code == 403
        created = await http.post(
            "/api/v1/api-tokens", json={"name": "crm"}, headers={"Authorization": f"Bearer {admin}"}
        )
        assert created.status_code == 201
        api_token = created.json()["token"]
        token_id = created.json()["id"]

        # The CRM plugin uses it for REST and GraphQL, within the demo tenant.
        pop = await http.get(
            "/api/v1/screen-pop",
            params={"number": "+31201234567"},
            headers={"Authorization": f"Bearer {api_token}"},
        )
        assert pop.status_code == 200
        assert pop.json()["records"][0]["name"] == "Jansen Installatietechniek B.V."
        body = await graphql(base, api_token, "{ callCenters { id } }")
        assert [c["id"] for c in body["data"]["callCenters"]] == ["7001", "7002", "7003"]

        # Another tenant's admin neither sees nor revokes it.
        acme_list = await http.get(
            "/api/v1/api-tokens", headers={"Authorization": f"Bearer {acme_admin}"}
        )
        assert acme_list.json() == []
        acme_revoke = await http.delete(
            f"/api/v1/api-tokens/{token_id}", headers={"Authorization": f"Bearer {acme_admin}"}
        )
        assert acme_revoke.status_code == 404

        listed = await http.get("/api/v1/api-tokens", headers={"Authorization": f"Bearer {admin}"})
        assert [(t["name"], t["revoked"]) for t in listed.json()] == [("crm", False)]
        revoked = await http.delete(
            f"/api/v1/api-tokens/{token_id}", headers={"Authorization": f"Bearer {admin}"}
        )
        assert revoked.status_code == 204
        after = await http.get(
            "/api/v1/screen-pop",
            params={"number": "+31201234567"},
            headers={"Authorization": f"Bearer {api_token}"},
        )
        assert after.status_code == 401


def test_sqlite_database_directory_is_created(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'nested' / 'var' / 'opencc.db'}"
    directory = UserDirectory(make_engine(database_url), TEST_COST)
    directory.create_tables()
    directory.add_user("demo", "x", "pwx", Role.AGENT, extension="1099")
    assert directory.authenticate("demo", "x", "pwx") is not None
    assert directory.authenticate("demo", "x", "wrong") is None
