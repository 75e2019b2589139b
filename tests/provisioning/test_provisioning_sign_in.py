"""Users made through the admin API sign in at once, over HTTP, with the roles they were given,
into their own tenant; a deleted user or an old password no longer signs in."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cti.principal import Role
from cti.tokens import TokenSigner
from tests.cti.cti_server import TOKEN_SECRET
from tests.provisioning.api_world import OTHER, ApiWorld

DEMO = "demo"


def new_user(username: str, extension: str, password: str, **extra: object) -> dict[str, object]:
    return {
        "username": username,
        "name": f"User {extension}",
        "extension": extension,
        "password": password,
        "sip_password": f"sip-{extension}-secret",
        "profile": "kantoor",
        **extra,
    }


def sign_in(world: ApiWorld, username: str, password: str) -> httpx.Response:
    return world.anonymous.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )


def signed_in(world: ApiWorld, username: str, password: str) -> httpx.Client:
    answer = sign_in(world, username, password)
    assert answer.status_code == 200, answer.text
    client = world.anonymous
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def test_a_provisioned_admin_signs_in_into_its_own_tenant_only(world: ApiWorld) -> None:
    made = world["acme_admin"].post(
        f"/api/v1/tenants/{OTHER}/users",
        json=new_user("acme-boss", "1201", "boss-secret-1", roles=["admin", "agent"]),
    )
    assert made.status_code == 201, made.text
    boss = signed_in(world, "acme-boss", "boss-secret-1")
    principal = TokenSigner(TOKEN_SECRET).verify(boss.headers["Authorization"].split()[1]).principal
    assert (principal.tenant, principal.role, principal.extension) == (OTHER, Role.ADMIN, "1201")
    # Its admin role acts in its tenant, and the tenant wall holds for the demo tenant.
    again = boss.post(
        f"/api/v1/tenants/{OTHER}/users", json=new_user("acme-ann", "1202", "ann-secret-12")
    )
    assert again.status_code == 201, again.text
    assert boss.get(f"/api/v1/tenants/{DEMO}/users").status_code == 403
    # `name@tenant` does not reach a provisioned user in another tenant's name.
    assert sign_in(world, f"acme-boss@{DEMO}", "boss-secret-1").status_code == 401


def test_roles_as_given_an_agent_may_not_provision_a_supervisor_may_read(world: ApiWorld) -> None:
    admin, base = world["admin"], f"/api/v1/tenants/{DEMO}/users"
    agent = new_user("si-agent", "1301", "agent-secret-1", licences={"call_center": "basic"})
    boss = new_user(
        "si-boss", "1302", "boss-secret-2", roles=["supervisor"], licences={"supervisor": True}
    )
    for body in (agent, boss):
        assert admin.post(base, json=body).status_code == 201
    as_agent = signed_in(world, "si-agent", "agent-secret-1")
    as_supervisor = signed_in(world, "si-boss", "boss-secret-2")
    assert as_agent.get(base).status_code == 403
    assert as_supervisor.get(base).status_code == 200
    assert as_supervisor.post(base, json=new_user("x1", "1303", "x-secret-123")).status_code == 403
    token = as_supervisor.headers["Authorization"].split()[1]
    assert TokenSigner(TOKEN_SECRET).verify(token).principal.role is Role.SUPERVISOR


def test_a_changed_password_or_a_deleted_user_no_longer_signs_in(world: ApiWorld) -> None:
    admin, base = world["admin"], f"/api/v1/tenants/{DEMO}/users"
    for n in range(1402, 1408):  # a company keeps at least 5 profiles (3.6)
        assert admin.post(base, json=new_user(f"si-{n}", str(n), "some-secret")).status_code == 201
    assert admin.post(base, json=new_user("si-carl", "1401", "first-secret")).status_code == 201
    assert sign_in(world, "si-carl", "first-secret").status_code == 200
    assert sign_in(world, "si-carl", "wrong-secret").status_code == 401
    changed = admin.patch(f"{base}/si-carl", json={"password": "second-secret"})
    assert changed.status_code == 200, changed.text
    assert sign_in(world, "si-carl", "first-secret").status_code == 401
    assert sign_in(world, "si-carl", "second-secret").status_code == 200
    gone = admin.delete(f"{base}/si-carl", params={"confirm_buyout": "true"})
    assert gone.status_code == 200, gone.text
    assert sign_in(world, "si-carl", "second-secret").status_code == 401


def test_a_user_imported_without_a_password_cannot_sign_in(world: ApiWorld) -> None:
    csv = "username,name,extension,sip_password,profile\nsi-dora,Dora,1501,sip-secret-15,kantoor\n"
    imported = world["admin"].post(
        f"/api/v1/tenants/{DEMO}/users/import",
        params={"dry_run": "false"},
        content=csv,
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    for guess in ("!", "x", "sip-secret-15"):
        assert sign_in(world, "si-dora", guess).status_code == 401


def test_every_login_costs_one_scrypt_run_known_or_not(
    world: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = world["acme_admin"].post(
        f"/api/v1/tenants/{OTHER}/users", json=new_user("acme-kim", "1203", "kim-secret-12")
    )
    assert made.status_code == 201, made.text
    runs: list[bytes] = []
    real_scrypt: Callable[..., bytes] = hashlib.scrypt

    def counting_scrypt(password: bytes, **kwargs: Any) -> bytes:
        runs.append(password)
        return real_scrypt(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    # Provisioned, known only to cti's own users, and nobody's: one check each, so the time
    # an answer takes does not tell which names exist or where.
    for username in ("acme-kim", "admin", "nobody-at-all"):
        runs.clear()
        assert sign_in(world, username, "guess").status_code == 401
        assert runs == [b"guess"], username


def test_a_password_or_role_change_ends_the_users_sessions_a_name_change_does_not(
    world: ApiWorld,
) -> None:
    admin, base = world["admin"], f"/api/v1/tenants/{DEMO}/users"
    assert admin.post(base, json=new_user("si-eve", "1601", "eve-secret-1")).status_code == 201

    def still_signed_in(client: httpx.Client) -> bool:
        answer = client.get("/api/v1/screen-pop", params={"number": "+31201234567"})
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200

    eve = signed_in(world, "si-eve", "eve-secret-1")
    assert still_signed_in(eve)
    assert admin.patch(f"{base}/si-eve", json={"name": "Eve Renamed"}).status_code == 200
    assert still_signed_in(eve)
    assert admin.patch(f"{base}/si-eve", json={"password": "eve-secret-2"}).status_code == 200
    assert not still_signed_in(eve)
    eve = signed_in(world, "si-eve", "eve-secret-2")
    promoted = admin.patch(
        f"{base}/si-eve", json={"roles": ["supervisor"], "licences": {"supervisor": True}}
    )
    assert promoted.status_code == 200, promoted.text
    assert not still_signed_in(eve)  # its token still says agent: sign in again
    token = signed_in(world, "si-eve", "eve-secret-2").headers["Authorization"].split()[1]
    assert TokenSigner(TOKEN_SECRET).verify(token).principal.role is Role.SUPERVISOR
