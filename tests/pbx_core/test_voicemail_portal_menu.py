"""The voice portal's menu as pure decisions (no SIP, no clock): the PIN, the main menu, the
order of the messages, what each key does, the hang-up after too many wrong PINs, and recording
a greeting or an announcement (beep, `#`, played back, 1 keep / 2 again)."""

from __future__ import annotations

from pbx_core.voicemail.portal_menu import (
    MAX_PIN_TRIES_PER_CALL,
    MIN_RECORDING_SECONDS,
    Announcement,
    Beep,
    Box,
    CheckPin,
    Delete,
    Discard,
    Greeting,
    HangUp,
    ListAnnouncements,
    MarkRead,
    Menu,
    PinCheck,
    PlayMessage,
    PlayRecording,
    Record,
    Save,
    Say,
    Stage,
    StopRecording,
)

BOX = Box((("newest", False), ("older-new", False), ("saved", True)))


def opened(box: Box = BOX) -> Menu:
    menu = Menu()
    menu.pin_checked(PinCheck.OK, box)
    return menu


def test_pin_then_main_menu_then_new_messages_oldest_first_then_saved() -> None:
    menu = Menu()
    assert menu.started() == [Say("enter_pin")]
    assert [menu.digit(d) for d in "12x4"] == [[], [], [], []]
    assert menu.digit("#") == [CheckPin("124")]
    assert menu.pin_checked(PinCheck.OK, BOX) == [
        Say("summary", new=2, saved=1),
        Say("main_menu"),
    ]
    assert menu.digit("1") == [PlayMessage("older-new")]
    assert menu.message_played() == [MarkRead("older-new"), Say("options")]
    assert menu.digit("1") == [PlayMessage("older-new")]
    assert menu.digit("3") == [Delete("older-new"), Say("deleted"), PlayMessage("newest")]
    assert menu.digit("2") == [MarkRead("newest"), Say("kept"), PlayMessage("saved")]
    assert menu.digit("#") == [MarkRead("saved"), Say("no_more"), Say("main_menu")]
    # Back to the messages in the same call: the deleted one is gone, the heard ones are saved.
    assert menu.digit("1") == [PlayMessage("saved")]
    assert menu.digit("#") == [MarkRead("saved"), PlayMessage("newest")]
    assert menu.digit("*") == [Say("main_menu")]
    assert menu.digit("*") == [Say("goodbye"), HangUp()]
    assert menu.digit("1") == []  # saying goodbye: keys do nothing


def test_wrong_pins_hang_up_and_a_locked_box_stays_shut() -> None:
    menu = Menu()
    for _ in range(MAX_PIN_TRIES_PER_CALL - 1):
        assert menu.pin_checked(PinCheck.WRONG, Box(())) == [Say("wrong_pin")]
    assert menu.pin_checked(PinCheck.WRONG, Box(())) == [Say("wrong_pin_goodbye"), HangUp()]
    assert Menu().pin_checked(PinCheck.LOCKED, BOX) == [Say("locked"), HangUp()]
    # Nothing behind the PIN is reachable by keying the menu's digits instead.
    shut = Menu()
    assert [shut.digit(d) for d in "63*1"] == [[], [], [], []]


def test_an_empty_box_goes_back_to_the_main_menu_and_star_leaves_messages() -> None:
    menu = opened(Box(()))
    assert menu.digit("1") == [Say("no_more"), Say("main_menu")]
    menu = opened()
    menu.digit("1")
    assert menu.digit("*") == [Say("main_menu")]
    assert menu.stage is Stage.MAIN


def test_a_pin_longer_than_twelve_digits_is_cut() -> None:
    menu = Menu()
    for _ in range(40):
        menu.digit("9")
    assert menu.digit("#") == [CheckPin("9" * 12)]


def test_a_greeting_is_recorded_played_back_and_kept() -> None:
    menu = opened()
    assert menu.digit("3") == [Say("greetings_menu")]
    busy = Greeting(busy=True)
    assert menu.digit("1") == [Say("record"), Beep(), Record(busy)]
    menu.recording_started()
    assert menu.digit("5") == []  # only `#` ends it
    assert menu.digit("#") == [StopRecording()]
    assert menu.recorded(2.5, longest=False) == [PlayRecording(), Say("review")]
    assert menu.digit("#") == [PlayRecording(), Say("review")]  # hear it again
    assert menu.digit("1") == [Save(busy)]
    assert menu.saved(True) == [Say("recording_saved"), Say("main_menu")]
    assert menu.digit("3") == [Say("greetings_menu")]
    assert menu.digit("2") == [Say("record"), Beep(), Record(Greeting(busy=False))]


def test_too_short_records_again_and_2_records_again_and_star_drops_it() -> None:
    menu = opened()
    menu.digit("3")
    target = Greeting(busy=False)
    menu.digit("2")
    menu.recording_started()
    too_short = MIN_RECORDING_SECONDS - 0.1
    assert menu.recorded(too_short, longest=False) == [
        Discard(),
        Say("too_short"),
        Say("record"),
        Beep(),
        Record(target),
    ]
    assert menu.digit("4") == [Beep(), Record(target)]  # a key cuts the prompt short
    menu.recording_started()
    assert menu.recorded(60.0, longest=True) == [Say("longest"), PlayRecording(), Say("review")]
    assert menu.digit("2") == [Discard(), Say("record"), Beep(), Record(target)]
    menu.recording_started()
    menu.recorded(3.0, longest=False)
    assert menu.digit("*") == [Discard(), Say("cancelled"), Say("main_menu")]
    assert menu.saved(False) == [Say("not_saved"), Say("main_menu")]


def test_announcements_are_picked_by_number_and_refused_to_others() -> None:
    menu = opened()
    assert menu.digit("6") == [ListAnnouncements()]
    assert menu.announcements_listed(None) == [Say("not_allowed"), Say("main_menu")]
    assert menu.stage is Stage.MAIN
    assert menu.announcements_listed([]) == [Say("no_announcements"), Say("main_menu")]

    assert menu.announcements_listed(["music", "welcome"]) == [
        Say("announcement_item", number=1, name="music"),
        Say("announcement_item", number=2, name="welcome"),
        Say("announcement_choose"),
    ]
    for bad in ("3#", "0#", "#", "1234#"):  # out of range, none, cut at three digits
        assert [a for d in bad for a in menu.digit(d)] == [
            Say("no_such_announcement"),
            Say("announcement_choose"),
        ], bad
    assert menu.digit("2") == []
    assert menu.digit("#") == [Say("record"), Beep(), Record(Announcement("welcome"))]
    menu.recording_started()
    assert menu.digit("#") == [StopRecording()]
    menu.recorded(4.0, longest=False)
    assert menu.digit("1") == [Save(Announcement("welcome"))]
