"""What the voice portal says (`portal_menu.Say` names a text; `portal.py` speaks it with
espeak-ng in the user's language, NL or EN), one place for both languages."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "enter_pin": "Welkom bij uw voicemail. Voer uw pincode in, gevolgd door hekje.",
        "wrong_pin": "Onjuiste pincode. Probeer het opnieuw.",
        "wrong_pin_goodbye": "Onjuiste pincode. Tot ziens.",
        "locked": "Uw voicemail is geblokkeerd. Stel een nieuwe pincode in. Tot ziens.",
        "summary": "U heeft {new} nieuwe en {saved} bewaarde berichten.",
        "main_menu": "Toets 1 voor uw berichten, 3 voor uw begroetingen,"
        " 6 voor aankondigingen, sterretje om te stoppen.",
        "options": "Toets 1 om te herhalen, 2 om te bewaren, 3 om te wissen,"
        " hekje voor het volgende bericht.",
        "kept": "Bewaard.",
        "deleted": "Gewist.",
        "no_more": "Geen berichten meer.",
        "greetings_menu": "Toets 1 om uw begroeting bij bezet in te spreken,"
        " 2 voor uw begroeting als u niet opneemt, sterretje voor het hoofdmenu.",
        "not_allowed": "Alleen een beheerder van uw bedrijf kan aankondigingen inspreken.",
        "no_announcements": "Uw bedrijf heeft nog geen aankondigingen.",
        "announcement_item": "Toets {number} voor {name}.",
        "announcement_choose": "Toets het nummer van de aankondiging, gevolgd door hekje.",
        "no_such_announcement": "Dat nummer bestaat niet.",
        "record": "Spreek na de toon in. Toets hekje als u klaar bent.",
        "too_short": "De opname is te kort.",
        "longest": "De opname heeft de maximale lengte bereikt.",
        "review": "Toets 1 om de opname te bewaren, 2 om opnieuw in te spreken,"
        " sterretje om te annuleren.",
        "recording_saved": "De opname is bewaard.",
        "not_saved": "De opname kon niet worden bewaard.",
        "cancelled": "Geannuleerd.",
        "goodbye": "Tot ziens.",
    },
    "en": {
        "enter_pin": "Welcome to your voicemail. Enter your PIN, followed by hash.",
        "wrong_pin": "Wrong PIN. Please try again.",
        "wrong_pin_goodbye": "Wrong PIN. Goodbye.",
        "locked": "Your voicemail is locked. Please set a new PIN. Goodbye.",
        "summary": "You have {new} new and {saved} saved messages.",
        "main_menu": "Press 1 for your messages, 3 for your greetings, 6 for announcements,"
        " star to end.",
        "options": "Press 1 to replay, 2 to save, 3 to delete, hash for the next message.",
        "kept": "Saved.",
        "deleted": "Deleted.",
        "no_more": "No more messages.",
        "greetings_menu": "Press 1 to record your busy greeting, 2 for your no answer greeting,"
        " star for the main menu.",
        "not_allowed": "Only an administrator of your company can record announcements.",
        "no_announcements": "Your company has no announcements yet.",
        "announcement_item": "Press {number} for {name}.",
        "announcement_choose": "Enter the announcement's number, followed by hash.",
        "no_such_announcement": "There is no such number.",
        "record": "Speak after the tone. Press hash when you are done.",
        "too_short": "The recording is too short.",
        "longest": "The recording reached its longest length.",
        "review": "Press 1 to keep the recording, 2 to record again, star to cancel.",
        "recording_saved": "The recording is saved.",
        "not_saved": "The recording could not be saved.",
        "cancelled": "Cancelled.",
        "goodbye": "Goodbye.",
    },
}
