"""A caller's SIP dialog kept in Redis, so a restarted PBX can take the call over (issue 20,
"calls that survive a PBX crash"; docs/deploy.md).

One key per call, `{pbx prefix}dialog:{call id}` (`opencc:pbx:dialog:...`), a JSON document
with a TTL: what sippy needs to rebuild the UA in the confirmed state (Call-ID, tags, From/To,
remote target, route set, where requests go, our Contact, our CSeq, both SDPs), what the B2BUA's
`Call` needs (tenant, caller, called, route, rtpengine's session: the Call-ID and the caller's
tag, the SDP legs are offered, whether the application holds the call), and the fencing token
of the node that wrote it.

Written by the SIP thread when the PBX answers a call an application drives, removed when the
call ends (`pbx_core/sip/calls/dialog_takeover.py`). `StoredDialog` is the pure part; `DialogStore`
the Redis shell.
"""

from __future__ import annotations

import json
import logging
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

DIALOG_TTL_SECONDS = 4 * 3600
"""Longer than any wait in a queue (the engine's maximum is 2 h): a key whose call ended while
no PBX ran expires by itself."""


class DialogRecordError(ValueError):
    """A stored dialog that is not one this PBX wrote (a bad or foreign key): it is skipped."""


@dataclass(frozen=True, slots=True)
class SipDialog:
    """What sippy's UA needs to go on in a confirmed dialog."""

    call_id: str
    local_tag: str
    local_uri: str
    """Our From of in-dialog requests (with our tag)."""
    remote_uri: str
    """Their To (with their tag)."""
    remote_target: str
    routes: tuple[str, ...]
    remote_host: str
    remote_port: int
    transport: str
    local_contact: str
    local_cseq: int
    local_sdp: str
    remote_sdp: str


@dataclass(frozen=True, slots=True)
class StoredLeg:
    """The leg bridged to the caller (a connected call): the PBX's dialog with that phone."""

    leg_id: str
    extension: str
    remote_sdp: str
    dialog: SipDialog


@dataclass(frozen=True, slots=True)
class StoredDialog:
    call_id: str
    tenant: str
    caller: str
    called: str
    caller_name: str
    source: str
    """`call_control.CallSource`'s value."""
    route: str
    """The number whose handler drives the call (only such calls are stored)."""
    caller_tag: str
    offer_sdp: str
    leg_counter: int
    dialog: SipDialog
    """The caller's dialog (its Call-ID is the call's)."""
    bridged: StoredLeg | None
    token: int
    """The fencing token of the PBX node that wrote it (`DialogStore.next_token`)."""
    cti_hold: bool = False
    """The application holds the bridged leg (`HoldCall`): rtpengine blocks both directions and
    plays music to the caller, which it goes on doing while no PBX runs. Missing in a dialog
    written before it was kept: read as not held."""

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | bytes) -> StoredDialog:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise DialogRecordError(f"not JSON: {exc}") from exc
        decoded = _decoded(cls, data, "")
        assert isinstance(decoded, StoredDialog)
        return decoded


_NESTED: dict[str, type[Any]] = {
    "SipDialog": SipDialog,
    "StoredLeg": StoredLeg,
    "StoredLeg | None": StoredLeg,
}


def _decoded(cls: type[Any], data: object, where: str) -> Any:
    """`data` (parsed JSON) as the dataclass `cls`, every field checked."""
    if not isinstance(data, dict):
        raise DialogRecordError(f"{where or 'dialog'}: not an object")
    values: dict[str, Any] = {}
    for f in fields(cls):
        name, kind, value = f"{where}{f.name}", str(f.type), data.get(f.name)
        if kind in _NESTED:
            optional = kind.endswith("| None")
            values[f.name] = (
                None if optional and value is None else _decoded(_NESTED[kind], value, f"{name}.")
            )
            continue
        if f.name not in data and f.default is not MISSING:
            continue  # a field added later: its default
        wanted: type[Any] = {"int": int, "bool": bool, "tuple[str, ...]": list}.get(kind, str)
        if not isinstance(value, wanted) or (wanted is not bool and isinstance(value, bool)):
            raise DialogRecordError(f"{name}: missing or not a {wanted.__name__}")
        if wanted is list:
            if not all(isinstance(item, str) for item in value):
                raise DialogRecordError(f"{name}: not a list of strings")
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


_FENCED_WRITE = """
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, dialog = pcall(cjson.decode, stored)
  if ok and type(dialog) == 'table' and tonumber(dialog.token)
      and tonumber(dialog.token) > tonumber(ARGV[1]) then
    return 0
  end
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return 1
"""
"""Write (or, with an empty value, delete) a dialog unless a node with a higher token holds it:
one round trip, atomic, so a stale node never overwrites or removes a newer node's dialog."""


class DialogStore:
    """Blocking Redis calls, made from the SIP thread (one script call per write) and at start."""

    def __init__(self, redis: Redis, prefix: str, ttl: int = DIALOG_TTL_SECONDS) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._fenced_write = redis.register_script(_FENCED_WRITE)

    def key(self, call_id: str) -> str:
        return f"{self._prefix}dialog:{call_id}"

    def next_token(self) -> int:
        """A fencing token for a starting node: higher than any node's before it."""
        return int(self._redis.incr(f"{self._prefix}dialog-token"))

    def save(self, dialog: StoredDialog) -> bool:
        """False when a newer node holds the dialog (this node is fenced out of the call).
        Never raises: a Redis outage costs this call its survival of a crash, nothing else."""
        try:
            args: list[str | int] = [dialog.token, dialog.encode(), self._ttl]
            return bool(self._fenced_write(keys=[self.key(dialog.call_id)], args=args))
        except RedisError:
            log.warning("dialog of %s not stored (Redis)", dialog.call_id, exc_info=True)
            return True

    def forget(self, call_id: str, token: int) -> None:
        """Remove the dialog, unless a newer node holds it."""
        try:
            self._fenced_write(keys=[self.key(call_id)], args=[token, "", 0])
        except RedisError:
            log.warning("dialog of %s not removed (Redis): it expires", call_id, exc_info=True)

    def load(self, token: int) -> list[StoredDialog]:
        """Every stored dialog a node holding `token` may take over. A dialog written under a
        higher token belongs to a node that started later (it took the call over already): it
        is left alone. Unreadable keys are logged and removed."""
        dialogs: list[StoredDialog] = []
        for key in self._redis.scan_iter(match=self.key("*"), count=500):
            raw = self._redis.get(key)
            if raw is None:
                continue
            try:
                dialog = StoredDialog.decode(raw)
            except DialogRecordError as exc:
                log.error("stored dialog %r skipped and removed: %s", key, exc)
                self._redis.delete(key)
                continue
            if dialog.token > token:
                log.warning("dialog of %s belongs to a newer node: left alone", dialog.call_id)
                continue
            dialogs.append(dialog)
        return dialogs
