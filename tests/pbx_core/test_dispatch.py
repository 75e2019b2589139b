"""Dispatch over the closed command and event unions fails loudly on a type it does not know
(mypy catches a missing case; these show what happens to one that slips through at run time),
and a command the PBX cannot carry out (`ReceiveFax` without a fax receiver) ends the call."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from redis import Redis

from pbx_core import call_control as cc
from pbx_core.directory import Directories, demo_directory
from pbx_core.location import LocationStore
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.calls import CallManager
from pbx_core.sip.calls.model import Call
from pbx_core.sip.digest import DigestAuth
from pbx_core.standalone_ringer import StandaloneRinger


@dataclass(frozen=True, slots=True)
class Unknown:
    """A command or event call_control does not define (a new one nobody wired up)."""

    call_id: str


def call_manager(events: list[cc.CallEvent]) -> CallManager:
    """The B2BUA without SIP or media (no rtpengine, no fax receiver)."""
    return CallManager(
        {"_sip_address": "127.0.0.1"},
        Directories.of([demo_directory()]),
        LocationStore(Redis()),
        lambda e, _r: events.append(e),
        realm="t",
        auth=DigestAuth(),
        throttle=AuthThrottle(),
    )


def test_a_command_the_pbx_does_not_handle_raises_instead_of_being_dropped() -> None:
    events: list[cc.CallEvent] = []
    manager = call_manager(events)
    manager.calls["c1"] = Call(
        "c1", ua=None, caller="0612", called="7001", caller_name="",
        source=cc.CallSource.TRUNK, route="7001", caller_tag="tag", tenant=cc.DEFAULT_TENANT,
    )  # fmt: skip
    with pytest.raises(AssertionError, match="Unknown"):
        manager.execute(Unknown("c1"))  # type: ignore[arg-type]
    assert events == []


def test_an_event_the_standalone_ringer_does_not_handle_raises() -> None:
    sent: list[cc.CallCommand] = []
    handler = StandaloneRinger(send=sent.append)
    with pytest.raises(AssertionError, match="Unknown"):
        handler(Unknown("c1"))  # type: ignore[arg-type]
    assert sent == []


class _CallerUa:
    """What the B2BUA tells the caller's side (sippy's UA, for a call not answered yet)."""

    def __init__(self) -> None:
        self.told: list[object] = []
        self.lTag = "pbx-tag"

    def recvEvent(self, event: object) -> None:  # sippy's name
        self.told.append(event)


def test_receive_fax_without_a_fax_receiver_ends_the_call_instead_of_leaving_it() -> None:
    # A PBX started without fax settings (no media, no libspandsp2): the application has let
    # go of the call, so the caller gets 503 at once, and the application a CommandFailed.
    events: list[cc.CallEvent] = []
    manager = call_manager(events)
    ua = _CallerUa()
    manager.calls["c1"] = Call(
        "c1", ua=ua, caller="0612", called="7098", caller_name="",
        source=cc.CallSource.TRUNK, route="7098", caller_tag="tag", tenant=cc.DEFAULT_TENANT,
    )  # fmt: skip
    manager.execute(cc.ReceiveFax("c1", "7098"))
    assert isinstance(events[0], cc.CommandFailed) and events[0].command == "ReceiveFax"
    assert events[-1] == cc.CallHungUp("c1", cc.HangupSide.PBX, 503)
    assert [type(e).__name__ for e in ua.told] == ["CCEventFail"]
    assert "c1" not in manager.calls
