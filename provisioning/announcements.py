"""Announcements: a tenant's own recordings (welcome, entrance, comfort, music on hold), the
rules for their names and sizes, and how a call center's settings name one.

A call center names an announcement as `announcement:<name>` wherever the engine takes a
prompt (`media.entrance_message`, `media.comfort_message`, `media.music_on_hold`,
`media.whisper_message`, a treatment's `announcement`, ...). The engine treats prompt names as
opaque; the PBX adapter turns this one into the tenant's file (`prompt_name`), so a name can
never reach another tenant's recordings: the tenant comes from the call, not from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from provisioning.errors import Invalid

REFERENCE_PREFIX = "announcement:"
"""How call-center settings name an announcement: `announcement:welcome-2027`."""

PROMPTS_SUBDIR = "announcements"
"""Under the PBX's prompts directory: `announcements/<tenant>/<name>.wav`."""

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""Lower-case letters, digits, `-` and `_`: safe as a file name on every platform."""

MAX_UPLOAD_BYTES = 16 << 20
"""16 MiB: a five-minute MP3 at 320 kbit/s, or two minutes of CD-quality WAV."""

MAX_SECONDS = 300
"""Five minutes: long enough for a music-on-hold loop, short enough to stay an announcement."""

PLAYED_RATE = 8000
"""What the media path plays (pbx_core/media/prompts.py): 8 kHz mono 16-bit PCM WAV."""


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise Invalid("name", "1-64 of a-z, 0-9, - and _, starting with a letter or digit")
    return name


def reference(name: str) -> str:
    """What a call center's setting holds to play announcement `name`."""
    return REFERENCE_PREFIX + name


def prompt_name(tenant: str, prompt: str) -> str | None:
    """The PBX prompt name (relative to its prompts directory, without `.wav`) of an
    `announcement:<name>` prompt of `tenant`; None for any other prompt, or a malformed name."""
    if not prompt.startswith(REFERENCE_PREFIX):
        return None
    name = prompt.removeprefix(REFERENCE_PREFIX)
    if not NAME_PATTERN.fullmatch(name):
        return None
    return f"{PROMPTS_SUBDIR}/{tenant}/{name}"


def references(settings: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(field, announcement name) of every announcement a call center's settings (any JSON
    shape) refer to; the field as the API names it, e.g. `media.entrance_message`."""
    if isinstance(settings, str):
        if settings.startswith(REFERENCE_PREFIX):
            yield where, settings.removeprefix(REFERENCE_PREFIX)
    elif isinstance(settings, Mapping):
        for key, value in settings.items():
            yield from references(value, f"{where}.{key}" if where else str(key))
    elif isinstance(settings, list):
        for index, value in enumerate(settings):
            yield from references(value, f"{where}[{index}]")
