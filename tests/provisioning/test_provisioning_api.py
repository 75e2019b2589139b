"""The admin API end to end over HTTP: tenants, users, numbers, call centers, schedules,
import, audit log; and the tenant wall, for every route."""

from __future__ import annotations

import pytest

from tests.provisioning.api_world import OTHER, ApiWorld

DEMO = "demo"


def user(username: str, extension: str, **extra: object) -> dict[str, object]:
    return {
        "username": username,
        "name": f"User {extension}",
        "extension": extension,
        "password": f"web-{username}-secret",
        "sip_password": f"sip-{extension}-secret",
        "profile": "kantoor",
        **extra,
    }


def test_operator_creates_a_tenant_and_its_admin_reads_it(world: ApiWorld) -> None:
    body = {"id": "bakker", "name": "Bakker & Zn", "sip_domain": "bakker.test"}
    assert world["operator"].post("/api/v1/tenants", json=body).status_code == 201
    again = world["operator"].post("/api/v1/tenants", json={**body, "sip_domain": "other.test"})
    assert (again.status_code, again.json()["detail"]["field"]) == (409, "id")
    domain = world["operator"].post("/api/v1/tenants", json={**body, "id": "bakker2"})
    assert (domain.status_code, domain.json()["detail"]["field"]) == (409, "sip_domain")
    assert world["admin"].post("/api/v1/tenants", json={**body, "id": "x"}).status_code == 403
    demo = world["admin"].get(f"/api/v1/tenants/{DEMO}")
    assert (demo.status_code, demo.json()["sip_domain"]) == (200, "127.0.0.1")
    assert world["operator"].get("/api/v1/tenants/nobody").status_code == 404
    # Only the operator lists the companies: a tenant's admin never learns the others' names.
    listed = world["operator"].get("/api/v1/tenants", params={"limit": 1, "offset": 0})
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] >= 2 and len(listed.json()["items"]) == 1
    ids = [t["id"] for t in world["operator"].get("/api/v1/tenants").json()["items"]]
    assert "bakker" in ids and ids == sorted(ids)
    for who in ("admin", "supervisor", "agent", "acme_admin"):
        assert world[who].get("/api/v1/tenants").status_code == 403, who


def test_two_tenants_share_extension_1001_and_call_center_7001(world: ApiWorld) -> None:
    licence = {"licences": {"call_center": "basic"}}
    for who, tenant, name in (("admin", DEMO, "ann"), ("acme_admin", OTHER, "ann-acme")):
        made = world[who].post(
            f"/api/v1/tenants/{tenant}/users", json=user(name, "1001", **licence)
        )
        assert made.status_code == 201, made.text
        center = {"number": "7001", "name": "Helpdesk", "tier": "basic", "agents": ["1001"]}
        made = world[who].post(f"/api/v1/tenants/{tenant}/call-centers", json=center)
        assert made.status_code == 201, made.text
    # Within one tenant the numbering plan is one: an extension may not reuse 7001.
    clash = world["admin"].post(f"/api/v1/tenants/{DEMO}/users", json=user("cc", "7001"))
    assert (clash.status_code, clash.json()["detail"]["field"]) == (409, "extension")
    # Usernames are platform-wide.
    taken = world["acme_admin"].post(f"/api/v1/tenants/{OTHER}/users", json=user("ann", "1009"))
    assert (taken.status_code, taken.json()["detail"]["field"]) == (409, "username")


def test_user_crud_with_pages(world: ApiWorld) -> None:
    admin, base = world["admin"], f"/api/v1/tenants/{DEMO}/users"
    for n in range(2001, 2008):
        assert admin.post(base, json=user(f"u{n}", str(n))).status_code == 201
    page = admin.get(base, params={"limit": 3, "offset": 1}).json()
    assert (page["total"] >= 7, len(page["items"]), page["limit"], page["offset"]) == (
        True,
        3,
        3,
        1,
    )
    got = admin.get(f"{base}/u2001").json()
    assert (got["extension"], got["profile"], got["web_sign_in"]) == ("2001", "kantoor", True)
    assert "password" not in str(got).replace("web_sign_in", "")
    changed = admin.patch(f"{base}/u2001", json={"name": "Renamed", "roles": ["agent", "admin"]})
    assert (changed.status_code, changed.json()["name"]) == (200, "Renamed")
    assert sorted(changed.json()["roles"]) == ["admin", "agent"]
    moved = admin.patch(f"{base}/u2001", json={"extension": "2099"})
    assert (moved.status_code, moved.json()["detail"]["field"]) == (422, "sip_password")
    vergaderzaal = admin.patch(
        f"{base}/u2002", json={"profile": "vergaderzaal", "licences": {"supervisor": True}}
    )
    assert vergaderzaal.status_code == 422
    assert "vergaderzaal profile" in vergaderzaal.json()["detail"]["reason"]
    gone = admin.delete(f"{base}/u2003")
    assert (gone.status_code, gone.json()["buyout_cents"]) == (200, 0)
    assert admin.get(f"{base}/u2003").status_code == 404


def test_numbers_must_lie_in_the_tenants_blocks(world: ApiWorld) -> None:
    admin = world["admin"]
    base = f"/api/v1/tenants/{DEMO}"
    assert admin.post(f"{base}/users", json=user("nina", "3001")).status_code == 201
    block = admin.post(f"{base}/number-blocks", json={"first": "+31205550100", "size": 100})
    assert block.json() == {"first": "+31205550100", "last": "+31205550199", "size": 100}
    overlap = world["acme_admin"].post(
        f"/api/v1/tenants/{OTHER}/number-blocks", json={"first": "+31205550150", "size": 10}
    )
    assert overlap.status_code == 409
    ok = admin.post(f"{base}/numbers", json={"number": "+31205550101", "destination": "3001"})
    assert ok.status_code == 201, ok.text
    again = admin.post(f"{base}/numbers", json={"number": "+31205550101", "destination": "3001"})
    assert again.status_code == 409
    outside = admin.post(f"{base}/numbers", json={"number": "+31205550200", "destination": "3001"})
    assert (outside.status_code, outside.json()["detail"]["field"]) == (422, "number")
    nowhere = admin.post(f"{base}/numbers", json={"number": "+31205550102", "destination": "9999"})
    assert (nowhere.status_code, nowhere.json()["detail"]["field"]) == (422, "destination")
    # A user's voicemail box: the user must be one of the tenant's (a call center has none).
    for bad in ("voicemail:9999", "voicemail:", "voicemail:7001", "voicemail:" + "1" * 14):
        refused = admin.post(f"{base}/numbers", json={"number": "+31205550103", "destination": bad})
        assert (refused.status_code, refused.json()["detail"]["field"]) == (422, "destination")
    too_long = {"number": "+31205550103", "destination": "voicemail:" + "1" * 15}
    assert admin.post(f"{base}/numbers", json=too_long).status_code == 422
    box = {"number": "+31205550103", "destination": "voicemail:3001"}
    assert admin.post(f"{base}/numbers", json=box).status_code == 201
    other = world["acme_admin"].post(f"/api/v1/tenants/{OTHER}/numbers", json=box)
    assert other.status_code == 422  # not acme's number, not acme's user
    # A user a number routes to cannot be removed until the number goes elsewhere.
    assert admin.delete(f"{base}/users/nina").status_code == 409
    numbers = admin.get(f"{base}/numbers").json()
    assert [n["number"] for n in numbers] == ["+31205550101", "+31205550103"]


def test_call_centers_take_every_engine_setting_and_patch_live(world: ApiWorld) -> None:
    admin, base = world["acme_admin"], f"/api/v1/tenants/{OTHER}"
    for n in ("1101", "1102"):
        body = user(f"acme-{n}", n, licences={"call_center": "premium"})
        assert admin.post(f"{base}/users", json=body).status_code == 201
    hours = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]
    assert admin.put(f"{base}/schedules/office", json={"hours": hours}).status_code == 200
    calendar = admin.put(f"{base}/holiday-calendars/nl", json={"extra_dates": ["2026-12-24"]})
    assert (calendar.status_code, calendar.json()["data"]["country"]) == (200, "NL")
    center = {
        "number": "7003",
        "name": "Service",
        "tier": "premium",
        "agents": ["1101", {"extension": "1102", "weight": 3}],
        "max_waiters": 525,
        "wrap_up_seconds": 10,
        "night_service": {
            "schedule": "office",
            "holidays": "nl",
            "night_treatment": {"action": "transfer", "destination": "7001"},
        },
        "media": {"comfort_bypass": {"threshold_seconds": 30}},
    }
    made = admin.post(f"{base}/call-centers", json=center)
    assert made.status_code == 201, made.text
    patched = admin.patch(f"{base}/call-centers/7003", json={"max_waiters": 40})
    assert (patched.status_code, patched.json()["settings"]["max_waiters"]) == (200, 40)
    assert patched.json()["settings"]["media"] == {"comfort_bypass": {"threshold_seconds": 30}}
    too_many = admin.patch(f"{base}/call-centers/7003", json={"max_waiters": 526})
    assert (too_many.status_code, too_many.json()["detail"]["field"]) == (422, "max_waiters")
    basic = admin.patch(f"{base}/call-centers/7003", json={"tier": "basic", "max_waiters": None})
    assert basic.status_code == 422 and "PREMIUM" in basic.json()["detail"]["reason"]
    assert admin.get(f"{base}/call-centers/7003").json()["settings"]["max_waiters"] == 40
    overlap = admin.put(
        f"{base}/schedules/office",
        json={"hours": [*hours, {"weekday": 0, "start": "17:00", "end": "19:00"}]},
    )
    assert (overlap.status_code, overlap.json()["detail"]["field"]) == (422, "hours[5]")
    days = admin.get(f"{base}/holiday-calendars/nl/days", params={"year": 2026}).json()
    assert {"day": "2026-04-27", "name": "King's Day"} in days
    assert {"day": "2026-12-24", "name": "nl"} in days
    names = {(s["kind"], s["name"]) for s in admin.get(f"{base}/schedules").json()}
    assert names == {("weekly", "office"), ("holidays", "nl")}


def test_supervisor_reads_and_agent_sees_nothing(world: ApiWorld) -> None:
    base = f"/api/v1/tenants/{DEMO}"
    assert world["supervisor"].get(f"{base}/users").status_code == 200
    assert world["supervisor"].post(f"{base}/users", json=user("sv", "4001")).status_code == 403
    assert world["supervisor"].get(f"{base}/audit-log").status_code == 403
    assert world["agent"].get(f"{base}/users").status_code == 403
    assert world.anonymous.get(f"{base}/users").status_code == 401


def test_every_change_is_in_the_audit_log_without_secrets(world: ApiWorld) -> None:
    admin, base = world["admin"], f"/api/v1/tenants/{DEMO}"
    assert admin.post(f"{base}/users", json=user("audited", "5001")).status_code == 201
    assert admin.patch(f"{base}/users/audited", json={"password": "new-web-secret"}).is_success
    log = admin.get(f"{base}/audit-log", params={"limit": 2}).json()
    latest, created = log["items"]
    assert (latest["action"], latest["key"], latest["actor"]) == ("update", "audited", "admin")
    assert latest["after"]["password_changed"] is True
    assert (created["action"], created["before"], created["after"]["extension"]) == (
        "create",
        None,
        "5001",
    )
    assert "secret" not in str(log)
    assert log["total"] > 2


def test_a_users_intercept_is_the_admins_and_stays_in_its_tenant(world: ApiWorld) -> None:
    made = world["acme_admin"].post(f"/api/v1/tenants/{OTHER}/users", json=user("ic-acme", "1071"))
    assert made.status_code == 201, made.text
    assert world["admin"].post(f"/api/v1/tenants/{DEMO}/users", json=user("ic", "1071")).is_success
    base, on = f"/api/v1/tenants/{DEMO}/users", {"enabled": True, "alternate": "1001"}
    # Another tenant's user through the admin's own tenant: nobody here.
    assert world["admin"].put(f"{base}/ic-acme/intercept", json=on).status_code == 404
    bad = world["admin"].put(f"{base}/ic/intercept", json={**on, "alternate": "1071"})
    assert (bad.status_code, bad.json()["detail"]["field"]) == (422, "alternate")
    # The user's supervisor reads, never switches it (an administrator's service).
    assert world["supervisor"].put(f"{base}/ic/intercept", json=on).status_code == 403
    assert world["admin"].put(f"{base}/ic/intercept", json=on).status_code == 200
    assert world["supervisor"].get(f"{base}/ic/intercept").json()["alternate"] == "1001"
    log = world["admin"].get(f"/api/v1/tenants/{DEMO}/audit-log", params={"limit": 1}).json()
    assert (log["items"][0]["key"], log["items"][0]["after"]["enabled"]) == ("ic", True)


# Every route under /api/v1/tenants/{tenant}, with a body valid enough to reach authorization.
ROUTES: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/api/v1/tenants/{tenant}", None),
    ("GET", "/api/v1/tenants/{tenant}/users", None),
    ("POST", "/api/v1/tenants/{tenant}/users", user("intruder", "6001")),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}", None),
    ("PATCH", "/api/v1/tenants/{tenant}/users/{username}", {"name": "Hacked"}),
    ("DELETE", "/api/v1/tenants/{tenant}/users/{username}", None),
    ("POST", "/api/v1/tenants/{tenant}/users/{username}/activation", None),
    ("POST", "/api/v1/tenants/{tenant}/users/import", None),
    ("GET", "/api/v1/tenants/{tenant}/audit-log", None),
    ("POST", "/api/v1/tenants/{tenant}/number-blocks", {"first": "+31205559000", "size": 10}),
    ("GET", "/api/v1/tenants/{tenant}/number-blocks", None),
    ("POST", "/api/v1/tenants/{tenant}/numbers", {"number": "+31205559001", "destination": "1001"}),
    ("GET", "/api/v1/tenants/{tenant}/numbers", None),
    (
        "POST",
        "/api/v1/tenants/{tenant}/call-centers",
        {"number": "7009", "name": "X", "tier": "basic"},
    ),
    ("GET", "/api/v1/tenants/{tenant}/call-centers", None),
    ("GET", "/api/v1/tenants/{tenant}/call-centers/{number}", None),
    ("PATCH", "/api/v1/tenants/{tenant}/call-centers/{number}", {"name": "Hacked"}),
    ("PUT", "/api/v1/tenants/{tenant}/schedules/{name}", {"hours": []}),
    ("PUT", "/api/v1/tenants/{tenant}/holiday-calendars/{name}", {}),
    ("GET", "/api/v1/tenants/{tenant}/schedules", None),
    ("GET", "/api/v1/tenants/{tenant}/holiday-calendars/{name}/days?year=2026", None),
    ("GET", "/api/v1/tenants/{tenant}/calling-plan", None),
    ("PUT", "/api/v1/tenants/{tenant}/calling-plan", {"denied": []}),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/calling-plan", None),
    ("PUT", "/api/v1/tenants/{tenant}/users/{username}/calling-plan", {"hide_number": True}),
    ("GET", "/api/v1/tenants/{tenant}/incoming-calling-plan", None),
    ("PUT", "/api/v1/tenants/{tenant}/incoming-calling-plan", {"external": False}),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/incoming-calling-plan", None),
    ("PUT", "/api/v1/tenants/{tenant}/users/{username}/incoming-calling-plan", {"internal": False}),
    ("GET", "/api/v1/tenants/{tenant}/intercept", None),
    ("PUT", "/api/v1/tenants/{tenant}/intercept", {"enabled": True}),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/intercept", None),
    ("PUT", "/api/v1/tenants/{tenant}/users/{username}/intercept", {"enabled": True}),
    ("POST", "/api/v1/tenants/{tenant}/trunks", {"name": "X", "host": "192.0.2.99"}),
    ("GET", "/api/v1/tenants/{tenant}/trunks", None),
    ("GET", "/api/v1/tenants/{tenant}/trunks/registrations", None),
    ("GET", "/api/v1/tenants/{tenant}/alerts", None),
    ("DELETE", "/api/v1/tenants/{tenant}/trunks/{trunk_id}", None),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/services", None),
    ("PATCH", "/api/v1/tenants/{tenant}/users/{username}/services", {"do_not_disturb": True}),
    ("GET", "/api/v1/tenants/{tenant}/announcements", None),
    ("PUT", "/api/v1/tenants/{tenant}/announcements/{name}", {}),
    ("GET", "/api/v1/tenants/{tenant}/announcements/{name}", None),
    ("DELETE", "/api/v1/tenants/{tenant}/announcements/{name}", None),
    ("GET", "/api/v1/tenants/{tenant}/groups", None),
    ("GET", "/api/v1/tenants/{tenant}/groups/{number}", None),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/groups/{number}",
        {"kind": "hunt_group", "name": "x", "settings": {}},
    ),
    ("DELETE", "/api/v1/tenants/{tenant}/groups/{number}", None),
    ("POST", "/api/v1/tenants/{tenant}/groups/{number}/members", {"extension": "1001"}),
    ("DELETE", "/api/v1/tenants/{tenant}/groups/{number}/members/{extension}", None),
    ("PUT", "/api/v1/tenants/{tenant}/groups/{number}/night-forwarding", {"on": True}),
    ("GET", "/api/v1/tenants/{tenant}/conference-rooms", None),
    ("GET", "/api/v1/tenants/{tenant}/conference-rooms/{number}", None),
    (
        "POST",
        "/api/v1/tenants/{tenant}/conference-rooms",
        {
            "number": "8300",
            "name": "R",
            "pin": "1234",
            "moderator_pin": "9999",
            "max_participants": 3,
        },
    ),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/conference-rooms/{number}",
        {"name": "R", "pin": "1234", "moderator_pin": "9999", "max_participants": 3},
    ),
    ("DELETE", "/api/v1/tenants/{tenant}/conference-rooms/{number}", None),
    ("GET", "/api/v1/tenants/{tenant}/conference-licence", None),
    ("PUT", "/api/v1/tenants/{tenant}/conference-licence", {"participants": 20}),
    ("GET", "/api/v1/tenants/{tenant}/belmenu-buttons", None),
    (
        "POST",
        "/api/v1/tenants/{tenant}/belmenu-buttons",
        {"label": "x", "destination": "1001", "origins": ["https://x.example"]},
    ),
    ("GET", "/api/v1/tenants/{tenant}/belmenu-buttons/{button}", None),
    (
        "PUT",
        "/api/v1/tenants/{tenant}/belmenu-buttons/{button}",
        {"label": "x", "destination": "1001", "origins": ["https://x.example"]},
    ),
    ("DELETE", "/api/v1/tenants/{tenant}/belmenu-buttons/{button}", None),
    ("GET", "/api/v1/tenants/{tenant}/hoteling", None),
    ("PUT", "/api/v1/tenants/{tenant}/hoteling/{extension}", {"max_minutes": 60}),
    ("DELETE", "/api/v1/tenants/{tenant}/hoteling/{extension}", None),
    ("POST", "/api/v1/tenants/{tenant}/hoteling/{extension}/sign-out", None),
    ("GET", "/api/v1/tenants/{tenant}/managers", None),
    ("PUT", "/api/v1/tenants/{tenant}/managers/{extension}", {"assistants": ["1002"]}),
    ("DELETE", "/api/v1/tenants/{tenant}/managers/{extension}", None),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/services/selective", None),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/services/selective/{kind}", None),
    ("PUT", "/api/v1/tenants/{tenant}/users/{username}/services/selective/{kind}", {"rules": []}),
    ("GET", "/api/v1/tenants/{tenant}/pickup-groups", None),
    ("GET", "/api/v1/tenants/{tenant}/pickup-groups/{name}", None),
    ("PUT", "/api/v1/tenants/{tenant}/pickup-groups/{name}", {"members": ["1001"]}),
    ("DELETE", "/api/v1/tenants/{tenant}/pickup-groups/{name}", None),
    ("GET", "/api/v1/tenants/{tenant}/intercom/{extension}", None),
    ("PUT", "/api/v1/tenants/{tenant}/intercom/{extension}", {"accept": True}),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/speed-dial", None),
    ("PATCH", "/api/v1/tenants/{tenant}/users/{username}/speed-dial", {"2": "1002"}),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/alternate-numbers", None),
    ("PUT", "/api/v1/tenants/{tenant}/users/{username}/alternate-numbers", {"numbers": []}),
    ("GET", "/api/v1/tenants/{tenant}/users/{username}/custom-ringback", None),
    ("PUT", "/api/v1/tenants/{tenant}/users/{username}/custom-ringback", {"announcement": None}),
]


def test_the_route_table_covers_every_tenant_route(world: ApiWorld) -> None:
    paths = world.anonymous.get("/openapi.json").json()["paths"]
    mounted = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/tenants/{tenant}")
        for method in operations
    }
    assert mounted == {(method, path.partition("?")[0]) for method, path, _ in ROUTES}


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_a_tenant_admin_never_reaches_another_tenant(
    world: ApiWorld, method: str, path: str, body: dict[str, object] | None
) -> None:
    url = path.format(tenant=OTHER, username="ann-acme", number="7001", name="office", trunk_id=1,
                      extension="1001", button="AAAAAAAAAAAAAAAA", kind="forwarding")  # fmt: skip
    before = world["acme_admin"].get(f"/api/v1/tenants/{OTHER}/audit-log").json()["total"]
    answer = world["admin"].request(method, url, json=body)
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"]["field"] == "tenant"
    after = world["acme_admin"].get(f"/api/v1/tenants/{OTHER}/audit-log").json()["total"]
    assert after == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_a_supervisor_may_only_read_its_own_tenant(
    world: ApiWorld, method: str, path: str, body: dict[str, object] | None
) -> None:
    url = path.format(
        tenant=DEMO,
        username="ann",
        number="7001",
        name="office",
        trunk_id=1,
        extension="1001",
        button="AAAAAAAAAAAAAAAA",
        kind="forwarding",
    )
    answer = world["supervisor"].request(method, url, json=body)
    readable = method == "GET" and not path.endswith("audit-log")
    assert (answer.status_code != 403) == readable, answer.text
