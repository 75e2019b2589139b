from __future__ import annotations

import logging
import pickle

import pytest

from crm_connectors.config import (
    AfasConfig,
    ExactOnlineConfig,
    FieldMapping,
    GenericRestConfig,
    GenericSqlConfig,
    SalesforceConfig,
    TenantCrmConfig,
    public_dict,
)
from crm_connectors.kinds import connector_config_from_dict, tenant_config_from_dict
from crm_connectors.secrets import Secret

TOKEN = "s3cr3t-value-never-shown"


def tenant_config() -> TenantCrmConfig:
    return TenantCrmConfig(
        tenant="t1",
        connectors=(
            SalesforceConfig("sf", "https://x.my.salesforce.com", "cid", Secret(TOKEN)),
            ExactOnlineConfig("exact", 1, "cid", Secret(TOKEN), Secret(TOKEN)),
            AfasConfig("afas", "https://1.rest.afas.online", "Crm_Phones", Secret(TOKEN)),
            GenericRestConfig(
                "rest",
                "https://crm/x?p={number}",
                FieldMapping("id", "n"),
                auth_value=Secret(TOKEN),
            ),
            GenericSqlConfig(
                "sql", Secret(f"postgresql://u:{TOKEN}@h/db"), FieldMapping("id", "n")
            ),
        ),
    )


def test_secrets_never_in_repr_str_or_format() -> None:
    config = tenant_config()
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in f"{config.connectors[0].client_secret}"  # type: ignore[union-attr]


def test_secrets_never_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("config %s %r", tenant_config(), tenant_config())
    assert TOKEN not in caplog.text


def test_public_dict_omits_secrets_and_names_them() -> None:
    data = public_dict(tenant_config())
    assert TOKEN not in repr(data)
    by_name = {c["name"]: c for c in data["connectors"]}
    assert by_name["sf"]["secrets_set"] == ["client_secret"]
    assert by_name["exact"]["secrets_set"] == ["client_secret", "refresh_token"]
    assert by_name["sql"]["secrets_set"] == ["url"]
    assert by_name["afas"]["kind"] == "afas"
    assert by_name["rest"]["mapping"]["id"] == "id"


def test_secrets_refuse_pickling() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(TOKEN))


def test_reveal_gives_the_value() -> None:
    assert Secret(TOKEN).reveal() == TOKEN


def test_config_from_plain_json_wraps_secrets() -> None:
    data = {
        "tenant": "t1",
        "connectors": [
            {
                "kind": "rest",
                "name": "rest",
                "lookup_url": "https://crm/x?p={number}",
                "mapping": {"id": "id", "name": "n", "phones": ["tel", "mob"]},
                "auth_value": TOKEN,
            },
            {
                "kind": "salesforce",
                "name": "sf",
                "instance_url": "https://x",
                "client_id": "c",
                "client_secret": TOKEN,
            },
        ],
    }
    config = tenant_config_from_dict(data)
    rest = config.connector("rest")
    assert isinstance(rest, GenericRestConfig)
    assert rest.auth_value == Secret(TOKEN) and rest.mapping.phones == ("tel", "mob")
    assert TOKEN not in repr(config)
    assert public_dict(config)["connectors"][1]["secrets_set"] == ["client_secret"]


def test_config_from_json_refuses_unknown_kinds_and_keys() -> None:
    with pytest.raises(ValueError):
        connector_config_from_dict({"kind": "hubspot", "name": "x"})
    with pytest.raises(ValueError):
        connector_config_from_dict(
            {
                "kind": "afas",
                "name": "a",
                "base_url": "u",
                "get_connector": "g",
                "token": "t",
                "tokne": "typo",
            }
        )
