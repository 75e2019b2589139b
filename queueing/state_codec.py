"""Engine state as a plain JSON document, so the shell can store a snapshot and drop the journal
entries it covers (compaction). `decode_state(encode_state(s, c), c).state == s`.

Configuration is never stored: the snapshot carries a digest of the `TenantConfig` it was taken
under, and config objects are taken from the config given to `decode_state`. When the digest
differs, what still fits the new config is carried over (`Restored.exact` is False).

Fields are encoded from the state dataclasses' type hints, so a new field of a supported type is
stored without touching this module (field_codecs.py); an unsupported type fails at import.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from queueing.config import AgentNextState, TenantConfig, Tier
from queueing.field_codecs import Fields, SnapshotError, as_object, decoder, failure
from queueing.inputs import AgentState
from queueing.state import (
    HOLDS_PLACE,
    Agent,
    Call,
    CallCenter,
    EngineState,
    initial_state,
    sync_free,
)
from queueing.timers import WRAP_UP, agent_timer_id
from queueing.waiting_list import WaitingList, make_key

__all__ = ["Restored", "SnapshotError", "config_digest", "decode_state", "encode_state"]

SNAPSHOT_VERSION: int = 1


@dataclass(frozen=True, slots=True)
class Restored:
    state: EngineState
    exact: bool
    """The snapshot was taken under this same config: the state is exactly the one saved."""
    dropped_calls: tuple[str, ...] = ()
    """Calls of the snapshot left out because the config changed (only when not `exact`)."""


# Config digest -------------------------------------------------------------------------------


def config_digest(config: TenantConfig) -> str:
    """SHA-256 of a canonical form of the whole config: equal configs give equal digests in
    every process (sets are sorted, so PYTHONHASHSEED does not matter)."""
    text = json.dumps(_canonical(config), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    # Type names are part of the form so that, say, a Member and an AgentConfig with the same
    # fields, or 1 and True and 1.0, never hash alike.
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__qualname__, "value": _canonical(value.value)}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return {type(value).__name__: repr(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "type": type(value).__qualname__,
            "fields": {
                f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
            },
        }
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, frozenset | set):
        items = [_canonical(v) for v in value]
        return {"set": sorted(items, key=lambda item: json.dumps(item, sort_keys=True))}
    if isinstance(value, dict):
        return {"dict": [[_canonical(k), _canonical(v)] for k, v in value.items()]}
    if isinstance(value, date | time):
        return {type(value).__name__: value.isoformat()}
    if isinstance(value, timedelta):
        return {"timedelta": repr(value.total_seconds())}
    raise TypeError(f"config_digest does not know how to hash a {type(value).__name__}")


# What the config rebuilds (and so is not stored): config objects, and what derives from them.
_CALL = Fields.of(Call)
# An agent's memberships are kept although the config rebuilds them: under a changed config they
# tell a call center the agent left from one it was newly added to.
_AGENT = Fields.of(Agent, ("licence",))
_CENTER = Fields.of(CallCenter, ("config", "waiting", "members", "index"))
_ENGINE = Fields.of(EngineState, ("tenant", "call_centers", "agents", "calls", "unavailable_codes"))


# Encoding --------------------------------------------------------------------------------------


def encode_state(state: EngineState, config: TenantConfig) -> dict[str, Any]:
    """A JSON-safe document of `state` (json.dumps needs no custom encoder)."""
    centers = []
    for cc_id, cc in state.call_centers.items():
        center = dict(zip(_CENTER.names, _CENTER.encode(cc), strict=True))
        # Keys derive from the calls; the service order is kept as a check on restore.
        center.update(id=cc_id, waiting=cc.waiting.call_ids(), ready=list(cc.waiting.ready))
        centers.append(center)
    return {
        "version": SNAPSHOT_VERSION,
        "tenant": state.tenant,
        "config_digest": config_digest(config),
        "engine": dict(zip(_ENGINE.names, _ENGINE.encode(state), strict=True)),
        "call_centers": centers,
        "agents": _AGENT.table(state.agents.values()),
        "calls": _CALL.table(state.calls.values()),
    }


# Decoding --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Document:
    engine: dict[str, Any]
    centers: dict[str, tuple[dict[str, Any], list[str], list[str]]]
    """id -> (stored fields, waiting call ids in service order, ready call ids)."""
    agents: dict[str, dict[str, Any]]
    calls: dict[str, Call]


def decode_state(raw: Any, config: TenantConfig) -> Restored:
    """The state of a snapshot, under `config`. Raises `SnapshotError` for anything malformed."""
    doc = as_object(raw, "snapshot")
    version = doc.get("version")
    if version != SNAPSHOT_VERSION or type(version) is not int:
        raise SnapshotError(f"snapshot version {version!r} is not {SNAPSHOT_VERSION}")
    if doc.get("tenant") != config.tenant:
        raise SnapshotError(f"snapshot of tenant {doc.get('tenant')!r}, not {config.tenant!r}")
    digest = doc.get("config_digest")
    if not isinstance(digest, str):
        raise SnapshotError(f"snapshot config_digest {failure(digest, 'a string')}")
    parsed = _parse(doc)
    if digest == config_digest(config):
        return Restored(_exact(parsed, config), exact=True)
    state = _carry_over(parsed, config)
    dropped = tuple(c for c in parsed.calls if c not in state.calls)
    return Restored(state, exact=False, dropped_calls=dropped)


def _parse(doc: Mapping[str, Any]) -> _Document:
    try:
        engine = _ENGINE.decode(doc.get("engine"))
    except SnapshotError as exc:
        raise SnapshotError(f"engine: {exc}") from None
    raw_centers = doc.get("call_centers")
    if not isinstance(raw_centers, list):
        raise SnapshotError(f"call_centers: {failure(raw_centers, 'a list')}")
    centers: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {}
    ids = decoder(tuple[str, ...])
    for number, raw_center in enumerate(raw_centers):
        try:
            center = as_object(raw_center, "entry")
            cc_id = decoder(str)(center.get("id"))
            fields = _CENTER.decode(center)
            waiting, ready = (list(ids(center.get(k))) for k in ("waiting", "ready"))
        except SnapshotError as exc:
            raise SnapshotError(f"call_centers[{number}]: {exc}") from None
        _unique(centers, cc_id, "call center")[cc_id] = (fields, waiting, ready)
    agents: dict[str, dict[str, Any]] = {}
    for fields in _AGENT.rows(doc.get("agents"), "agents"):
        _unique(agents, fields["extension"], "agent")[fields["extension"]] = fields
    calls: dict[str, Call] = {}
    for fields in _CALL.rows(doc.get("calls"), "calls"):
        _unique(calls, fields["call_id"], "call")[fields["call_id"]] = Call(**fields)
    return _Document(engine, centers, agents, calls)


def _unique(found: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    if key in found:
        raise SnapshotError(f"{what} {key!r} is stored twice")
    return found


def _exact(doc: _Document, config: TenantConfig) -> EngineState:
    """Same config: every stored value comes back, after checking that references resolve
    (a dangling one would surface later as a KeyError deep inside a step)."""
    state = initial_state(config)
    _same_ids(doc.centers, state.call_centers, "call centers")
    _same_ids(doc.agents, state.agents, "agents")
    for call in doc.calls.values():
        _refers(call.call_center_id in state.call_centers, "call", call.call_id, "call center")
        _refers(call.agent is None or call.agent in state.agents, "call", call.call_id, "agent")
        _refers(all(e in state.agents for e in call.offered_to), "call", call.call_id, "agent")
    for extension, fields in doc.agents.items():
        agent = state.agents[extension]
        for name in ("offered_call", "call"):
            found = fields[name] is None or fields[name] in doc.calls
            _refers(found, "agent", extension, f"call ({name})")
        _refers(fields["member_of"] == agent.member_of, "agent", extension, "membership")
        _refers(set(fields["joined"]) <= set(agent.member_of), "agent", extension, "membership")
        center = fields["last_call_center"]
        _refers(center is None or center in state.call_centers, "agent", extension, "call center")
        _assign(agent, fields)
    _check_queues(doc)
    for cc_id, (fields, waiting, ready) in doc.centers.items():
        cc = state.call_centers[cc_id]
        _refers(set(fields["free"]) <= set(cc.members), "call center", cc_id, "member (free)")
        _refers(-1 <= fields["last_offered"] < len(cc.members), "call center", cc_id, "member")
        _assign(cc, fields)
        cc.waiting = _waiting_list(doc.calls, waiting, ready)
        if cc.waiting.call_ids() != waiting:
            raise SnapshotError(f"call center {cc_id!r}: waiting calls out of service order")
    for timer_id, (kind, subject) in doc.engine["timers"].items():
        known = state.agents if kind == WRAP_UP else doc.calls
        _refers(subject in known, "timer", timer_id, "subject")
    _assign(state, doc.engine)
    state.calls = doc.calls
    return state


def _same_ids(stored: Mapping[str, Any], built: Mapping[str, Any], what: str) -> None:
    if set(stored) != set(built):
        missing, unknown = sorted(set(built) - set(stored)), sorted(set(stored) - set(built))
        raise SnapshotError(f"{what} differ from the config: missing {missing}, unknown {unknown}")


def _refers(ok: bool, what: str, key: str, target: str) -> None:
    if not ok:
        raise SnapshotError(f"{what} {key!r} refers to an unknown {target}")


def _assign(obj: Any, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


def _waiting_list(calls: Mapping[str, Call], waiting: list[str], ready: list[str]) -> WaitingList:
    result = WaitingList()
    for call_id in waiting:
        call = calls[call_id]
        result.add(make_key(call_id, call.priority, call.order))
    for call_id in ready:
        result.set_ready(call_id)
    return result


# Config changed: carry over what still fits ----------------------------------------------------

_AGENT_CARRIED = ("state", "unavailable_code", "state_since", "idle_since")
_CENTER_CARRIED = ("average_handle_seconds",)


def _carry_over(doc: _Document, config: TenantConfig) -> EngineState:
    """A fresh state for the new config with the snapshot's counters, agent states, call center
    switches, and the calls that still fit (a live config change must not lose waiting callers):
    those whose call center is still there with every agent they ring or talk to as a member.
    Waiting calls keep their place; their timers go on. Other calls are dropped."""
    _check_queues(doc)
    state = initial_state(config)
    for name in ("sequence", "order_counter", "rng"):
        setattr(state, name, doc.engine[name])
    state.calls = {c.call_id: c for c in doc.calls.values() if _fits(c, state)}
    state.timers = {
        timer: (kind, subject)
        for timer, (kind, subject) in doc.engine["timers"].items()
        if subject in state.calls
        or (kind == WRAP_UP and subject in state.agents)  # kept below for agents in wrap-up
    }
    for cc_id, (fields, waiting, ready) in doc.centers.items():
        cc = state.call_centers.get(cc_id)
        if cc is None:
            continue
        _assign(cc, {name: fields[name] for name in _CENTER_CARRIED})
        if cc.config.night_service is not None:
            cc.night_override = fields["night_override"]
        if cc.config.forced_forwarding is not None:
            cc.forced_forwarding = fields["forced_forwarding"]
        if -1 <= fields["last_offered"] < len(cc.members):
            cc.last_offered = fields["last_offered"]
        kept = [c for c in waiting if c in state.calls]
        cc.waiting = _waiting_list(state.calls, kept, [c for c in ready if c in state.calls])
    for extension, fields in doc.agents.items():
        agent = state.agents.get(extension)
        if agent is None:
            continue
        _assign(agent, {name: fields[name] for name in _AGENT_CARRIED})
        carried = [c for c in fields["joined"] if c in agent.member_of]
        added = [c for c in agent.joined if c not in fields["member_of"]]
        agent.joined = dict.fromkeys(carried + added)
        if fields["last_call_center"] in state.call_centers:
            agent.last_call = fields["last_call"]
            agent.last_call_center = fields["last_call_center"]
        if fields["offered_call"] in state.calls:
            agent.offered_call = fields["offered_call"]
        if fields["call"] in state.calls:
            agent.call, agent.pending_state = fields["call"], fields["pending_state"]
        elif fields["call"] is not None:
            _call_dropped(agent, fields["pending_state"], state)
        _fit_licence(agent)
        if agent.state is not AgentState.WRAP_UP:
            # The shell fires wrap-up timers after a restart; without one the agent would stay.
            state.timers.pop(agent_timer_id(extension), None)
        sync_free(state, agent)
    return state


def _check_queues(doc: _Document) -> None:
    """What must hold inside the document whatever the config: each call center's waiting calls
    are exactly its queued calls, once each, and its ready calls are among them. Both paths rely
    on it to rebuild the queues (a broken one would surface later as a KeyError in a step)."""
    queued: dict[str, set[str]] = {cc_id: set() for cc_id in doc.centers}
    for call in doc.calls.values():
        if call.phase in HOLDS_PLACE:
            _refers(call.call_center_id in queued, "call", call.call_id, "call center")
            queued[call.call_center_id].add(call.call_id)
    for cc_id, (_fields, waiting, ready) in doc.centers.items():
        in_queue = queued[cc_id]
        same = set(waiting) == in_queue and len(waiting) == len(in_queue)
        _refers(same, "call center", cc_id, "or missing queued call (waiting)")
        _refers(set(ready) <= set(waiting), "call center", cc_id, "waiting call (ready)")


def _fits(call: Call, state: EngineState) -> bool:
    cc = state.call_centers.get(call.call_center_id)
    agents = (*call.offered_to, *([call.agent] if call.agent else []))
    return cc is not None and all(e in cc.index for e in agents)


def _call_dropped(
    agent: Agent, pending: tuple[AgentState, str | None] | None, state: EngineState
) -> None:
    """The agent's call is gone: the state it would have reached once the call and its wrap-up
    were over (what the shell's restart ends calls with), not BUSY with no call."""
    if pending is not None:
        agent.state, code = pending
    elif agent.licence is Tier.BASIC:
        agent.state, code = AgentState.SIGN_IN, None
    else:
        cc = state.call_centers.get(agent.last_call_center or "")
        after = cc.config.wrap_up_next_state if cc and cc.config.wrap_up_seconds else None
        unavailable = after is AgentNextState.UNAVAILABLE
        agent.state = AgentState.UNAVAILABLE if unavailable else AgentState.AVAILABLE
        code = None
    agent.unavailable_code = code if agent.state is AgentState.UNAVAILABLE else None


def _fit_licence(agent: Agent) -> None:
    # A licence lowered to Basic: no ACD states any more, only signed in or out.
    if agent.licence is Tier.BASIC and agent.state not in (AgentState.SIGN_IN, AgentState.SIGN_OUT):
        agent.state = AgentState.SIGN_IN
        agent.unavailable_code = None
