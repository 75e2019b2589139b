"""Telephone numbers (service description 3.4.2): E.164 numbers, number blocks of 1, 10 or 100.

A block is a run of consecutive numbers that starts on a multiple of its size (a block of 10
ends in 0-9, as the number ranges operators hand out do). A tenant's direct numbers must lie in
its own blocks; a number belongs to one tenant on the whole platform.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from provisioning.errors import Invalid

BLOCK_SIZES = (1, 10, 100)
MAX_INPUT = 32
"""Longer text is never a telephone number; refused before the parser sees it."""


def to_e164(text: str, field: str = "number") -> str:
    """`text` as a valid E.164 number (`+31205550100`), or Invalid naming `field`."""
    if len(text) > MAX_INPUT or not text.startswith("+"):
        raise Invalid(field, "give the number in E.164 form, e.g. +31205550100")
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        raise Invalid(field, f"not a telephone number: {error}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid(field, f"{text} is not a valid telephone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def digits(e164: str) -> int:
    return int(e164[1:])


@dataclass(frozen=True, slots=True)
class NumberBlock:
    first: str
    """E.164, a multiple of `size`."""
    size: int

    @property
    def first_value(self) -> int:
        return digits(self.first)

    @property
    def last_value(self) -> int:
        return self.first_value + self.size - 1

    def contains(self, e164: str) -> bool:
        return len(e164) == len(self.first) and self.first_value <= digits(e164) <= self.last_value


def number_block(first: str, size: int) -> NumberBlock:
    """A validated block: a size of 1, 10 or 100, aligned, every number in it valid."""
    if size not in BLOCK_SIZES:
        raise Invalid("size", f"a block holds 1, 10 or 100 numbers, not {size}")
    e164 = to_e164(first, "first")
    if digits(e164) % size:
        raise Invalid("first", f"a block of {size} starts on a multiple of {size}")
    last = f"+{digits(e164) + size - 1}"
    to_e164(last, "first")  # the block's last number must be a valid number too
    return NumberBlock(e164, size)


def in_blocks(e164: str, blocks: Iterable[NumberBlock]) -> bool:
    return any(block.contains(e164) for block in blocks)
