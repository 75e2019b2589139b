"""`OPENCC_SIP_EDGE`: the Kamailios a product node sits behind (docs/deploy.md, "Kamailio"),
handed to its PBX as `PbxConfig.edge_proxies`; a bad address is refused with the setting named."""

from __future__ import annotations

import pytest

from cti.product import ProductSettings
from pbx_core.edge.kamailio import edge_addresses


def test_the_edge_is_a_list_of_host_and_port_and_unset_means_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert edge_addresses("127.0.0.1:5060, 10.0.0.2:5070", "OPENCC_SIP_EDGE") == (
        ("127.0.0.1", 5060),
        ("10.0.0.2", 5070),
    )
    assert edge_addresses(None, "OPENCC_SIP_EDGE") == edge_addresses("", "OPENCC_SIP_EDGE") == ()
    monkeypatch.setenv("OPENCC_SIP_EDGE", "127.0.0.1:5060")
    assert ProductSettings.from_env(demo=True).sip_edge == (("127.0.0.1", 5060),)
    monkeypatch.delenv("OPENCC_SIP_EDGE")
    assert ProductSettings.from_env(demo=True).sip_edge == ()


@pytest.mark.parametrize("text", ["127.0.0.1", ":5060", "host:port", "h:0", "h:70000", "h:5060,x"])
def test_a_bad_edge_is_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(ValueError, match=r"OPENCC_SIP_EDGE: .* expected HOST:PORT"):
        edge_addresses(text, "OPENCC_SIP_EDGE")
