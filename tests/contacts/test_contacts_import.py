"""Imports of vCard 3.0/4.0 and CSV: the parser's strictness, and the API's dry run (every bad
row reported), all-or-nothing import and size limits."""

from __future__ import annotations

from provisioning.contacts_import import MAX_UPLOAD_BYTES, ImportFormat, parse_upload
from tests.contacts.conftest import Api

VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Bakker;Anna;;;\r\nFN:Anna Bakker\r\n"
    "ORG:Bakker & Zn\\, Utrecht;Sales\r\nTEL;TYPE=WORK,VOICE:030 123 4567\r\n"
    "TEL;TYPE=CELL:+31 6 1111 2222\r\nEMAIL;TYPE=INTERNET:anna@bakker.example\r\n"
    "NOTE:Calls on\\nMondays\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bram\r\n  Smit\r\n"
    'TEL;VALUE=uri;TYPE="voice,work":tel:+32-2-555-1234\r\n'
    "item1.EMAIL:bram@smit.example\r\nEND:VCARD\r\n"
)


def test_vcard_3_and_4_are_read() -> None:
    parsed = parse_upload(VCARDS.encode(), ImportFormat.VCARD)
    assert parsed.errors == []
    anna, bram = parsed.contacts
    assert (anna.name, anna.company, anna.numbers) == (
        "Anna Bakker",
        "Bakker & Zn, Utrecht",
        ("+31301234567", "+31611112222"),
    )
    assert (anna.email, anna.note) == ("anna@bakker.example", "Calls on\nMondays")
    assert (bram.name, bram.numbers, bram.email) == (
        "Bram Smit",
        ("+3225551234",),
        "bram@smit.example",
    )


def test_every_bad_card_is_reported_with_its_number() -> None:
    data = (
        "BEGIN:VCARD\nVERSION:2.1\nFN:Old\nTEL:0201234567\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Good\nTEL:0201234567\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:No number\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN;ENCODING=QUOTED-PRINTABLE:=41\nTEL:0201234567\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Unterminated\nTEL:0201234567\n"
    )
    parsed = parse_upload(data.encode(), ImportFormat.VCARD)
    assert [(e.row, e.field) for e in parsed.errors] == [
        (1, "version"),
        (3, "numbers"),
        (4, "fn"),
        (5, "card"),
    ]
    assert [c.name for c in parsed.contacts] == ["Good"]


def test_csv_with_a_header_and_several_phone_columns() -> None:
    data = (
        "Name,Company,Phone,Mobile,E-mail,Email,Note\n"
        'Carla,"Carla, BV",010 123 4567,,x,carla@example.org,"two\nlines"\n'
        "Dirk,,,06 2222 3333|06 2222 4444,,,\n"
    )
    parsed = parse_upload(data.encode(), ImportFormat.CSV)
    assert parsed.errors == []
    assert parsed.ignored_columns == ["e-mail"]
    carla, dirk = parsed.contacts
    assert (carla.company, carla.numbers, carla.email) == (
        "Carla, BV",
        ("+31101234567",),
        "carla@example.org",
    )
    assert carla.note == "two\nlines"
    assert dirk.numbers == ("+31622223333", "+31622224444")


def test_csv_bad_rows_and_headers_are_reported() -> None:
    assert [
        (e.row, e.field) for e in parse_upload(b"who,phone\nx,1\n", ImportFormat.CSV).errors
    ] == [(1, "header")]
    assert parse_upload(b"name,email\nx,a@b.c\n", ImportFormat.CSV).errors[0].field == "header"
    data = b"name,phone\nGood,0201234567\n,0201234567\nBad,12\nToo,0201234567,extra\n"
    parsed = parse_upload(data, ImportFormat.CSV)
    assert [(e.row, e.field) for e in parsed.errors] == [(3, "name"), (4, "numbers"), (5, "row")]
    assert parse_upload(b"\xff\xfe", ImportFormat.CSV).errors[0].field == "file"
    assert (
        parse_upload(b"name,phone\n", ImportFormat.CSV).errors[0].reason
        == "no contacts in the file"
    )


def test_the_api_dry_run_reports_and_a_bad_file_imports_nothing(api: Api) -> None:
    bad = b"name,phone\nGood One,0201234567\nBad,12\n,0201234568\n"
    with api.client("1008") as agent:
        headers = {"Content-Type": "text/csv"}
        dry = agent.post("/api/v1/contacts/import?dry_run=true", content=bad, headers=headers)
        assert dry.status_code == 200
        assert dry.json()["valid"] == 1 and dry.json()["imported"] == 0
        assert [(e["row"], e["field"]) for e in dry.json()["errors"]] == [
            (3, "numbers"),
            (4, "name"),
        ]
        real = agent.post("/api/v1/contacts/import", content=bad, headers=headers)
        assert real.status_code == 422
        assert len(real.json()["detail"]["errors"]) == 2
        assert agent.get("/api/v1/contacts", params={"q": "good one"}).json()["total"] == 0
        done = agent.post(
            "/api/v1/contacts/import",
            content=VCARDS.encode(),
            headers={"Content-Type": "text/vcard"},
        )
        assert done.status_code == 200 and done.json()["imported"] == 2
        assert agent.get("/api/v1/contacts", params={"q": "anna bakker"}).json()["total"] == 1
    with api.client("1009") as colleague:  # imported as 1008's personal contacts
        assert colleague.get("/api/v1/contacts", params={"q": "anna bakker"}).json()["total"] == 0


def test_the_api_refuses_big_unknown_and_unauthorised_imports(api: Api) -> None:
    good = b"name,phone\nImported Co,0201234567\n"
    with api.client("1010") as agent, api.client("admin") as admin:
        big = b"name,phone\n" + b"x" * MAX_UPLOAD_BYTES
        answer = agent.post(
            "/api/v1/contacts/import", content=big, headers={"Content-Type": "text/csv"}
        )
        assert answer.status_code == 413
        plain = agent.post(
            "/api/v1/contacts/import", content=good, headers={"Content-Type": "text/plain"}
        )
        assert plain.status_code == 415
        company = "/api/v1/contacts/import?scope=company"
        assert (
            agent.post(company, content=good, headers={"Content-Type": "text/csv"}).status_code
            == 403
        )
        made = admin.post(company, content=good, headers={"Content-Type": "text/csv"})
        assert made.status_code == 200 and made.json()["imported"] == 1
        listed = agent.get("/api/v1/contacts", params={"q": "imported co"}).json()["items"]
        assert [c["scope"] for c in listed] == ["company"]
