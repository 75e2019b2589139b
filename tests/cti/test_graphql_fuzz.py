"""hypothesis-graphql over the product's GraphQL schema (issue 19): queries and mutations generated
from the schema's SDL, valid ones and invalid ones, sent over HTTP to the running API with the
tokens of an agent and a supervisor of one tenant and a supervisor of another. Every answer is a
GraphQL answer (`data` and/or `errors`, never a 5xx), no error carries an exception's text or a
traceback, none is an internal error (an exception the code did not mean), and a tenant's token
never reads or commands the other tenant's call centers, calls or callers.

`OPENCC_GRAPHQL_FUZZ_EXAMPLES` sets the examples per token and mode: 50 in CI, 1,000 under
`make security`.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

import httpx
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, from_schema

from cti.graphql_api.schema import Mutation, Query
from tests.cti.cti_clients import login
from tests.cti.cti_world import DEMO, OTHER, World

EXAMPLES = int(os.environ.get("OPENCC_GRAPHQL_FUZZ_EXAMPLES", "50"))

# What only the other tenant's snapshot holds (tests/cti/cti_world.py): names, call ids, callers.
ONLY_IN = {
    DEMO: ("Helpdesk", "a-1001", "a-1004", "+31201234567", "+31205555555", "Jansen"),
    OTHER: ("Acme Support", "acme-call", "acme-w", "+4930111"),
}
# What an exception's text or a traceback looks like in a message.
LEAKS = ("Traceback", 'File "', ".py", "Error:", "Exception", " object at 0x", "sqlalchemy")


@dataclass(frozen=True)
class Account:
    tenant: str
    username: str
    password: str


ACCOUNTS = (
    Account(DEMO, "1001", "pw1001"),  # an agent
    Account(DEMO, "supervisor", "pwsupervisor"),
    Account(OTHER, "boss@acme", "pwboss"),  # the other tenant's supervisor
)


def _sdl() -> str:
    """The schema the API serves (queries and mutations; subscriptions run over WebSocket)."""
    return strawberry.Schema(query=Query, mutation=Mutation).as_str()


def check_answer(response: httpx.Response, tenant: str, document: str) -> None:
    """What any answer must be. A text the document itself holds (a generated string the answer
    may quote back) proves no leak, so it is not looked for."""
    assert response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict) and ({"data", "errors"} & body.keys()), body
    assert set(body) <= {"data", "errors", "extensions"}, body
    leaks = [leak for leak in LEAKS if leak not in document]
    for error in body.get("errors") or []:
        message = error["message"]
        assert isinstance(message, str) and message, error
        assert not any(leak in message for leak in leaks), error
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", error
        assert not {"exception", "stacktrace", "traceback"} & set(error.get("extensions", {}))
    other = next(name for name in ONLY_IN if name != tenant)
    foreign = [mark for mark in ONLY_IN[other] if mark not in document]
    assert not any(mark in response.text for mark in foreign), response.text


def _fuzz_one(http: httpx.Client, sdl: str, mode: Mode, token: str, tenant: str) -> int:
    """Send `EXAMPLES` generated documents with `token`; how many were answered."""
    sent = 0

    @given(document=from_schema(sdl, mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(document: Any) -> None:
        nonlocal sent
        response = http.post(
            "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"}
        )
        check_answer(response, tenant, str(document))
        sent += 1

    check()
    return sent


def _fuzz(world: World, tokens: dict[Account, str]) -> dict[str, int]:
    sdl = _sdl()
    sent: dict[str, int] = {}
    with httpx.Client(base_url=world.server.base_url, timeout=30) as http:
        for account, token in tokens.items():
            for mode in (Mode.POSITIVE, Mode.NEGATIVE):
                label = f"{account.tenant}/{account.username}/{mode.name}"
                commands_before = len(world.control.commands)
                sent[label] = _fuzz_one(http, sdl, mode, token, account.tenant)
                # Whatever the mutations asked for, the engine was told about this tenant only.
                commanded = {args["tenant"] for _, args in world.control.commands[commands_before:]}
                assert commanded <= {account.tenant}, (label, commanded)
    return sent


async def test_generated_graphql_gets_graphql_answers_within_the_tenant(world: World) -> None:
    tokens = {
        account: await login(world.server.base_url, account.username, account.password)
        for account in ACCOUNTS
    }
    sent = await asyncio.to_thread(_fuzz, world, tokens)
    assert len(sent) == 2 * len(ACCOUNTS)
    assert all(count >= 1 for count in sent.values()), sent
    assert world.control.commands, "no generated mutation reached the engine"
