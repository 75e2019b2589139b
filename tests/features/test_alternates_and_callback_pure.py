"""The pure parts of alternate numbers (the PBX's table, the rings, the list rules) and of the
automatic callback (its sentences, its ring)."""

from __future__ import annotations

import pytest

from pbx_core.features.alternates import Alternate, AlternatesTable, alternate_info_of
from pbx_core.sip.calls.callback import CALLBACK_ALERT_INFO, camped_text, offer_text
from provisioning.alternate_numbers import check_alternates, parsed_alternates
from provisioning.errors import Invalid
from provisioning.numbers import NumberBlock
from provisioning.profiles import Profile


def test_the_table_keeps_tenants_apart_and_finds_direct_numbers_platform_wide() -> None:
    table = AlternatesTable()
    table.replace_tenant("a", [Alternate("a", "1093", "1003", 1), Alternate("a", "+31201230050",
                                                                           "1003", 2)])  # fmt: skip
    table.replace_tenant("b", [Alternate("b", "1093", "2001", 1)])
    assert table.get("a", "1093") == Alternate("a", "1093", "1003", 1)
    assert table.get("b", "1093") == Alternate("b", "1093", "2001", 1)
    assert table.get("c", "1093") is None
    direct = table.direct("+31201230050")
    assert direct is not None and direct.tenant == "a"
    table.replace_tenant("a", [])
    assert table.get("a", "1093") is None and table.direct("+31201230050") is None
    assert table.get("b", "1093") is not None


def test_each_place_has_a_ring_and_none_is_the_callbacks() -> None:
    rings = [alternate_info_of(place) for place in range(1, 11)]
    assert len(set(rings[:3])) == 3 and rings[3] == rings[0]
    assert CALLBACK_ALERT_INFO not in rings


def test_a_list_is_normalised_and_checked() -> None:
    assert parsed_alternates(["1093", "+31201230050"]) == ["1093", "+31201230050"]
    block = NumberBlock("+31201230000", 100)
    check_alternates(["1093", "+31201230050"], profile=Profile.KANTOOR, own_extension="1003",
                     taken={"1001"}, blocks=[block], others={})  # fmt: skip
    with pytest.raises(Invalid) as refused:
        check_alternates(["1093"], profile=Profile.KANTOOR, own_extension="1003", taken=set(),
                         blocks=[block], others={"1093": "jan"})  # fmt: skip
    assert refused.value.field == "numbers[0]" and "jan" in refused.value.reason
    with pytest.raises(Invalid):
        parsed_alternates("1093")
    with pytest.raises(Invalid):
        parsed_alternates([str(1080 + n) for n in range(11)])
    # An empty list is always allowed (a downgraded profile may remove its numbers).
    check_alternates([], profile=Profile.VERGADERZAAL, own_extension="1020", taken=set(),
                     blocks=[], others={})  # fmt: skip


def test_the_callback_speaks_the_users_language() -> None:
    assert offer_text("1003", "nl").startswith("Toestel 1 0 0 3 is in gesprek. Kies 1")
    assert offer_text("1003", "en").startswith("Extension 1 0 0 3 is busy. Press 1")
    assert "1 0 0 3" in camped_text("1003", "nl") and "1 0 0 3" in camped_text("1003", "en")
