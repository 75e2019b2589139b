"""`OPENCC_WEBRTC_ICE_SERVERS` (cti/ice_servers.py, docs/webrtc.md "TURN and STUN"): the
STUN/TURN servers handed to browser phones. What a browser would refuse (and so fail every
call) is refused at the start with a message naming the setting; the product does not start."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from cti.ice_servers import MAX_ICE_SERVERS, IceServer, IceServersError, parse_ice_servers
from cti.product import ProductSettings, run_product
from cti.product_checks import ProductError
from tests.pbx_core.support import free_port, free_sip_port

TURN = {"urls": ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"],
        "username": "opencc", "credential": "s3cret"}  # fmt: skip


def test_none_by_default_and_the_browsers_shapes_are_taken() -> None:
    assert parse_ice_servers("") == ()
    assert parse_ice_servers("  ") == ()
    servers = parse_ice_servers(json.dumps([{"urls": "stun:stun.example.com:3478"}, TURN]))
    assert servers == (
        IceServer(urls=["stun:stun.example.com:3478"]),  # one URL as a string: a list of one
        IceServer.model_validate(TURN),
    )
    assert servers[0].model_dump() == {
        "urls": ["stun:stun.example.com:3478"],
        "username": None,
        "credential": None,
    }


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("turn:x", "is not JSON"),
        ('{"urls": "stun:x"}', "must be a JSON array"),
        (json.dumps([{"urls": "stun:x"}] * (MAX_ICE_SERVERS + 1)), f"at most {MAX_ICE_SERVERS}"),
        ('["stun:x"]', "server 1: server: Input should be a valid dictionary"),
        ('[{"urls": []}]', "server 1: urls: Value error, urls is empty"),
        ('[{"urls": "http://x"}]', "'http://x' is no stun:, stuns:, turn: or turns: URL"),
        ('[{"urls": "stun:"}]', "'stun:' is no stun:"),
        ('[{"urls": "stun:x"}, {"urls": "turn:x"}]', "server 2: server: Value error, a TURN"),
        ('[{"urls": "turn:x", "username": "u"}]', "needs username and credential"),
        ('[{"urls": "stun:x", "credentialType": "oauth"}]', "credentialType: Extra inputs"),
        ('[{"urls": 5}]', "urls: Input should be a valid list"),
    ],
)
def test_what_a_browser_would_refuse_is_refused_with_the_settings_name(
    setting: str, reason: str
) -> None:
    with pytest.raises(IceServersError, match=r"^OPENCC_WEBRTC_ICE_SERVERS") as refused:
        parse_ice_servers(setting)
    assert reason in str(refused.value)


def test_a_malformed_setting_stops_the_start(tmp_path: Path) -> None:
    settings = ProductSettings(
        http_port=free_port(socket.SOCK_STREAM),
        sip_port=free_sip_port(),
        var_dir=tmp_path / "var",
        webrtc_ice_servers='[{"urls": "turn:turn.example.com"}]',
    )
    with pytest.raises(ProductError, match=r"OPENCC_WEBRTC_ICE_SERVERS.*needs username"):
        asyncio.run(run_product(settings))
    assert not (tmp_path / "var").exists()  # refused before anything was made


def test_the_product_reads_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCC_WEBRTC_ICE_SERVERS", json.dumps([TURN]))
    assert ProductSettings.from_env(demo=True).webrtc_ice_servers == json.dumps([TURN])
    monkeypatch.delenv("OPENCC_WEBRTC_ICE_SERVERS")
    assert ProductSettings.from_env(demo=True).webrtc_ice_servers == ""
