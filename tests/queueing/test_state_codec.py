"""Snapshots of the engine state: an exact JSON round trip, an engine restored from one goes on
exactly like the original, a config change keeps what still fits, bad documents are refused."""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queueing.config import (
    Action,
    AgentNextState,
    BouncePolicy,
    ForcedForwarding,
    Member,
    NightService,
    OverflowPolicy,
    RoutingPolicy,
    TenantConfig,
    Tier,
    Treatment,
)
from queueing.engine import Engine
from queueing.errors import ConfigError
from queueing.events import DomainEvent, EventType
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentState,
    CallArrived,
    CallerHungUp,
    CallHeld,
    Input,
    MediaFinished,
    PromoteCall,
    ReorderCall,
    SetAgentState,
    SetForcedForwarding,
    SetNightService,
)
from queueing.schedule import HolidayCalendar, WeeklySchedule
from queueing.simulator import Simulator
from queueing.state import EngineState, Phase
from queueing.state_codec import (
    SNAPSHOT_VERSION,
    Restored,
    SnapshotError,
    config_digest,
    decode_state,
    encode_state,
)
from tests.queueing.support import agents, arrive, center, feed_all, simulator
from tests.queueing.test_properties import OPS, make_config, to_input

ROOT = Path(__file__).resolve().parents[2]

Step = Input | float
"""An input, or seconds of simulated time to let pass."""


def through_json(state: EngineState, config: TenantConfig) -> Restored:
    document = json.loads(json.dumps(encode_state(state, config)))
    return decode_state(document, config)


def restored_twin(sim: Simulator) -> Simulator:
    """A second simulator whose engine comes from a snapshot of `sim`'s; the simulated clock and
    its pending timers are the shell's, so they are copied as they are."""
    restored = through_json(sim.engine.state, sim.config)
    assert restored.exact and restored.dropped_calls == ()
    twin = Simulator(sim.config, now=sim.now)
    twin.engine = Engine.from_state(sim.config, restored.state)
    twin.timers = list(sim.timers)
    twin.active = dict(sim.active)
    twin._counter = sim._counter
    return twin


def apply(sim: Simulator, made: Step) -> list[DomainEvent]:
    before = len(sim.events)
    if isinstance(made, float):
        sim.advance(made)
    else:
        sim.feed(made)
    return sim.events[before:]


def go_on_together(sim: Simulator, twin: Simulator, steps: list[Step]) -> None:
    for made in steps:
        assert apply(twin, made) == apply(sim, made), made
    assert twin.engine.state == sim.engine.state
    assert encode_state(twin.engine.state, twin.config) == encode_state(
        sim.engine.state, sim.config
    )


# Exact round trip and identical continuation -----------------------------------------------------


CONFIGS = st.builds(make_config, st.sampled_from(list(RoutingPolicy)), st.booleans(), st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=CONFIGS, ops=st.lists(OPS, min_size=10, max_size=120), cut=st.floats(0.0, 1.0))
def test_a_restored_engine_goes_on_like_the_original(
    config: TenantConfig, ops: list[tuple[str, int, int]], cut: float
) -> None:
    sim = Simulator(config)
    split = int(len(ops) * cut)
    for op in ops[:split]:
        made = to_input(sim, op)
        if made is not None:
            apply(sim, made)
    twin = restored_twin(sim)
    assert twin.engine.state == sim.engine.state
    assert twin.engine.journal == []
    for op in ops[split:]:
        # Both engines take the input the original would have been given.
        made = to_input(sim, op)
        if made is not None:
            go_on_together(sim, twin, [made])
    go_on_together(sim, twin, [600.0])


def every_phase_config() -> TenantConfig:
    return TenantConfig(
        "t1",
        (
            center(
                "7001",
                tier=Tier.PREMIUM,
                members=("1001", "1002"),
                routing=RoutingPolicy.SIMULTANEOUS,
                wrap_up_seconds=30,
                bounce=BouncePolicy(ring_seconds=15, hold_alert_seconds=20),
                night_service=NightService(),
            ),
            center(
                "7002",
                tier=Tier.STANDARD,
                members=("1003", "1004", "1002"),
                routing=RoutingPolicy.REGULAR,
                max_waiters=2,
                overflow=OverflowPolicy(
                    on_full=Treatment(Action.TRANSFER, "0201", announcement="full"),
                    max_wait_seconds=300,
                ),
                bounce=BouncePolicy(hold_alert_seconds=20, hold_bounce_seconds=60),
                wrap_up_seconds=10,
            ),
            center(
                "7003",
                tier=Tier.PREMIUM,
                members=(Member("1005", weight=3),),
                routing=RoutingPolicy.WEIGHTED,
                wrap_up_seconds=45,
                wrap_up_next_state=AgentNextState.UNAVAILABLE,
                forced_forwarding=ForcedForwarding("0301"),
                disposition_codes=frozenset({"sale", "no_sale"}),
            ),
        ),
        agents("1001", "1002", "1003", "1004", "1005"),
        seed=11,
        unavailable_codes=frozenset({"lunch", "missed", "bounced"}),
    )


def every_phase() -> Simulator:
    """Calls in every phase, agents in wrap-up and with a state asked for during a call, the
    night-service and forced-forwarding switches turned."""
    sim = simulator(every_phase_config(), available=("1001", "1002", "1003", "1004", "1005"))
    feed_all(
        sim,
        [
            CallArrived("talk", "7002", "+31201"),
            AgentAnswered("talk", "1003"),
            SetAgentState("1003", AgentState.UNAVAILABLE, unavailable_code="lunch"),
            CallArrived("held", "7002", "+31202"),
            AgentAnswered("held", "1004"),
            CallHeld("held", "1004"),
            CallArrived("wrapped", "7003", "+31203"),
            AgentAnswered("wrapped", "1005"),
            AgentHungUp("wrapped", "1005"),
            SetForcedForwarding("7003", True),
            CallArrived("ringing", "7001", "+31204"),  # both 1001 and 1002 ring
            SetNightService("7001", False),
            CallArrived("entrance", "7002", "+31205", priority=1),
            CallArrived("waiting", "7002", "+31206", priority=1),
            MediaFinished("waiting", "welcome"),
            ReorderCall("waiting", 1),
            PromoteCall("entrance", 2),
            CallArrived("treated", "7002", "+31207"),  # queue full: announcement, then transfer
        ],
    )
    sim.advance(3.5)
    return sim


def dict_orders(state: EngineState) -> list[list[str]]:
    """The key order of every dict whose iteration order the engine may follow."""
    return [
        list(state.calls),
        list(state.timers),
        *(list(agent.joined) for agent in state.agents.values()),
        *(list(cc.free) for cc in state.call_centers.values()),
        *(list(cc.waiting.ready) for cc in state.call_centers.values()),
    ]


def test_every_phase_survives_the_round_trip() -> None:
    sim = every_phase()
    state = sim.engine.state
    phases = {call.call_id: call.phase for call in state.calls.values()}
    assert phases == {
        "talk": Phase.TALKING,
        "held": Phase.HELD,
        "ringing": Phase.OFFERED,
        "entrance": Phase.ENTRANCE,
        "waiting": Phase.WAITING,
        "treated": Phase.TREATED,
    }
    assert state.calls["ringing"].offered_to == ("1001", "1002")
    assert state.agents["1003"].pending_state == (AgentState.UNAVAILABLE, "lunch")
    assert state.agents["1005"].state is AgentState.WRAP_UP
    assert state.call_centers["7001"].night_override is False
    assert state.call_centers["7003"].forced_forwarding is True

    back = through_json(state, sim.config).state
    assert back == state
    assert back.calls["treated"].pending == Treatment(Action.TRANSFER, "0201", "full")
    assert back.calls["treated"].pending is not None
    assert back.calls["treated"].pending.action is Action.TRANSFER
    assert back.calls["ringing"].phase is Phase.OFFERED
    assert back.agents["1003"].pending_state == (AgentState.UNAVAILABLE, "lunch")
    assert isinstance(back.agents["1003"].pending_state, tuple)
    assert back.agents["1003"].pending_state[0] is AgentState.UNAVAILABLE
    assert back.agents["1005"].licence is Tier.PREMIUM
    assert dict_orders(back) == dict_orders(state)
    assert (back.sequence, back.order_counter, back.rng) == (
        state.sequence,
        state.order_counter,
        state.rng,
    )
    assert back.call_centers["7002"].config is sim.config.call_centers[1]


def test_every_phase_goes_on_like_the_original() -> None:
    sim = every_phase()
    twin = restored_twin(sim)
    go_on_together(
        sim,
        twin,
        [
            AgentAnswered("ringing", "1002"),
            MediaFinished("treated", "full"),
            CallerHungUp("held"),
            SetAgentState("1001", AgentState.AVAILABLE),
            AgentHungUp("talk", "1003"),
            25.0,
            MediaFinished("entrance", "welcome"),
            CallArrived("late", "7001", "+31208"),
            SetNightService("7001", None),
            400.0,
            CallArrived("forced", "7003", "+31209"),
        ],
    )


def test_floats_come_back_bit_identical() -> None:
    sim = every_phase()
    state = sim.engine.state
    tricky = [0.1 + 0.2, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, 1_764_000_000.123456789]
    calls = list(state.calls.values())
    for call, value in zip(calls, tricky, strict=False):
        call.arrived_at = value
    state.call_centers["7001"].average_handle_seconds = 2 / 3
    back = through_json(state, sim.config).state
    for call, value in zip(back.calls.values(), tricky, strict=False):
        assert call.arrived_at.hex() == value.hex()
    assert back.call_centers["7001"].average_handle_seconds.hex() == (2 / 3).hex()
    # The waiting list is keyed on the call's order: a reordered call's key survives too.
    orders = [c.order.hex() for c in state.calls.values()]
    assert [c.order.hex() for c in back.calls.values()] == orders


def test_an_empty_state_round_trips() -> None:
    config = every_phase_config()
    restored = through_json(Engine(config).state, config)
    assert restored == Restored(Engine(config).state, exact=True, dropped_calls=())


# Config digest -----------------------------------------------------------------------------------


def digest_config() -> TenantConfig:
    """Sets everywhere a config has them, so an unsorted digest would follow the hash seed."""
    base = every_phase_config()
    night = NightService(
        schedule=WeeklySchedule.business_hours("Europe/Amsterdam", time(8), time(18)),
        holidays=HolidayCalendar(
            "Own", extra_dates=frozenset(date(2026, 12, d) for d in range(20, 32))
        ),
    )
    first = dataclasses.replace(
        base.call_centers[0],
        night_service=night,
        disposition_codes=frozenset(f"code{n}" for n in range(30)),
    )
    return dataclasses.replace(
        base,
        call_centers=(first, *base.call_centers[1:]),
        unavailable_codes=frozenset(f"reason{n}" for n in range(30)),
    )


def test_the_digest_is_the_same_under_another_hash_seed() -> None:
    here = config_digest(digest_config())
    assert len(here) == 64 and int(here, 16) >= 0
    program = (
        "from tests.queueing.test_state_codec import digest_config;"
        "from queueing.state_codec import config_digest;"
        "print(config_digest(digest_config()))"
    )
    for seed in ("0", "4242"):
        result = subprocess.run(
            [sys.executable, "-c", program],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == here


def _changed_configs() -> Iterator[tuple[str, TenantConfig]]:
    config = digest_config()
    first, second, third = config.call_centers
    yield (
        "member added",
        dataclasses.replace(
            config,
            call_centers=(
                first,
                dataclasses.replace(second, members=(*second.members, Member("1005"))),
                third,
            ),
        ),
    )
    yield (
        "wrap-up time",
        dataclasses.replace(
            config, call_centers=(dataclasses.replace(first, wrap_up_seconds=31), second, third)
        ),
    )
    yield ("seed", dataclasses.replace(config, seed=12))
    yield ("unavailable code", dataclasses.replace(config, unavailable_codes=frozenset({"x"})))
    renamed = dataclasses.replace(config.agents[-1], name="Someone else")
    yield ("agent name", dataclasses.replace(config, agents=(*config.agents[:-1], renamed)))
    assert first.night_service is not None and first.night_service.holidays is not None
    holidays = dataclasses.replace(first.night_service.holidays, extra_dates=frozenset())
    night = dataclasses.replace(first.night_service, holidays=holidays)
    yield (
        "holiday date",
        dataclasses.replace(
            config,
            call_centers=(dataclasses.replace(first, night_service=night), second, third),
        ),
    )


@pytest.mark.parametrize(("what", "changed"), list(_changed_configs()), ids=lambda v: str(v)[:20])
def test_the_digest_changes_with_the_config(what: str, changed: TenantConfig) -> None:
    assert config_digest(changed) != config_digest(digest_config()), what


def _leaf_changes(value: Any) -> Iterator[Any]:
    """Every copy of `value` with one leaf (int, bool, str, enum) changed, found generically so
    that config fields added later are covered without touching this test."""
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, enum.Enum):
        yield from (member for member in type(value) if member is not value)
    elif isinstance(value, str):
        yield value + "9"
    elif isinstance(value, int):
        yield value + 1
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            for changed in _leaf_changes(item):
                yield (*value[:index], changed, *value[index + 1 :])
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            for changed in _leaf_changes(getattr(value, f.name)):
                try:
                    yield dataclasses.replace(value, **{f.name: changed})
                except (ConfigError, ValueError):
                    continue  # not a config that can exist


def test_any_single_change_changes_the_digest() -> None:
    config = every_phase_config()
    digest = config_digest(config)
    tried = 0
    for changed in _leaf_changes(config):
        tried += 1
        assert config_digest(changed) != digest, changed
    assert tried > 50


# Config changed since the snapshot ---------------------------------------------------------------


def free_sets_agree(state: EngineState) -> None:
    for cc_id, cc in state.call_centers.items():
        expected = {
            e for e in cc.members if state.agents[e].takes_calls and cc_id in state.agents[e].joined
        }
        assert set(cc.free) == expected, cc_id


def test_a_changed_config_keeps_what_still_fits() -> None:
    sim = every_phase()
    old = sim.engine.state
    old.call_centers["7002"].last_offered = 2
    old.call_centers["7002"].average_handle_seconds = 77.5
    config = sim.config
    first, second, _ = config.call_centers
    changed = dataclasses.replace(
        config,
        # 1003 newly in 7001; 7002 keeps only 1003 (its last offered index is out of range, and
        # the call 1004 holds no longer fits); 7003 removed, agent 1005 removed with it.
        call_centers=(
            dataclasses.replace(first, members=(*first.members, Member("1003"))),
            dataclasses.replace(second, members=second.members[:1]),
        ),
        agents=config.agents[:4],
    )
    document = json.loads(json.dumps(encode_state(old, config)))
    restored = decode_state(document, changed)
    state = restored.state

    assert not restored.exact
    assert restored.dropped_calls == ("held",)
    kept = ["talk", "ringing", "entrance", "waiting", "treated"]
    assert list(state.calls) == kept
    assert all(state.calls[c] == old.calls[c] for c in kept)
    assert state.timers == {t: v for t, v in old.timers.items() if v[1] in kept}
    # The waiting callers keep their places.
    assert (
        state.call_centers["7002"].waiting.call_ids() == old.call_centers["7002"].waiting.call_ids()
    )
    assert (state.sequence, state.order_counter, state.rng) == (
        old.sequence,
        old.order_counter,
        old.rng,
    )
    assert set(state.agents) == {"1001", "1002", "1003", "1004"}
    assert set(state.call_centers) == {"7001", "7002"}
    assert state.agents["1002"].joined == {"7001": None}
    assert list(state.agents["1003"].joined) == ["7002", "7001"]
    # Still ringing with the call that fits, and still talking with the lunch break asked for.
    assert state.agents["1001"].offered_call == "ringing"
    assert state.agents["1003"].call == "talk"
    assert state.agents["1003"].pending_state == (AgentState.UNAVAILABLE, "lunch")
    # On hold with the dropped call: no BUSY agent without a call.
    assert state.agents["1004"].state is AgentState.AVAILABLE
    assert state.agents["1004"].call is None and state.agents["1004"].last_call == "held"
    assert state.call_centers["7001"].night_override is False
    assert state.call_centers["7002"].last_offered == -1
    assert state.call_centers["7002"].average_handle_seconds == 77.5
    free_sets_agree(state)
    # The restored state runs on: the ringing call is answered, the talk ends into lunch.
    engine = Engine.from_state(changed, state)
    engine.feed(AgentAnswered("ringing", "1001"), sim.now)
    engine.feed(AgentHungUp("talk", "1003"), sim.now)
    assert engine.state.calls["ringing"].phase is Phase.TALKING
    assert engine.state.agents["1003"].state is AgentState.UNAVAILABLE


def test_a_lower_max_waiters_keeps_the_waiting_calls_in_order_and_refuses_the_next() -> None:
    config = TenantConfig("t1", (center("7001", max_waiters=10),), agents("1001"))
    sim = simulator(config)  # 1001 signed out: calls wait
    for call_id in ("a", "b", "c"):
        arrive(sim, call_id)
    sim.feed(PromoteCall("c", 5))
    lowered = dataclasses.replace(
        config, call_centers=(dataclasses.replace(config.call_centers[0], max_waiters=3),)
    )
    restored = decode_state(encode_state(sim.engine.state, config), lowered)
    assert restored.dropped_calls == ()
    engine = Engine.from_state(lowered, restored.state)
    assert engine.state.call_centers["7001"].waiting.call_ids() == ["c", "a", "b"]
    events = engine.feed(CallArrived("d", "7001", "+31204"), sim.now)
    assert [e.type for e in events.events] == [EventType.CALL_OVERFLOWED]  # full at 3: busy
    assert engine.state.call_centers["7001"].waiting.call_ids() == ["c", "a", "b"]


def test_a_changed_config_keeps_wrap_up_and_its_timer() -> None:
    sim = every_phase()
    config = sim.config
    third = dataclasses.replace(config.call_centers[2], disposition_codes=frozenset({"x"}))
    changed = dataclasses.replace(config, call_centers=(*config.call_centers[:2], third))
    restored = decode_state(encode_state(sim.engine.state, config), changed)
    assert not restored.exact
    agent = restored.state.agents["1005"]
    assert agent.state is AgentState.WRAP_UP
    # Only a setting changed: every call and timer goes on, the wrap-up timer with them.
    assert restored.dropped_calls == ()
    assert restored.state.timers == sim.engine.state.timers
    assert restored.state.timers["agent/1005/wrap_up"] == ("wrap_up", "1005")
    assert restored.state.call_centers["7003"].forced_forwarding is True
    assert (agent.last_call, agent.last_call_center) == ("wrapped", "7003")


def test_a_licence_lowered_to_basic_signs_the_agent_in() -> None:
    config = TenantConfig("t1", (center("7001", tier=Tier.BASIC),), agents("1001"))
    sim = simulator(config, available=("1001",))
    lowered = dataclasses.replace(config, agents=agents("1001", licence=Tier.BASIC))
    state = decode_state(encode_state(sim.engine.state, config), lowered).state
    assert state.agents["1001"].state is AgentState.SIGN_IN
    assert state.call_centers["7001"].free == {"1001": None}


# Bad documents -----------------------------------------------------------------------------------


def _good() -> tuple[dict[str, Any], TenantConfig]:
    sim = every_phase()
    return json.loads(json.dumps(encode_state(sim.engine.state, sim.config))), sim.config


def _row(doc: dict[str, Any], table: str, key: str) -> list[Any]:
    rows: list[list[Any]] = doc[table]["rows"]
    return next(row for row in rows if row[0] == key)


def _set(table: str, key: str, name: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(doc: dict[str, Any]) -> None:
        _row(doc, table, key)[doc[table]["fields"].index(name)] = value

    return change


BAD: dict[str, Callable[[dict[str, Any]], Any]] = {
    "not a dict": lambda doc: [doc],
    "unknown version": lambda doc: {**doc, "version": SNAPSHOT_VERSION + 1},
    "version as text": lambda doc: {**doc, "version": str(SNAPSHOT_VERSION)},
    "other tenant": lambda doc: {**doc, "tenant": "t2"},
    "no digest": lambda doc: {k: v for k, v in doc.items() if k != "config_digest"},
    "no calls": lambda doc: {k: v for k, v in doc.items() if k != "calls"},
    "engine not an object": lambda doc: {**doc, "engine": []},
    "rng as text": lambda doc: doc["engine"].update(rng="3"),
    "timer of an unknown call": lambda doc: doc["engine"]["timers"].append(["x", ["ring", "x"]]),
    "call column missing": lambda doc: doc["calls"]["fields"].pop(),
    "short call row": lambda doc: _row(doc, "calls", "talk").pop(),
    "unknown phase": _set("calls", "talk", "phase", "flying"),
    "priority as text": _set("calls", "talk", "priority", "1"),
    "answered as int": _set("calls", "talk", "answered", 1),
    "order as bool": _set("calls", "talk", "order", True),
    "offered_to not a list": _set("calls", "ringing", "offered_to", "1001"),
    "pending not a treatment": _set("calls", "treated", "pending", {"action": "explode"}),
    "call in an unknown call center": _set("calls", "talk", "call_center_id", "9999"),
    "call of an unknown agent": _set("calls", "talk", "agent", "4711"),
    "pending state of one": _set("agents", "1003", "pending_state", ["UNAVAILABLE"]),
    "agent on an unknown call": _set("agents", "1004", "call", "nope"),
    "joined a call center it is not in": _set("agents", "1001", "joined", ["7003"]),
    "unknown agent": lambda doc: doc["agents"]["rows"].append(
        [("4711" if i == 0 else v) for i, v in enumerate(_row(doc, "agents", "1001"))]
    ),
    "call stored twice": lambda doc: doc["calls"]["rows"].append(_row(doc, "calls", "talk")),
    "queued call missing from its queue": lambda doc: doc["call_centers"][1]["waiting"].pop(),
    "queue out of order": lambda doc: doc["call_centers"][1]["waiting"].reverse(),
    "call center entry not an object": lambda doc: doc["call_centers"].append("7009"),
    "call center missing": lambda doc: doc["call_centers"].pop(),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_documents_raise_snapshot_error(name: str) -> None:
    doc, config = _good()
    changed = BAD[name](doc)
    with pytest.raises(SnapshotError) as raised:
        decode_state(doc if changed is None else changed, config)
    assert str(raised.value)


def test_the_error_says_what_is_wrong() -> None:
    doc, config = _good()
    _set("calls", "talk", "phase", "flying")(doc)
    with pytest.raises(SnapshotError, match=r"calls row 0: field 'phase': 'flying' is not a Phase"):
        decode_state(doc, config)
    with pytest.raises(SnapshotError, match="tenant 't1', not 'other'"):
        decode_state(doc, dataclasses.replace(config, tenant="other"))


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*path, index))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
GOOD = _good()
PLACES = list(_places(GOOD[0]))[1:]


@settings(max_examples=300, deadline=None)
@given(
    place=st.sampled_from(PLACES),
    replacement=JSON | st.sampled_from(["7001", "1001", "talk", "waiting", "SIGN_IN", "ring"]),
    delete=st.booleans(),
    exact=st.booleans(),
)
def test_any_mutated_document_is_restored_or_refused_with_snapshot_error(
    place: tuple[Any, ...], replacement: Any, delete: bool, exact: bool
) -> None:
    doc = copy.deepcopy(GOOD[0])
    config = GOOD[1] if exact else dataclasses.replace(GOOD[1], seed=99)
    parent = doc
    for key in place[:-1]:
        parent = parent[key]
    if delete:
        del parent[place[-1]]
    else:
        parent[place[-1]] = replacement
    try:
        restored = decode_state(doc, config)
    except SnapshotError:
        return
    assert isinstance(restored.state, EngineState)


def test_switches_of_a_feature_no_longer_configured_start_as_the_config_says() -> None:
    sim = every_phase()
    config = sim.config
    first, second, third = config.call_centers
    changed = dataclasses.replace(
        config,
        call_centers=(
            dataclasses.replace(first, night_service=None),
            second,
            dataclasses.replace(third, forced_forwarding=None),
        ),
    )
    state = decode_state(encode_state(sim.engine.state, config), changed).state
    assert state.call_centers["7001"].night_override is None
    assert state.call_centers["7003"].forced_forwarding is False


def _without_column(doc: dict[str, Any], table: str, name: str) -> None:
    """The document as a release that did not have field `name` yet would have written it."""
    index = doc[table]["fields"].index(name)
    del doc[table]["fields"][index]
    for row in doc[table]["rows"]:
        del row[index]


def test_a_snapshot_from_before_a_field_with_a_default_existed_restores_with_the_default() -> None:
    doc, config = _good()
    _without_column(doc, "calls", "stay")
    _without_column(doc, "agents", "last_call_center")
    del doc["engine"]["order_counter"]
    state = decode_state(doc, config).state
    assert {call.stay for call in state.calls.values()} == {1}
    assert {agent.last_call_center for agent in state.agents.values()} == {None}
    assert state.order_counter == 0
    assert state.calls["talk"].phase is Phase.TALKING  # the other columns still line up


@pytest.mark.parametrize(("table", "name"), [("calls", "caller"), ("agents", "extension")])
def test_a_snapshot_without_a_field_that_has_no_default_is_refused(table: str, name: str) -> None:
    doc, config = _good()
    _without_column(doc, table, name)
    with pytest.raises(SnapshotError, match=f"field '{name}' is missing"):
        decode_state(doc, config)


QUEUE_BREAKS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ready call not waiting": lambda doc: doc["call_centers"][1]["ready"].append(
        next(
            row[0]
            for row in doc["calls"]["rows"]
            if row[0] not in doc["call_centers"][1]["waiting"]
        )
    ),
    "queued call missing from its queue": lambda doc: doc["call_centers"][1]["waiting"].pop(),
    "a waiting call twice": lambda doc: doc["call_centers"][1]["waiting"].append(
        doc["call_centers"][1]["waiting"][0]
    ),
}


@pytest.mark.parametrize("name", list(QUEUE_BREAKS))
def test_a_broken_queue_is_refused_under_a_changed_config_too(name: str) -> None:
    """Carrying a snapshot over to a new config rebuilds the queues from it, so it checks them
    like the exact path (a ready call outside the waiting list was a KeyError, found by the
    mutation test below on a fresh-clone CI run)."""
    doc, config = _good()
    QUEUE_BREAKS[name](doc)
    with pytest.raises(SnapshotError, match="call center"):
        decode_state(doc, dataclasses.replace(config, seed=99))
