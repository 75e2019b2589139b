"""The Manager/Assistant phone codes against provisioning (PostgreSQL and SQLite): `*47` by the
manager and by an assistant (with and without the manager's extension), `*48` opting out and in,
a colleague refused without learning anything, and what each phone hears."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.manager_assistant_calls import ManagerAssistantCodes
from pbx_core import call_control as cc
from pbx_core.features import manager_assistant_phrases as say
from pbx_core.media.spoken import SpokenPrompts
from provisioning.manager_assistant_store import ManagerAssistantService
from tests.provisioning.test_manager_assistant_store import _pair, pairs

__all__ = ["pairs"]


@pytest.fixture
def codes(pairs: ManagerAssistantService, tmp_path: Path) -> ManagerAssistantCodes:
    _pair(pairs, "1001", "1002", "1003")
    sent: list[cc.CallCommand] = []
    return ManagerAssistantCodes(sent.append, pairs, SpokenPrompts(tmp_path), lambda _t, _e: "nl")


def _dial(codes: ManagerAssistantCodes, caller: str, number: str) -> str:
    offered = cc.CallOffered("c1", caller, number, cc.CallSource.EXTENSION, tenant="acme")
    return codes._outcome(offered, "nl")


def test_the_codes(codes: ManagerAssistantCodes, pairs: ManagerAssistantService) -> None:
    def boss() -> tuple[bool, tuple[bool, ...]]:
        m = pairs.manager("acme", "1001").manager
        return m.filtering, tuple(a.opted_in for a in m.assistants)

    assert _dial(codes, "1001", "*47") == say.filtering(False, "1001", True, "nl")
    assert boss() == (False, (True, True))
    # An assistant of one manager needs no extension; with it, the same.
    assert _dial(codes, "1002", "*47") == say.filtering(True, "1001", False, "nl")
    assert _dial(codes, "1003", "*471001") == say.filtering(False, "1001", False, "nl")
    assert _dial(codes, "1002", "*48") == say.opted(False, "1001", "nl")
    assert boss() == (False, (False, True))
    assert _dial(codes, "1002", "*481001") == say.opted(True, "1001", "nl")
    # A colleague, or the manager opting: refused alike, nothing changes.
    assert _dial(codes, "1004", "*471001") == say.no_manager("1001", "nl")
    assert _dial(codes, "1004", "*47") == say.no_manager("", "nl")
    assert _dial(codes, "1001", "*481001") == say.no_manager("1001", "nl")
    assert _dial(codes, "1002", "*479999") == say.no_manager("9999", "nl")
    assert boss() == (False, (True, True))
    assert "bestaat niet" in _dial(codes, "1002", "*47+31")
