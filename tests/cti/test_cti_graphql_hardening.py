"""Issue 19, production mode of /graphql, attacked over real HTTP against the running app: no
GraphiQL or introspection unless in development, no raw exception text in answers, and no
parsing of oversized documents."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from cti.app import create_app
from tests.cti.cti_clients import error_codes, graphql, login
from tests.cti.cti_server import ThreadServer
from tests.cti.cti_world import World

INTROSPECTION = (
    "{ __schema { types { name } } }",
    '{ __type(name: "Mutation") { fields { name } } }',
)
HTML = {"Accept": "text/html"}


@pytest.fixture
async def dev_server(world: World) -> AsyncIterator[ThreadServer]:
    """The same app with `OPENCC_DEV=1`."""
    settings = dataclasses.replace(world.server.app.state.services.settings, dev_mode=True)
    server = ThreadServer(create_app(settings))
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_no_graphiql_and_no_introspection_in_production(world: World) -> None:
    base = world.server.base_url
    async with httpx.AsyncClient(base_url=base) as http:
        ide = await http.get("/graphql", headers=HTML)
    assert ide.status_code == 404 and "graphiql" not in ide.text.lower()
    token = await login(base, "admin", "pwadmin")
    for document in INTROSPECTION:
        answer = await graphql(base, token, document)
        assert answer.get("data") is None
        assert "introspection has been disabled" in answer["errors"][0]["message"]


async def test_development_flag_turns_graphiql_and_introspection_on(
    dev_server: ThreadServer,
) -> None:
    async with httpx.AsyncClient(base_url=dev_server.base_url) as http:
        ide = await http.get("/graphql", headers=HTML)
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()
    token = await login(dev_server.base_url, "admin", "pwadmin")
    answer = await graphql(dev_server.base_url, token, INTROSPECTION[1])
    names = {f["name"] for f in answer["data"]["__type"]["fields"]}
    assert "monitorCall" in names


async def test_internal_errors_reach_clients_only_as_an_error_id(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "connection to redis://:hunter2@10.1.2.3:6379 refused"
    world.control.refuse["hold_call"] = RuntimeError(secret)
    token = await login(world.server.base_url, "1001", "pw1001")
    with caplog.at_level(logging.ERROR, logger="cti.graphql_api.guards"):
        answer = await graphql(
            world.server.base_url, token, 'mutation { holdCall(callId: "a-1001") { accepted } }'
        )
    assert "hunter2" not in str(answer) and "RuntimeError" not in str(answer)
    [error] = answer["errors"]
    match = re.fullmatch(r"internal error \(error id ([0-9a-f]{16})\)", error["message"])
    assert match is not None
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "errorId": match[1]}
    [record] = [r for r in caplog.records if match[1] in r.getMessage()]
    assert record.exc_info is not None and str(record.exc_info[1]) == secret
    # Our own refusals still say why.
    world.control.refuse.clear()
    ok = 'mutation { holdCall(callId: "a-1004") { accepted } }'
    assert error_codes(await graphql(world.server.base_url, token, ok)) == ["FORBIDDEN"]


async def test_oversized_documents_are_refused_before_parsing(world: World) -> None:
    base = world.server.base_url
    limit = world.server.app.state.services.settings.max_document_chars
    token = await login(base, "admin", "pwadmin")
    query = "{ callCenters { id } }\n#"
    # A comment pads a valid document up to the limit: accepted.
    at_limit = query + "x" * (limit - len(query))
    assert "errors" not in await graphql(base, token, at_limit)
    # One character more is refused without being parsed: unbalanced braces, which the parser
    # would report as a syntax error, get the size refusal instead.
    for document in (at_limit + "x", "{" * (limit + 1), "{ callCenters { id } }" * 50_000):
        answer = await graphql(base, token, document)
        assert error_codes(answer) == ["DOCUMENT_TOO_LARGE"]
        message = answer["errors"][0]["message"]
        assert message == (
            f"GraphQL document of {len(document)} characters; at most {limit} are accepted"
        )
