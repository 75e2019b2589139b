"""The voice portal's menu as pure decisions (no SIP, no clock): the PIN, the order of the
messages, what each key does, and the hang-up after too many wrong PINs."""

from __future__ import annotations

from pbx_core.voicemail.portal_menu import (
    MAX_PIN_TRIES_PER_CALL,
    Box,
    CheckPin,
    Delete,
    HangUp,
    MarkRead,
    Menu,
    PinCheck,
    PlayMessage,
    Say,
)

BOX = Box((("newest", False), ("older-new", False), ("saved", True)))


def test_pin_then_new_messages_oldest_first_then_saved() -> None:
    menu = Menu()
    assert menu.started() == [Say("enter_pin")]
    assert [menu.digit(d) for d in "12x4"] == [[], [], [], []]
    assert menu.digit("#") == [CheckPin("124")]
    assert menu.pin_checked(PinCheck.OK, BOX) == [
        Say("summary", new=2, saved=1),
        PlayMessage("older-new"),
    ]
    assert menu.message_played() == [MarkRead("older-new"), Say("options")]
    assert menu.digit("1") == [PlayMessage("older-new")]
    assert menu.digit("3") == [Delete("older-new"), Say("deleted"), PlayMessage("newest")]
    assert menu.digit("2") == [MarkRead("newest"), Say("kept"), PlayMessage("saved")]
    assert menu.digit("#") == [MarkRead("saved"), Say("no_more"), HangUp()]
    assert menu.digit("1") == []  # saying goodbye: keys do nothing


def test_wrong_pins_hang_up_and_a_locked_box_stays_shut() -> None:
    menu = Menu()
    for _ in range(MAX_PIN_TRIES_PER_CALL - 1):
        assert menu.pin_checked(PinCheck.WRONG, Box(())) == [Say("wrong_pin")]
    assert menu.pin_checked(PinCheck.WRONG, Box(())) == [Say("wrong_pin_goodbye"), HangUp()]
    assert Menu().pin_checked(PinCheck.LOCKED, BOX) == [Say("locked"), HangUp()]


def test_an_empty_box_and_star_say_goodbye() -> None:
    assert Menu().pin_checked(PinCheck.OK, Box(())) == [
        Say("summary", new=0, saved=0),
        Say("no_more"),
        HangUp(),
    ]
    menu = Menu()
    menu.pin_checked(PinCheck.OK, BOX)
    assert menu.digit("*") == [Say("goodbye"), HangUp()]


def test_a_pin_longer_than_twelve_digits_is_cut() -> None:
    menu = Menu()
    for _ in range(40):
        menu.digit("9")
    assert menu.digit("#") == [CheckPin("9" * 12)]
