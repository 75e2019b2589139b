"""What a hoteling host phone says (docs/hoteling.md), in the user's language (Dutch for `nl`,
English otherwise; `phrases.spoken_language`). No secret is ever said: a refusal names the
extension that was dialled, never whether a PIN was close."""

from __future__ import annotations

from pbx_core.features.phrases import _pick, digits


def ask_pin(guest: str, language: str) -> str:
    return _pick(language, f"Toestel {digits(guest)}. Toets uw pincode en een hekje.",
                 f"Extension {digits(guest)}. Enter your PIN followed by hash.")  # fmt: skip


def signed_in(guest: str, until: str, language: str) -> str:
    return _pick(language, f"U bent aangemeld als {digits(guest)} tot {until}.",
                 f"You are signed in as {digits(guest)} until {until}.")  # fmt: skip


def signed_out(language: str) -> str:
    return _pick(language, "U bent afgemeld.", "You are signed out.")


def nobody_signed_in(language: str) -> str:
    return _pick(language, "Er is niemand aangemeld op dit toestel.",
                 "Nobody is signed in on this phone.")  # fmt: skip


def not_a_host(language: str) -> str:
    return _pick(language, "Dit toestel is geen flexplek.", "This phone is no hoteling host.")


def not_a_guest(guest: str, language: str) -> str:
    return _pick(language, f"Toestel {digits(guest)} kan zich hier niet aanmelden.",
                 f"Extension {digits(guest)} cannot sign in here.")  # fmt: skip


def host_in_use(language: str) -> str:
    return _pick(language, "Dit toestel is in gebruik door een andere gebruiker.",
                 "This phone is in use by another user.")  # fmt: skip


def wrong_pin(language: str) -> str:
    return _pick(language, "De pincode is onjuist.", "The PIN is wrong.")


def guest_locked(guest: str, language: str) -> str:
    return _pick(language, f"De pincode van {digits(guest)} is geblokkeerd. Vraag uw beheerder "
                 "om een nieuwe.", f"The PIN of {digits(guest)} is locked. Ask your "
                 "administrator for a new one.")  # fmt: skip


def host_locked(language: str) -> str:
    return _pick(language, "Te veel onjuiste pincodes. Dit toestel is tijdelijk geblokkeerd.",
                 "Too many wrong PINs. This phone is locked for a while.")  # fmt: skip
