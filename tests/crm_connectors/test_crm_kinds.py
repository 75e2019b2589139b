"""The kinds registry: every registered kind parses from JSON and builds; others are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crm_connectors.connector import CrmConnector
from crm_connectors.factory import ConnectorFactory
from crm_connectors.kinds import KINDS, connector_config_from_dict

MAPPING = {"id": "id", "name": "name"}

#: The smallest valid JSON of each kind; a kind registered without one here fails the test below.
MINIMAL: dict[str, dict[str, Any]] = {
    "salesforce": {
        "instance_url": "https://x.my.salesforce.com",
        "client_id": "cid",
        "client_secret": "s",
    },
    "exact_online": {"division": 1, "client_id": "cid", "client_secret": "s", "refresh_token": "r"},
    "afas": {"base_url": "https://1.rest.afas.online", "get_connector": "Crm", "token": "t"},
    "rest": {"lookup_url": "https://crm.example/find?phone={number}", "mapping": MAPPING},
    "sql": {"url": "sqlite://", "mapping": MAPPING},
}


def test_every_registered_kind_has_an_example() -> None:
    assert set(MINIMAL) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_every_registered_kind_builds(kind: str) -> None:
    config = connector_config_from_dict({"kind": kind, "name": f"my-{kind}", **MINIMAL[kind]})
    assert isinstance(config, KINDS[kind])
    async with httpx.AsyncClient() as client:
        connector = ConnectorFactory().build("t1", config, client)
        try:
            assert isinstance(connector, CrmConnector)
            assert connector.name == f"my-{kind}"
        finally:
            await connector.aclose()


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError) as error:
        connector_config_from_dict({"kind": "hubspot", "name": "x"})
    assert str(error.value) == (
        f"unknown connector kind 'hubspot'; expected one of {sorted(KINDS)}"
    )


def test_a_missing_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown connector kind None"):
        connector_config_from_dict({"name": "x"})
