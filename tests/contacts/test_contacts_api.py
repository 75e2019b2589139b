"""`/api/v1/contacts` used and attacked: a user's personal contacts, the admin's company
directory, search and pages, and every way to reach what is not yours (a colleague's personal
contacts, another tenant's, the company directory as a non-admin)."""

from __future__ import annotations

from typing import Any

from tests.contacts.conftest import Api


def _new(client: Any, **body: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/contacts", json=body)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def test_without_a_token_every_route_is_401(api: Api) -> None:
    with api.client() as anonymous:
        assert anonymous.get("/api/v1/contacts").status_code == 401
        assert anonymous.get("/api/v1/contacts/1").status_code == 401
        assert anonymous.post("/api/v1/contacts", json={}).status_code == 401
        assert anonymous.put("/api/v1/contacts/1", json={}).status_code == 401
        assert anonymous.delete("/api/v1/contacts/1").status_code == 401
        assert anonymous.post("/api/v1/contacts/import", content=b"x").status_code == 401


def test_a_personal_contact_is_stored_in_e164_and_found_by_name_company_and_number(
    api: Api,
) -> None:
    with api.client("1002") as agent:
        made = _new(
            agent,
            name="Petra de Vries",
            company="Bakkerij Zoet",
            numbers=["020 - 555 01 23", "+31 (0)6 1234 5678", "0205550123"],
            email="petra@zoet.example",
        )
        assert made["scope"] == "personal"
        assert made["numbers"] == ["+31205550123", "+31612345678"]
        for q in ("petra", "ZOET", "020 555", "612345", "zoet.example"):
            items = agent.get("/api/v1/contacts", params={"q": q}).json()["items"]
            assert [c["id"] for c in items] == [made["id"]], q
        assert agent.get("/api/v1/contacts", params={"q": "nobody"}).json() == {
            "total": 0,
            "items": [],
        }
        changed = agent.put(
            f"/api/v1/contacts/{made['id']}", json={"name": "Petra Zoet", "numbers": ["0205550124"]}
        )
        assert changed.status_code == 200 and changed.json()["numbers"] == ["+31205550124"]
        assert agent.get("/api/v1/contacts", params={"q": "5550123"}).json()["total"] == 0
        assert agent.delete(f"/api/v1/contacts/{made['id']}").status_code == 204
        assert agent.get(f"/api/v1/contacts/{made['id']}").status_code == 404


def test_bad_input_is_refused_with_the_field_named(api: Api) -> None:
    with api.client("1003") as agent:
        for body, field in (
            ({"name": "X", "numbers": ["not a number"]}, "numbers"),
            ({"name": "X", "numbers": ["0201234567"], "email": "no-at-sign"}, "email"),
            ({"name": "   ", "numbers": ["0201234567"]}, "name"),
        ):
            answer = agent.post("/api/v1/contacts", json=body)
            assert answer.status_code == 422, body
            assert answer.json()["detail"]["field"] == field
        assert agent.post("/api/v1/contacts", json={"name": "X", "numbers": []}).status_code == 422
        assert agent.post("/api/v1/contacts", json={"name": "X"}).status_code == 422
        extra = {"name": "X", "numbers": ["0201234567"], "owner": "1004"}
        assert agent.post("/api/v1/contacts", json=extra).status_code == 422
        assert agent.get("/api/v1/contacts", params={"limit": 0}).status_code == 422
        assert agent.get("/api/v1/contacts", params={"limit": 201}).status_code == 422
        assert agent.get("/api/v1/contacts/0").status_code == 422


def test_the_company_directory_is_the_admins_and_everyones_to_read(api: Api) -> None:
    with api.client("admin") as admin, api.client("1004") as agent:
        company = _new(admin, name="Gemeente Loket", numbers=["14 020"], scope="company")
        assert company["scope"] == "company"
        listed = agent.get("/api/v1/contacts", params={"q": "loket"}).json()["items"]
        assert [c["id"] for c in listed] == [company["id"]]
        refused = agent.post(
            "/api/v1/contacts", json={"name": "X", "numbers": ["0201234567"], "scope": "company"}
        )
        assert refused.status_code == 403
        body = {"name": "Hacked", "numbers": ["0201234567"]}
        assert agent.put(f"/api/v1/contacts/{company['id']}", json=body).status_code == 403
        assert agent.delete(f"/api/v1/contacts/{company['id']}").status_code == 403
        assert agent.get(f"/api/v1/contacts/{company['id']}").json()["name"] == "Gemeente Loket"


def test_a_colleagues_personal_contacts_are_never_readable_nor_changeable(api: Api) -> None:
    with api.client("1005") as owner, api.client("1006") as colleague, api.client("admin") as admin:
        secret = _new(owner, name="Dokter Jansen", numbers=["0301234567"], note="private")
        for client in (colleague, admin):  # not even the tenant's admin
            assert client.get(f"/api/v1/contacts/{secret['id']}").status_code == 404
            body = {"name": "Hacked", "numbers": ["0201234567"]}
            assert client.put(f"/api/v1/contacts/{secret['id']}", json=body).status_code == 404
            assert client.delete(f"/api/v1/contacts/{secret['id']}").status_code == 404
            for q in ("jansen", "0301234567", "private"):
                listed = client.get("/api/v1/contacts", params={"q": q}).json()["items"]
                assert secret["id"] not in [c["id"] for c in listed]
        assert owner.get(f"/api/v1/contacts/{secret['id']}").json()["name"] == "Dokter Jansen"


def test_another_tenant_never_reaches_this_tenants_contacts(api: Api) -> None:
    with api.client("admin") as admin, api.client("acmeadmin") as acme:
        company = _new(admin, name="Demo Leverancier", numbers=["0401234567"], scope="company")
        body = {"name": "Hacked", "numbers": ["0201234567"]}
        assert acme.get(f"/api/v1/contacts/{company['id']}").status_code == 404
        assert acme.put(f"/api/v1/contacts/{company['id']}", json=body).status_code == 404
        assert acme.delete(f"/api/v1/contacts/{company['id']}").status_code == 404
        assert acme.get("/api/v1/contacts", params={"q": "leverancier"}).json()["total"] == 0
        own = _new(acme, name="Acme Partner", numbers=["0401234567"], scope="company")
        assert admin.get(f"/api/v1/contacts/{own['id']}").status_code == 404
        assert admin.get("/api/v1/contacts", params={"q": "acme"}).json()["total"] == 0


def test_the_list_is_paginated_by_name(api: Api) -> None:
    with api.client("1007") as agent:
        for i in range(5):
            _new(agent, name=f"Page Person {4 - i}", numbers=[f"010123450{i}"])
        first = agent.get("/api/v1/contacts", params={"q": "page person", "limit": 2}).json()
        rest = agent.get(
            "/api/v1/contacts", params={"q": "page person", "limit": 2, "offset": 2}
        ).json()
        assert first["total"] == rest["total"] == 5
        names = [c["name"] for c in first["items"] + rest["items"]]
        assert names == [f"Page Person {i}" for i in range(4)]


def test_an_api_token_reads_the_directory_only_and_writes_nothing(api: Api) -> None:
    with api.client("admin") as admin, api.client("1001") as agent:
        company = _new(admin, name="Api Leverancier", numbers=["0501234567"], scope="company")
        own = _new(agent, name="Api Privé", numbers=["0501234568"])
        created = admin.post("/api/v1/api-tokens", json={"name": "crm plugin"})
        assert created.status_code == 201, created.text
        secret = created.json()["token"]
    with api.client() as plugin:
        plugin.headers["Authorization"] = f"Bearer {secret}"
        listed = plugin.get("/api/v1/contacts", params={"q": "api "}).json()["items"]
        assert [c["id"] for c in listed] == [company["id"]]
        assert plugin.get(f"/api/v1/contacts/{own['id']}").status_code == 404
        body = {"name": "X", "numbers": ["0201234567"]}
        assert plugin.post("/api/v1/contacts", json=body).status_code == 403
        assert plugin.put(f"/api/v1/contacts/{company['id']}", json=body).status_code == 403
        assert plugin.delete(f"/api/v1/contacts/{company['id']}").status_code == 403


def test_the_list_keeps_one_kind_when_asked(api: Api) -> None:
    """`scope=company` is the directory alone (the admin portal's page), `scope=personal` the
    user's own; neither ever shows a colleague's."""
    with api.client("1008") as agent, api.client("1009") as colleague, api.client("admin") as admin:
        mine = _new(agent, name="Kind Mine", numbers=["0701234567"])
        _new(colleague, name="Kind Theirs", numbers=["0701234568"])
        company = _new(admin, name="Kind Company", numbers=["0701234569"], scope="company")

        def ids(client: Any, scope: str) -> list[int]:
            params = {"q": "kind ", "scope": scope}
            return [c["id"] for c in client.get("/api/v1/contacts", params=params).json()["items"]]

        assert ids(agent, "company") == [company["id"]]
        assert ids(agent, "personal") == [mine["id"]]
        assert ids(admin, "personal") == []
        assert agent.get("/api/v1/contacts", params={"scope": "everyone"}).status_code == 422
