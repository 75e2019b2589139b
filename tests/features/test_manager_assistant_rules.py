"""Which calls to a manager ring an assistant first (common/manager_assistant.py, pure)."""

from __future__ import annotations

import pytest

from common.manager_assistant import Assistant, FilterMode, Manager, filtered, ring_assistants

BOSS = Manager("acme", "1001", True, FilterMode.ALL, ("0612345678",),
               (Assistant("1002", opted_in=False), Assistant("1003")))  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "caller", "internal", "expected"),
    [
        (FilterMode.ALL, "1004", True, True),
        (FilterMode.ALL, "0201234567", False, True),
        (FilterMode.INTERNAL, "1004", True, True),
        (FilterMode.INTERNAL, "0201234567", False, False),
        (FilterMode.EXTERNAL, "1004", True, False),
        (FilterMode.EXTERNAL, "0201234567", False, True),
        (FilterMode.LISTED, "0612345678", False, True),
        (FilterMode.LISTED, "+31612345678", False, True),  # the same number, E.164
        (FilterMode.LISTED, "0612345679", False, False),
        (FilterMode.LISTED, "1004", True, False),
    ],
)
def test_modes(mode: FilterMode, caller: str, internal: bool, expected: bool) -> None:
    manager = Manager(BOSS.tenant, BOSS.extension, True, mode, BOSS.numbers, BOSS.assistants)
    assert filtered(manager, caller, internal) is expected


def test_off_own_assistants_and_opt_out() -> None:
    off = Manager("acme", "1001", False, FilterMode.ALL, (), BOSS.assistants)
    assert ring_assistants(off, "1004", True) == ()
    # The manager's assistants always reach the manager (opted out or not).
    assert ring_assistants(BOSS, "1002", True) == ()
    assert ring_assistants(BOSS, "1003", True) == ()
    # Every opted-in assistant rings (at once); nobody opted in: the manager rings.
    assert ring_assistants(BOSS, "1004", True) == ("1003",)
    both = Manager("acme", "1001", True, FilterMode.ALL, (), (Assistant("1003"), Assistant("1002")))
    assert ring_assistants(both, "1004", True) == ("1003", "1002")  # the manager's order
    nobody = Manager("acme", "1001", True, FilterMode.ALL, (), (Assistant("1002", False),))
    assert ring_assistants(nobody, "1004", True) == ()
