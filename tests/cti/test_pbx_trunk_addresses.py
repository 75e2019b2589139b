"""A registering trunk's host as the addresses its carrier's calls to the account come from."""

from __future__ import annotations

from cti.pbx_trunks import trunk_addresses


def test_an_ip_address_is_itself_and_a_name_its_resolved_addresses() -> None:
    assert trunk_addresses("192.0.2.7") == ("192.0.2.7",)
    assert "127.0.0.1" in trunk_addresses("localhost")


def test_a_name_that_does_not_resolve_speaks_for_nobody() -> None:
    assert trunk_addresses("no-such-carrier.invalid") == ()
