"""The pure parts of forwarding and feature codes: the diversion decision (loops, hops, the
order forwarding - voicemail - today's reply), the codes table and its parser, the texts."""

from __future__ import annotations

import pytest

from pbx_core.features import phrases
from pbx_core.features.codes import (
    CODES,
    Action,
    Dialled,
    Owner,
    UnknownCode,
    parse_code,
    split_inhibitor,
)
from pbx_core.features.diversion import (
    DO_NOT_DISTURB,
    LOOP,
    MAX_DIVERSIONS,
    NO_SERVICES,
    TOO_MANY,
    Divert,
    Failure,
    Forwarding,
    Ring,
    ToVoicemail,
    on_arrival,
    on_failure,
)
from provisioning.profiles import ALL_FEATURES


def test_forward_always_diverts_at_once_and_a_loop_or_too_many_hops_stop() -> None:
    to_b = Forwarding(forward_always="1002")
    assert on_arrival(to_b, ("1001",), inhibited=False, voicemail_available=False) == Divert(
        "1002", "unconditional"
    )
    assert on_arrival(to_b, ("1002", "1001"), inhibited=False, voicemail_available=False) == LOOP
    caller_and_five_hops = tuple(str(n) for n in range(2000, 2002 + MAX_DIVERSIONS))
    assert on_arrival(
        to_b, caller_and_five_hops[:-1], inhibited=False, voicemail_available=False
    ) == Divert("1002", "unconditional")
    assert (
        on_arrival(to_b, caller_and_five_hops, inhibited=False, voicemail_available=False)
        == TOO_MANY
    )
    assert on_arrival(to_b, ("1001",), inhibited=True, voicemail_available=False) == Ring(None)
    back_to_the_caller = ("1002", "1001")  # 1002 calls 1001, who forwards to 1002
    assert on_arrival(to_b, back_to_the_caller, inhibited=False, voicemail_available=False) == LOOP


def test_do_not_disturb_is_busy_or_voicemail() -> None:
    dnd = Forwarding(do_not_disturb=True, forward_always="1002")
    assert on_arrival(dnd, ("1",), inhibited=False, voicemail_available=False) == DO_NOT_DISTURB
    assert on_arrival(dnd, ("1",), inhibited=False, voicemail_available=True) == ToVoicemail(
        "do-not-disturb"
    )


def test_no_answer_rings_for_its_seconds_then_forwards() -> None:
    services = Forwarding(forward_no_answer="1003", no_answer_seconds=7.0)
    assert on_arrival(services, ("1",), inhibited=False, voicemail_available=False) == Ring(7.0)
    decision = on_failure(
        services, Failure.NO_ANSWER, ("1",), inhibited=False, voicemail_available=True
    )
    assert decision == Divert("1003", "no-answer")


@pytest.mark.parametrize("failure", list(Failure))
def test_without_forwarding_voicemail_comes_next_then_todays_reply(failure: Failure) -> None:
    kw = {"inhibited": False}
    assert on_failure(NO_SERVICES, failure, ("1",), voicemail_available=False, **kw) is None
    decision = on_failure(NO_SERVICES, failure, ("1",), voicemail_available=True, **kw)
    assert isinstance(decision, ToVoicemail)


def test_each_failure_uses_its_own_forward() -> None:
    services = Forwarding(forward_busy="2", forward_not_reachable="3")
    busy = on_failure(services, Failure.BUSY, ("1",), inhibited=False, voicemail_available=False)
    away = on_failure(
        services, Failure.NOT_REACHABLE, ("1",), inhibited=False, voicemail_available=False
    )
    assert (busy, away) == (Divert("2", "user-busy"), Divert("3", "unavailable"))
    assert (
        on_failure(services, Failure.BUSY, ("1",), inhibited=True, voicemail_available=False)
        is None
    )


def test_the_codes_table_has_every_contract_code_once_with_known_features() -> None:
    codes = [entry.code for entry in CODES]
    assert len(codes) == len(set(codes))
    contract = {"*72", "*73", "*90", "*91", "*92", "*93", "*94", "*95", "*78", "*79", "*62",
                "*98", "*97", "*68", "*88", "*67", "*66", "*69", "*44"}  # fmt: skip
    assert contract <= set(codes)
    assert all(entry.feature in ALL_FEATURES for entry in CODES if entry.feature)
    assert {entry.owner for entry in CODES} == set(Owner)


@pytest.mark.parametrize(
    ("dialled", "expected"),
    [
        ("*721002", ("*72", "1002")),
        ("*94+31612345678", ("*94", "+31612345678")),
        ("*73", ("*73", "")),
        ("*53", ("*53", "")),
        ("*5307", ("*53", "07")),
    ],
)
def test_codes_parse_with_their_argument(dialled: str, expected: tuple[str, str]) -> None:
    parsed = parse_code(dialled)
    assert isinstance(parsed, Dialled)
    assert (parsed.entry.code, parsed.argument) == expected


@pytest.mark.parametrize(
    ("dialled", "spoken"),
    [
        ("*77", "*77"),  # no such code
        ("*72", "*72"),  # a number missing
        ("*731002", "*73"),  # a number too many
        ("*72abc", "*72"),
        ("*72" + "9" * 40, "*72"),  # too long
        ("*", "*"),
        ("**", "*"),
        ("*7\x00", "*"),
    ],
)
def test_bad_codes_are_unknown_naming_at_most_the_code(dialled: str, spoken: str) -> None:
    assert parse_code(dialled) == UnknownCode(spoken)


def test_the_inhibitor_prefix_is_split_only_before_a_number() -> None:
    assert split_inhibitor("*801002") == ("1002", True)
    assert split_inhibitor("*80") == ("*80", False)
    assert split_inhibitor("1002") == ("1002", False)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_action_has_a_confirmation_in_both_languages(action: Action, language: str) -> None:
    assert phrases.confirmation(action, "1002", language).endswith(".")


def test_refusals_name_the_code_feature_and_profile() -> None:
    text = phrases.not_in_profile("*72", "CallForwardingAlways", "vergaderzaal", "en")
    assert text == (
        "The code star 7 2 is refused: your vergaderzaal profile does not include forwarding "
        "of all calls."
    )
    assert phrases.spoken_language("de") == "en"
