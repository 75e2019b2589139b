"""The admin API under attack and under load: bad JSON, wrong types, huge and SQL-ish strings,
duplicate keys, another tenant's ids; CSV import; the 3.6 buyout answered with 409."""

from __future__ import annotations

import pytest

from tests.provisioning.api_world import OTHER, ApiWorld

DEMO = "demo"
USERS = f"/api/v1/tenants/{DEMO}/users"
HEADER = "username,name,extension,sip_password,profile,roles,call_center,supervisor\n"


def body(username: str, extension: str, **extra: object) -> dict[str, object]:
    return {
        "username": username,
        "name": "Attack",
        "extension": extension,
        "password": "web-password",
        "sip_password": "sip-password",
        "profile": "kantoor",
        **extra,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"extension": 1001}, "extension"),
        ({"extension": "10a1"}, "extension"),
        ({"profile": "platinum"}, "profile"),
        ({"roles": ["agent", "root"]}, "roles"),
        ({"roles": "admin"}, "roles"),
        ({"licences": {"call_center": "gold"}}, "licences"),
        ({"licences": {"supervisor": 1}}, "licences"),
        ({"name": "x" * 100_000}, "name"),
        ({"username": "x" * 65}, "username"),
        ({"username": "Robert'); DROP TABLE prov_users;--"}, "username"),
        ({"password": "short"}, "password"),
        ({"language": "kl"}, "language"),
        ({"tenant": OTHER}, "tenant"),
        ({"name": "bell\x07"}, "name"),
    ],
)
def test_bad_user_fields_are_refused_with_the_field(
    world: ApiWorld, change: dict[str, object], field: str
) -> None:
    answer = world["admin"].post(USERS, json={**body("attacker", "6666"), **change})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    named = detail["field"] if isinstance(detail, dict) else detail[0]["loc"][1]
    assert named == field
    assert len(answer.text) < 2_000  # the huge input is not echoed back
    assert world["admin"].get(f"{USERS}/attacker").status_code == 404


def test_malformed_bodies_are_422_not_500(world: ApiWorld) -> None:
    admin = world["admin"]
    headers = {"Content-Type": "application/json"}
    for raw in (b"{", b"[]", b"null", b'"x"', b"\xff\xfe", b'{"username": }'):
        assert admin.post(USERS, content=raw, headers=headers).status_code == 422, raw
    # Duplicate keys: JSON's last one wins, and it is validated like any other.
    duplicated = b'{"username": "dup", "username": "Bad Name!", "name": "D", "extension": "6010",'
    duplicated += (
        b'"password": "web-password", "sip_password": "sip-password", "profile": "kantoor"}'
    )
    answer = admin.post(USERS, content=duplicated, headers=headers)
    assert (answer.status_code, answer.json()["detail"]["field"]) == (422, "username")


def test_sql_ish_strings_are_just_text(world: ApiWorld) -> None:
    name = "O'Brien\"; DELETE FROM prov_users WHERE '1'='1"
    made = world["admin"].post(USERS, json=body("obrien", "6020", name=name))
    assert (made.status_code, made.json()["name"]) == (201, name)
    assert world["admin"].get(f"{USERS}/obrien").json()["name"] == name
    odd_path = world["admin"].get(f"{USERS}/x' OR '1'='1")
    assert odd_path.status_code == 404
    odd_tenant = world["admin"].get("/api/v1/tenants/demo' OR 1=1--/users")
    assert odd_tenant.status_code in (403, 404, 422)


def test_another_tenants_ids_do_not_leak(world: ApiWorld) -> None:
    made = world["acme_admin"].post(f"/api/v1/tenants/{OTHER}/users", json=body("acme-x", "6030"))
    assert made.status_code == 201
    # The acme user does not exist in demo, even by its exact name.
    assert world["admin"].get(f"{USERS}/acme-x").status_code == 404
    assert world["admin"].patch(f"{USERS}/acme-x", json={"name": "Mine"}).status_code == 404
    assert world["admin"].delete(f"{USERS}/acme-x").status_code == 404
    # Routing one of demo's numbers to acme's extension: no such destination in demo.
    block = {"first": "+31205558000", "size": 10}
    assert world["admin"].post(f"/api/v1/tenants/{DEMO}/number-blocks", json=block).is_success
    routed = world["admin"].post(
        f"/api/v1/tenants/{DEMO}/numbers", json={"number": "+31205558001", "destination": "6030"}
    )
    assert (routed.status_code, routed.json()["detail"]["field"]) == (422, "destination")
    stolen = world["acme_admin"].post(
        f"/api/v1/tenants/{OTHER}/numbers", json={"number": "+31205558002", "destination": "6030"}
    )
    assert (stolen.status_code, stolen.json()["detail"]["field"]) == (422, "number")


def test_csv_dry_run_reports_every_bad_row_and_a_real_run_imports_nothing(
    world: ApiWorld,
) -> None:
    admin, url = world["admin"], f"{USERS}/import"
    rows = (
        "csv1,Csv One,6101,sip-secret-1,kantoor,agent,premium,no\n"
        "csv2,Csv Two,6102,sip-secret-2,vergaderzaal,agent,basic,no\n"
        "csv3,Csv Three,6103,short,kantoor,agent,,no\n"
        "csv4,Csv Four,6101,sip-secret-4,kantoor,agent,,no\n"
        "csv5,Csv Five,6105,sip-secret-5,kantoor,agent;supervisor,,no\n"
    )
    headers = {"Content-Type": "text/csv"}
    dry = admin.post(url, params={"dry_run": "true"}, content=HEADER + rows, headers=headers)
    assert (dry.status_code, dry.json()["rows"], dry.json()["imported"]) == (200, 5, 0), dry.text
    assert [(e["line"], e["field"]) for e in dry.json()["errors"]] == [
        (2, "extension"),
        (3, "profile"),
        (4, "sip_password"),
        (5, "extension"),
        (6, "licences.supervisor"),
    ]
    real = admin.post(url, params={"dry_run": "false"}, content=HEADER + rows, headers=headers)
    assert (real.status_code, real.json()["detail"]["reason"]) == (422, "nothing imported")
    assert admin.get(f"{USERS}/csv1").status_code == 404
    good = "".join(
        f"csv{n},Csv {n},{n},sip-secret-{n},kantoor,agent,,no\n" for n in range(6201, 6351)
    )
    done = admin.post(url, params={"dry_run": "false"}, content=HEADER + good, headers=headers)
    assert (done.status_code, done.json()["imported"], done.json()["errors"]) == (200, 150, [])
    assert admin.get(f"{USERS}/csv6350").json()["web_sign_in"] is False
    binary = admin.post(url, content=b"\xff\xfe\x00", headers=headers)
    assert (binary.status_code, binary.json()["detail"]["field"]) == (422, "body")
    huge = admin.post(url, content=b"x" * (1 << 20 + 1), headers=headers)
    assert huge.status_code == 413


def test_a_cancellation_beyond_the_free_share_answers_409_with_the_buyout(world: ApiWorld) -> None:
    created = world["operator"].post(
        "/api/v1/tenants",
        json={
            "id": "flex",
            "name": "Flex B.V.",
            "sip_domain": "flex.test",
            "contract_start": "2025-01-15",
            "contract_profiles": 6,
        },
    )
    assert created.status_code == 201, created.text
    base = "/api/v1/tenants/flex/users"
    for n in range(7101, 7108):
        assert world["operator"].post(base, json=body(f"flex{n}", str(n))).status_code == 201
    assert world["operator"].delete(f"{base}/flex7101").json()["buyout_cents"] == 0
    asked = world["operator"].delete(f"{base}/flex7102")
    assert asked.status_code == 409
    detail = asked.json()["detail"]
    assert (detail["field"], detail["buyout_cents"] > 0) == ("confirm_buyout", True)
    assert world["operator"].get(f"{base}/flex7102").status_code == 200
    paid = world["operator"].delete(f"{base}/flex7102", params={"confirm_buyout": "true"})
    assert (paid.status_code, paid.json()["buyout_cents"]) == (200, detail["buyout_cents"])
