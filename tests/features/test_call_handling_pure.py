"""The pure parts of call handling: what a Replaces names, and every sentence in both languages
(docs/phone-features.md, "Call handling")."""

from __future__ import annotations

import pytest
from sippy.SipURL import SipURL

from pbx_core.features.call_handling_phrases import Outcome, said
from pbx_core.features.codes import Dialled, UnknownCode, parse_code
from pbx_core.sip.calls.replaces import parse_replaces, replaced_dialog


class _Referred:
    def __init__(self, url: str) -> None:
        self._url = SipURL(url=url)

    def getUrl(self) -> SipURL:  # sippy's name
        return self._url


def test_a_refer_to_with_replaces_names_the_dialog_and_its_tags() -> None:
    referred = _Referred("sip:1002@pbx?Replaces=abc%40host%3Bto-tag%3Dpbx1%3Bfrom-tag%3Dphone1")
    assert replaced_dialog(referred) == ("abc@host", {"to-tag": "pbx1", "from-tag": "phone1"})
    assert replaced_dialog(_Referred("sip:1002@pbx")) is None  # a blind transfer
    assert parse_replaces("x;To-Tag=a;junk") == ("x", {"to-tag": "a"})


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_is_said_in_dutch_and_english(outcome: Outcome) -> None:
    dutch, english = said(outcome, "1003", "nl"), said(outcome, "1003", "en")
    assert dutch and english and dutch != english


def test_the_park_retrieve_code_takes_a_slot_or_none() -> None:
    assert isinstance(parse_code("*88"), Dialled)
    parsed = parse_code("*881003")
    assert isinstance(parsed, Dialled) and parsed.argument == "1003"
    assert isinstance(parse_code("*8810a"), UnknownCode)
    assert isinstance(parse_code("*68123"), UnknownCode)  # *68 alone (DTMF or transfer target)
