"""Engine state as a plain JSON document, so the shell can store a snapshot and drop the journal
entries it covers (compaction). `decode_state(encode_state(s, c), c).state == s`.

Configuration is never stored: the snapshot carries a digest of the `TenantConfig` it was taken
under, and config objects are taken from the config given to `decode_state`. When the digest
differs, what still fits the new config is carried over (`Restored.exact` is False).

Fields are encoded from the state dataclasses' type hints, so a new field of a supported type is
stored without touching this module; an unsupported type fails at import, not at run time.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import operator
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from queueing.config import AgentNextState, TenantConfig, Tier
from queueing.flow import WRAP_UP
from queueing.inputs import AgentState
from queueing.state import IN_QUEUE, Agent, Call, CallCenter, EngineState, initial_state, sync_free
from queueing.waiting_list import WaitingList, make_key

SNAPSHOT_VERSION: int = 1


class SnapshotError(ValueError):
    """A stored snapshot this engine cannot restore: malformed, another version or tenant."""


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


# Field codecs, compiled once per type hint -----------------------------------------------------

Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


def _fail(value: Any, expected: str) -> SnapshotError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SnapshotError(f"{shown} is not {expected}")


def _identity(value: Any) -> Any:
    return value


@functools.cache
def _encoder(hint: Any) -> Encode:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in (str, int, float, bool, None, types.NoneType):
        return _identity
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        # `_value_` rather than the `value` property, whose descriptor call was a quarter of
        # the encoding time of 50,000 calls in a profile.
        return operator.attrgetter("_value_")
    if origin in (typing.Union, types.UnionType):
        if all(_encoder(a) is _identity for a in args):
            return _identity
        inner = _encoder(_optional(hint))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _encoder(args[0])
            return list if item is _identity else lambda value: [item(v) for v in value]
        items = [_encoder(a) for a in args]
        if all(enc is _identity for enc in items):
            return list
        return lambda value: [enc(v) for enc, v in zip(items, value, strict=True)]
    if origin is dict:
        key, val = _encoder(args[0]), _encoder(args[1])
        if args[1] in (None, types.NoneType):
            # An ordered set (dict with None values): the keys in order.
            return list if key is _identity else lambda value: [key(k) for k in value]
        return lambda value: [[key(k), val(v)] for k, v in value.items()]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        fields = _Fields.of(hint)
        return lambda value: dict(zip(fields.names, fields.encode(value), strict=True))
    raise TypeError(f"state_codec cannot store a field of type {hint!r}")


@functools.cache
def _decoder(hint: Any) -> Decode:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        return _checked(str, "a string")
    if hint is bool:
        return _checked(bool, "a boolean")
    if hint is int:
        return _decode_int
    if hint is float:
        return _decode_float
    if hint in (None, types.NoneType):
        return _decode_none
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return functools.partial(_decode_enum, hint)
    if origin in (typing.Union, types.UnionType):
        inner = _decoder(_optional(hint))
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda value: tuple(item(v) for v in _list(value, "a list"))
        return functools.partial(_decode_fixed_tuple, tuple(_decoder(a) for a in args))
    if origin is dict:
        key, val = _decoder(args[0]), _decoder(args[1])
        if args[1] in (None, types.NoneType):
            return lambda value: dict.fromkeys(key(k) for k in _list(value, "a list of keys"))
        return lambda value: {
            key(k): val(v) for k, v in (_pair(p) for p in _list(value, "a list of pairs"))
        }
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return functools.partial(_decode_dataclass, hint, _Fields.of(hint))
    raise TypeError(f"state_codec cannot restore a field of type {hint!r}")


def _optional(hint: Any) -> Any:
    """X for `X | None`; other unions have no stored form (which member would a value be?)."""
    others = [a for a in typing.get_args(hint) if a is not types.NoneType]
    if len(others) != 1 or len(others) == len(typing.get_args(hint)):
        raise TypeError(f"state_codec stores only `X | None` unions, not {hint!r}")
    return others[0]


def _checked(kind: type, expected: str) -> Decode:
    def decode(value: Any) -> Any:
        if type(value) is not kind:
            raise _fail(value, expected)
        return value

    return decode


def _decode_int(value: Any) -> int:
    if type(value) is not int:
        raise _fail(value, "an integer")
    return value


def _decode_float(value: Any) -> float:
    # An int is kept as it is: the engine may hold one where a float is expected (now=0).
    if type(value) not in (float, int):
        raise _fail(value, "a number")
    return typing.cast(float, value)


def _decode_none(value: Any) -> None:
    if value is not None:
        raise _fail(value, "null")


def _decode_enum(kind: type[enum.Enum], value: Any) -> enum.Enum:
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return kind(value)
        except ValueError:
            pass
    raise _fail(value, f"a {kind.__name__} ({', '.join(repr(m.value) for m in kind)})")


def _decode_dataclass(kind: type, fields: _Fields, value: Any) -> Any:
    try:
        return kind(**fields.decode(value))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"not a valid {kind.__name__}: {exc}") from None


def _decode_fixed_tuple(items: tuple[Decode, ...], value: Any) -> tuple[Any, ...]:
    parts = _list(value, f"a list of {len(items)}")
    if len(parts) != len(items):
        raise _fail(value, f"a list of {len(items)}")
    return tuple(dec(v) for dec, v in zip(items, parts, strict=True))


def _list(value: Any, expected: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(value, expected)
    return value


def _pair(value: Any) -> tuple[Any, Any]:
    parts = _list(value, "a [key, value] pair")
    if len(parts) != 2:
        raise _fail(value, "a [key, value] pair")
    return parts[0], parts[1]


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SnapshotError(f"{what}: {_fail(value, 'an object')}")
    return value


class _Fields:
    """The stored fields of one dataclass (those not rebuilt from the config), in field order."""

    _cache: typing.ClassVar[dict[tuple[type, frozenset[str]], _Fields]] = {}

    def __init__(self, cls: type, skip: frozenset[str]) -> None:
        hints = typing.get_type_hints(cls)
        self.names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in skip)
        get = operator.attrgetter(*self.names) if self.names else lambda obj: ()
        self._values: Callable[[Any], list[Any]] = (
            (lambda obj: [get(obj)]) if len(self.names) == 1 else (lambda obj: list(get(obj)))
        )
        encoders = [_encoder(hints[name]) for name in self.names]
        # Most stored values are plain already: only the others go through their encoder.
        self._converted = tuple((i, enc) for i, enc in enumerate(encoders) if enc is not _identity)
        self._decoders = {name: _decoder(hints[name]) for name in self.names}
        # A field added in a later release has a default: snapshots written before it was added
        # still restore (the default fills in); only fields without a default are required.
        self._defaults: dict[str, Callable[[], Any]] = {}
        for f in dataclasses.fields(cls):
            if f.name not in self.names:
                continue
            if f.default_factory is not dataclasses.MISSING:
                self._defaults[f.name] = f.default_factory
            elif f.default is not dataclasses.MISSING:
                self._defaults[f.name] = functools.partial(_identity, f.default)
        self._required = tuple(name for name in self.names if name not in self._defaults)

    @classmethod
    def of(cls, kind: type, skip: Iterable[str] = ()) -> _Fields:
        key = (kind, frozenset(skip))
        found = cls._cache.get(key)
        if found is None:
            found = cls._cache[key] = cls(kind, key[1])
        return found

    def encode(self, obj: Any) -> list[Any]:
        values = self._values(obj)
        for index, enc in self._converted:
            values[index] = enc(values[index])
        return values

    def decode(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _fail(raw, "an object")
        self._check_required(raw, "")
        names = [name for name in self.names if name in raw]
        return self._decode_values(names, [raw[name] for name in names])

    def _check_required(self, stored: Iterable[str], what: str) -> None:
        missing = [name for name in self._required if name not in stored]
        if missing:
            raise SnapshotError(f"{what}field {missing[0]!r} is missing")

    def _decode_values(self, names: list[str], values: list[Any]) -> dict[str, Any]:
        decoders = self._decoders
        try:
            decoded = [decoders[name](v) for name, v in zip(names, values, strict=True)]
        except SnapshotError:
            # Rare: find the field again, to say which one.
            for name, value in zip(names, values, strict=True):
                try:
                    decoders[name](value)
                except SnapshotError as exc:
                    raise SnapshotError(f"field {name!r}: {exc}") from None
            raise
        found = dict(zip(names, decoded, strict=True))
        if len(found) < len(self.names):
            return {
                name: found[name] if name in found else self._defaults[name]()
                for name in self.names
            }
        return found

    def table(self, objs: Iterable[Any]) -> dict[str, Any]:
        # Positional rows with the names once: a big tenant holds 50,000 calls.
        return {"fields": list(self.names), "rows": [self.encode(obj) for obj in objs]}

    def rows(self, raw: Any, what: str) -> list[dict[str, Any]]:
        table = _object(raw, what)
        names, rows = table.get("fields"), table.get("rows")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SnapshotError(f"{what}: 'fields' is not a list of names")
        if not isinstance(rows, list):
            raise SnapshotError(f"{what}: 'rows' is not a list")
        self._check_required(names, f"{what}: ")
        known = [name for name in self.names if name in names]
        positions = [names.index(name) for name in known]
        decoded = []
        for number, row in enumerate(rows):
            try:
                if not isinstance(row, list) or len(row) != len(names):
                    raise _fail(row, f"a list of {len(names)} values")
                decoded.append(self._decode_values(known, [row[p] for p in positions]))
            except SnapshotError as exc:
                raise SnapshotError(f"{what} row {number}: {exc}") from None
        return decoded


# What the config rebuilds (and so is not stored): config objects, and what derives from them.
_CALL = _Fields.of(Call)
# An agent's memberships are kept although the config rebuilds them: under a changed config they
# tell a call center the agent left from one it was newly added to.
_AGENT = _Fields.of(Agent, ("licence",))
_CENTER = _Fields.of(CallCenter, ("config", "waiting", "members", "index"))
_ENGINE = _Fields.of(
    EngineState, ("tenant", "call_centers", "agents", "calls", "unavailable_codes")
)


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
    doc = _object(raw, "snapshot")
    version = doc.get("version")
    if version != SNAPSHOT_VERSION or type(version) is not int:
        raise SnapshotError(f"snapshot version {version!r} is not {SNAPSHOT_VERSION}")
    if doc.get("tenant") != config.tenant:
        raise SnapshotError(f"snapshot of tenant {doc.get('tenant')!r}, not {config.tenant!r}")
    digest = doc.get("config_digest")
    if not isinstance(digest, str):
        raise SnapshotError(f"snapshot config_digest {_fail(digest, 'a string')}")
    parsed = _parse(doc)
    if digest == config_digest(config):
        return Restored(_exact(parsed, config), exact=True)
    state = _carry_over(parsed, config)
    return Restored(state, exact=False, dropped_calls=tuple(parsed.calls))


def _parse(doc: Mapping[str, Any]) -> _Document:
    try:
        engine = _ENGINE.decode(doc.get("engine"))
    except SnapshotError as exc:
        raise SnapshotError(f"engine: {exc}") from None
    raw_centers = doc.get("call_centers")
    if not isinstance(raw_centers, list):
        raise SnapshotError(f"call_centers: {_fail(raw_centers, 'a list')}")
    centers: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {}
    ids = _decoder(tuple[str, ...])
    for number, raw_center in enumerate(raw_centers):
        try:
            center = _object(raw_center, "entry")
            cc_id = _decoder(str)(center.get("id"))
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
    queued: dict[str, set[str]] = {cc_id: set() for cc_id in state.call_centers}
    for call in doc.calls.values():
        if call.phase in IN_QUEUE:
            queued[call.call_center_id].add(call.call_id)
    for cc_id, (fields, waiting, ready) in doc.centers.items():
        cc = state.call_centers[cc_id]
        _refers(set(fields["free"]) <= set(cc.members), "call center", cc_id, "member (free)")
        _refers(-1 <= fields["last_offered"] < len(cc.members), "call center", cc_id, "member")
        in_queue = queued[cc_id]
        same = set(waiting) == in_queue and len(waiting) == len(in_queue)
        _refers(same, "call center", cc_id, "or missing queued call (waiting)")
        _refers(set(ready) <= set(waiting), "call center", cc_id, "waiting call (ready)")
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
    """A fresh state for the new config with the snapshot's counters, agent states and call
    center switches. Calls are dropped: their queue, agents or treatments may be gone."""
    state = initial_state(config)
    wrap_up_timers = {s: t for t, (k, s) in doc.engine["timers"].items() if k == WRAP_UP}
    for name in ("sequence", "order_counter", "rng"):
        setattr(state, name, doc.engine[name])
    for cc_id, (fields, _, _) in doc.centers.items():
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
        if fields["call"] is not None:
            _call_dropped(agent, fields["pending_state"], state)
        _fit_licence(agent)
        if agent.state is AgentState.WRAP_UP:
            # The shell fires wrap-up timers after a restart; without one the agent would stay.
            timer = wrap_up_timers.get(extension)
            if timer is not None:
                state.timers[timer] = (WRAP_UP, extension)
        sync_free(state, agent)
    return state


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
