"""Which calls from the carrier hide their caller (Anonymous Call Rejection, RFC 3323)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbx_core.trunks.anonymity import hides_caller


@pytest.mark.parametrize(
    ("user", "host", "privacy", "hidden"),
    [
        ("+31612345678", "carrier.example", "", False),
        ("+31612345678", "carrier.example", "none", False),
        ("+31612345678", "carrier.example", "session", False),
        ("+31612345678", "carrier.example", "id", True),
        ("+31612345678", "carrier.example", "ID", True),
        ("+31612345678", "carrier.example", "header; critical", True),
        ("+31612345678", "carrier.example", "user", True),
        ("+31612345678", "carrier.example", "none;id", True),  # two Privacy headers joined
        ("anonymous", "anonymous.invalid", "", True),
        ("+31612345678", "Anonymous.Invalid", "", True),
        ("Restricted", "carrier.example", "", True),
        ("", "carrier.example", "", True),
    ],
)
def test_privacy_or_an_anonymous_from_hides_the_caller(
    user: str, host: str, privacy: str, hidden: bool
) -> None:
    assert hides_caller(user, host, privacy) is hidden


@given(st.text(max_size=40))
def test_any_privacy_text_with_id_hides_and_never_raises(noise: str) -> None:
    assert hides_caller("+31612345678", "carrier.example", f"{noise};id") is True
    hides_caller("+31612345678", "carrier.example", noise)
