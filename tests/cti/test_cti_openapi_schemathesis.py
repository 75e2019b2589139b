"""A short schemathesis run against the live OpenAPI spec: every REST operation, generated
inputs, real HTTP; no 5xx, and responses that match the documented statuses and schemas."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok

from tests.cti.cti_clients import login
from tests.cti.cti_world import World

EXAMPLES_PER_OPERATION = 10

# Operations whose schema-valid inputs may still be refused with 400 by a rule OpenAPI cannot
# state (a report range must run forwards, span at most 366 days and make at most 10,000 interval
# rows). Every other check (no 5xx, documented statuses, response schemas, negative data refused)
# still runs on them.
CROSS_FIELD_RULES = {
    f"GET /api/v1/reports/{path}"
    for path in (
        "call-centers",
        "call-centers/intervals",
        "agents",
        "usage",
        "export",
        "groups",
        "groups/export",
    )
} | {
    "POST /api/v1/report-schedules",  # the call centers named must exist (422 otherwise)
    "PUT /api/v1/tenants/{tenant}/announcements/{name}",  # the bytes must decode as audio
    "POST /api/v1/what-if",  # the call center must exist (404), a synthetic day open before close
    # A contact's numbers must be phone numbers; an import's rows valid contacts (422 otherwise).
    "POST /api/v1/contacts",
    "PUT /api/v1/contacts/{contact_id}",
    "POST /api/v1/contacts/import",
    "PUT /api/v1/tenants/{tenant}/hoteling/{extension}",  # the user's profile has HotelingHost
    # Speed dial slots, alternate numbers and a ringback's announcement must exist, be free in
    # the tenant and be in the user's profile (422 naming the slot, the place, the field).
    "PATCH /api/v1/tenants/{tenant}/users/{username}/speed-dial",
    "PATCH /api/v1/me/speed-dial",
    "PUT /api/v1/tenants/{tenant}/users/{username}/alternate-numbers",
    "PUT /api/v1/tenants/{tenant}/users/{username}/custom-ringback",
    "PUT /api/v1/me/custom-ringback",
}

SIGN_OUT_EVERYWHERE = "POST /api/v1/auth/revoke"

# An announcement is uploaded as the file itself: send the bytes the schema generates.
for _media_type in ("audio/wav", "audio/mpeg"):
    schemathesis.serializer.alias(_media_type, "application/octet-stream")
# A contacts import is the vCard or CSV text itself.
for _media_type in ("text/vcard", "text/x-vcard", "text/directory", "text/csv"):
    schemathesis.serializer.alias(_media_type, "text/plain")


def _run(base_url: str, token: str) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    checked: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    # Signing out everywhere revokes the token every other operation runs with: fuzz it last.
    operations.sort(key=lambda operation: operation.label == SIGN_OUT_EVERYWHERE)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Case[Any]) -> None:
            excluded = (
                [positive_data_acceptance] if case.operation.label in CROSS_FIELD_RULES else []
            )
            case.call_and_validate(
                base_url=base_url,
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=excluded,
            )

        check()
        checked.append(operation.label)
    return checked


async def test_rest_api_conforms_to_its_openapi_spec(world: World) -> None:
    token = await login(world.server.base_url, "admin", "pwadmin")
    checked = await asyncio.to_thread(_run, world.server.base_url, token)
    assert "POST /api/v1/calls" in checked
    assert "GET /api/v1/screen-pop" in checked
    assert "POST /api/v1/auth/token" in checked
    assert checked[-1] == SIGN_OUT_EVERYWHERE  # fuzzed too, after every other operation
    assert set(checked) >= CROSS_FIELD_RULES
