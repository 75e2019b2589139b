"""What a manager's or an assistant's phone says after a Manager/Assistant code, and the whisper
the manager hears before a filtered call is put through (docs/manager-assistant.md), in the
user's language (Dutch for `nl`, English otherwise; `phrases.spoken_language`)."""

from __future__ import annotations

from pbx_core.features.phrases import _pick, digits


def filtering(on: bool, manager: str, own: bool, language: str) -> str:
    if own:
        return _pick(language, f"Gespreksfiltering staat {'aan' if on else 'uit'}.",
                     f"Call filtering is {'on' if on else 'off'}.")  # fmt: skip
    return _pick(language,
                 f"Gespreksfiltering voor {digits(manager)} staat {'aan' if on else 'uit'}.",
                 f"Call filtering for {digits(manager)} is {'on' if on else 'off'}.")  # fmt: skip


def opted(opted_in: bool, manager: str, language: str) -> str:
    if opted_in:
        return _pick(language, f"U neemt de gesprekken van {digits(manager)} aan.",
                     f"You take the calls of {digits(manager)}.")  # fmt: skip
    return _pick(language, f"U neemt de gesprekken van {digits(manager)} niet meer aan.",
                 f"You no longer take the calls of {digits(manager)}.")  # fmt: skip


def no_manager(manager: str, language: str) -> str:
    """Neither the manager nor its assistant (or no manager given where several are
    assisted): nothing is said about whether `manager` is anyone's manager."""
    if not manager:
        return _pick(language, "Toets de code met het toestelnummer van de manager.",
                     "Dial the code followed by the manager's extension.")  # fmt: skip
    return _pick(language, f"U bent geen manager of assistent van {digits(manager)}.",
                 f"You are no manager or assistant of {digits(manager)}.")  # fmt: skip


def whisper(caller: str, caller_name: str, language: str) -> str:
    """To the manager alone, as a filtered call is put through."""
    who = caller_name or digits(caller)
    return _pick(language, f"Gesprek van {who}, doorverbonden door uw assistent.",
                 f"A call from {who}, put through by your assistant.")  # fmt: skip
