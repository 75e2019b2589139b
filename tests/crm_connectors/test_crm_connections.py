"""Admin-configured connections without the product: sealing (key from the environment, a wrong
key or altered text refused), body checks as an attacker would probe them, the stored row and
back, and the rotated-token and health hooks on a real database."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_connectors.config import ExactOnlineConfig
from crm_connectors.connections import (
    ConnectionRefused,
    check_resolved_urls,
    config_of,
    parse_connection,
    persist_refresh_tokens,
    record_sync_outcome,
    split,
    tenant_config,
)
from crm_connectors.sealing import KEY_ENV, Sealer, SealingError, new_key
from crm_connectors.secrets import Secret
from cti.passwords import hash_password
from cti.provisioning_demo import demo_tenant_spec
from provisioning.crm_connections import CrmConnectionStore, Health
from provisioning.db import migrate
from provisioning.service import ProvisioningService

EXACT = {
    "kind": "exact_online",
    "division": 7,
    "client_id": "c",
    "client_secret": "very-secret",
    "refresh_token": "refresh-0",
}


def test_sealed_secrets_open_only_with_their_key() -> None:
    sealer = Sealer(new_key())
    sealed = sealer.seal({"client_secret": "very-secret"})
    assert "very-secret" not in sealed
    assert sealer.open(sealed) == {"client_secret": "very-secret"}
    with pytest.raises(SealingError, match="another"):
        Sealer(new_key()).open(sealed)
    with pytest.raises(SealingError, match="altered"):
        sealer.open(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))
    with pytest.raises(SealingError, match=KEY_ENV):
        Sealer.from_env({})
    with pytest.raises(SealingError, match="not a Fernet key"):
        Sealer("short")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"kind": "mainframe"}, "unknown connector kind"),
        ({**EXACT, "division": "7 OR 1=1"}, "division: wrong type"),
        ({**EXACT, "division": True}, "division: wrong type"),
        ({**EXACT, "client_id": ["c"]}, "client_id: wrong type"),
        ({**EXACT, "extra": 1}, "unknown exact_online settings"),
        ({**EXACT, "base_url": "http://start.exactonline.nl"}, "https only"),
        ({**EXACT, "base_url": "https://127.0.0.1:6379"}, "not a public address"),
        ({**EXACT, "base_url": "https://[::1]/"}, "not a public address"),
        ({**EXACT, "base_url": "https://10.1.2.3"}, "not a public address"),
        ({**EXACT, "base_url": "https://169.254.169.254"}, "not a public address"),
        ({**EXACT, "base_url": "https://localhost"}, "not a public host"),
        # Legacy IPv4 spellings the resolver takes as addresses, not names.
        ({**EXACT, "base_url": "https://127.1"}, "not a public address"),
        ({**EXACT, "base_url": "https://2130706433"}, "not a public address"),
        ({**EXACT, "base_url": "https://0x7f.1:6379"}, "not a public address"),
        ({**EXACT, "base_url": "https://"}, "a URL with a host"),
        (
            {"kind": "sql", "url": "sqlite:////srv/opencc/var/opencc.db", "list_query": "SELECT 1",
             "mapping": {"id": "id", "name": "name"}},
            "a network database",
        ),
        (
            {"kind": "rest", "lookup_url": "https://crm.example/{number}",
             "mapping": {"id": "id", "name": "name", "phones": [1]}},
            "mapping.phones",
        ),
        (
            {"kind": "rest", "lookup_url": "https://crm.example/{number}", "mapping": "id"},
            "dictionary update",
        ),
    ],
)  # fmt: skip
def test_hostile_bodies_are_refused_with_the_reason(body: dict[str, object], reason: str) -> None:
    with pytest.raises(ConnectionRefused, match=reason):
        parse_connection("x", body, environ={})


def test_a_public_looking_name_that_resolves_to_the_server_itself_is_refused_on_save() -> None:
    own_name = socket.gethostname()  # /etc/hosts maps it to loopback on these machines
    resolved = socket.getaddrinfo(own_name, 443, type=socket.SOCK_STREAM)[0][4][0]
    assert not ipaddress.ip_address(resolved).is_global, "the test needs a name for this machine"
    config = parse_connection("x", {**EXACT, "base_url": f"https://{own_name}:6379"}, environ={})
    with pytest.raises(ConnectionRefused, match="resolves to a non-public address"):
        asyncio.run(check_resolved_urls(config, environ={}))
    listed = {"OPENCC_CRM_HTTP_HOSTS": own_name}  # the operator's own choice stands
    asyncio.run(
        check_resolved_urls(
            parse_connection("x", {**EXACT, "base_url": f"https://{own_name}"}, environ=listed),
            environ=listed,
        )
    )


def test_listed_hosts_may_use_plain_http() -> None:
    body = {**EXACT, "base_url": "http://127.0.0.1:9000"}
    config = parse_connection("exact", body, environ={"OPENCC_CRM_HTTP_HOSTS": "127.0.0.1"})
    assert isinstance(config, ExactOnlineConfig) and config.base_url == "http://127.0.0.1:9000"
    with pytest.raises(ConnectionRefused, match="http or https"):
        parse_connection("exact", {**body, "base_url": "ftp://127.0.0.1"},
                         environ={"OPENCC_CRM_HTTP_HOSTS": "127.0.0.1"})  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> CrmConnectionStore:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'prov.db'}")
    migrate(engine)
    ProvisioningService(engine, hash_password).ensure_tenant("test", demo_tenant_spec("acme"))
    return CrmConnectionStore(engine)


def test_a_stored_connection_keeps_rotated_tokens_and_its_health(store: CrmConnectionStore) -> None:
    sealer = Sealer(new_key())
    config = parse_connection("exact", EXACT, environ={})
    settings, secrets = split(config)
    assert "very-secret" not in str(settings) and secrets["client_secret"] == "very-secret"
    store.put("acme", "exact", config.kind, settings, sealer.seal(secrets), actor="admin",
              now=datetime.now(UTC))  # fmt: skip
    stored = store.get("acme", "exact")
    assert stored is not None and stored.health is Health.UNKNOWN
    assert "very-secret" not in stored.sealed
    assert config_of(stored, sealer) == config

    persist_refresh_tokens(store, sealer)("acme", "exact", Secret("refresh-1"))
    loaded = tenant_config(store, sealer, "acme")
    assert loaded is not None
    [exact] = loaded.connectors
    assert isinstance(exact, ExactOnlineConfig) and exact.refresh_token == Secret("refresh-1")

    record = record_sync_outcome(store)
    record("acme", "exact", None, "auth: invalid_grant")
    failed = store.get("acme", "exact")
    assert failed is not None and failed.health is Health.ERROR
    assert failed.last_error == "auth: invalid_grant" and failed.records is None
    record("acme", "exact", 12, None)
    healthy = store.get("acme", "exact")
    assert healthy is not None and healthy.health is Health.OK and healthy.records == 12

    # A key change: that row is left out and marked, never taking the tenant's others down.
    assert tenant_config(store, Sealer(new_key()), "acme") is None
    marked = store.get("acme", "exact")
    assert marked is not None and marked.health is Health.ERROR
