"""Every Redis key and channel name OpenCC uses, in one place so every process agrees on them.

Every key starts with a prefix (`opencc` in production, a unique one per test) and, for tenant
data, the tenant, so tenants never share a key and tests never touch each other's data
(docs/cti.md, "Redis layout").
"""

from __future__ import annotations

DEFAULT_PREFIX = "opencc"


def event_stream(prefix: str, tenant: str) -> str:
    """The per-tenant domain event log (docs/events.md)."""
    return f"{prefix}:{tenant}:events"


def cdr_stream(prefix: str, tenant: str) -> str:
    """The per-tenant stream of call-detail records the PBX side publishes (docs/reports.md)."""
    return f"{prefix}:{tenant}:cdrs"


def group_event_stream(prefix: str, tenant: str) -> str:
    """The per-tenant stream of the group services' call events (docs/events.md, "Group calls"):
    Redis ids, not the engine's sequences, so apart from `event_stream`."""
    return f"{prefix}:{tenant}:group-events"


TENANT_STREAM_SUFFIXES = (":events", ":cdrs", ":group-events")
"""The suffixes of `event_stream`, `cdr_stream` and `group_event_stream`: what the reports
ingester scans for."""


def tenant_stream_patterns(prefix: str) -> tuple[str, ...]:
    """SCAN patterns matching every tenant's event, CDR and group-event stream under `prefix`."""
    return tuple(f"{prefix}:*{suffix}" for suffix in TENANT_STREAM_SUFFIXES)


def tenant_of_stream(prefix: str, key: str) -> str | None:
    """The tenant of a key made by `event_stream`, `cdr_stream` or `group_event_stream`; None for
    any other key."""
    head = f"{prefix}:"
    for suffix in TENANT_STREAM_SUFFIXES:
        if key.startswith(head) and key.endswith(suffix):
            tenant = key[len(head) : -len(suffix)]
            return tenant if tenant and ":" not in tenant else None
    return None


def is_event_stream(key: str) -> bool:
    """Whether a stream key (from either function above) is an event stream, whose entries are
    ordered by their own sequence numbers, rather than a CDR stream."""
    return key.endswith(":events")


def is_group_event_stream(key: str) -> bool:
    """Whether a stream key is a tenant's `group_event_stream`."""
    return key.endswith(":group-events")


def tenant_alerts(prefix: str, tenant: str) -> str:
    """The newest alerts for a tenant's admins, newest first (cti/tenant_alerts.py)."""
    return f"{prefix}:{tenant}:alerts"


def alert_mail_gate(prefix: str, tenant: str, kind: str) -> str:
    """Set while a mail about `kind` alerts went to `tenant`'s admins lately: one mail, not one
    per blocked call (cti/tenant_alerts.py)."""
    return f"{prefix}:{tenant}:alerts:mailed:{kind}"


def snapshot_key(prefix: str, tenant: str, part: str) -> str:
    """One part of a tenant's live snapshot (docs/cti.md, "Snapshot layout")."""
    return f"{prefix}:{tenant}:snapshot:{part}"


def journal_key(prefix: str, tenant: str) -> str:
    """The engine runtime's journal of inputs since its last engine snapshot (docs/runtime.md)."""
    return f"{prefix}:{tenant}:journal"


def engine_snapshot_key(prefix: str, tenant: str) -> str:
    """The engine state the journal continues from (docs/runtime.md, compaction)."""
    return f"{prefix}:{tenant}:engine_snapshot"


def recording_queue(prefix: str) -> str:
    """The rq queue of recording conversions and mails (an installation's own: rq keys it
    `rq:queue:<name>`)."""
    return f"{prefix}:recordings"


def pbx_prefix(prefix: str) -> str:
    """The PBX's own namespace, shared by all tenants; each binding key names its tenant
    (docs/pbx.md, "Tenants")."""
    return f"{prefix}:pbx:"


def location_bindings(pbx_namespace: str) -> str:
    """The prefix of every binding key (pbx_core/location.py scans it to clear them)."""
    return f"{pbx_namespace}binding:"


def location_binding(pbx_namespace: str, tenant: str, extension: str) -> str:
    """A registered phone's contact, expiring with its registration (pbx_core/location.py)."""
    return f"{location_bindings(pbx_namespace)}{tenant}:{extension}"


def location_changes_channel(pbx_namespace: str) -> str:
    """Pub/sub channel on which a location store tells the others to drop a cached binding."""
    return f"{pbx_namespace}binding-changes"


def login_failures_by_ip(prefix: str, address: str) -> str:
    """Failed logins from one client address and its back-off (cti/login_throttle.py)."""
    return f"{prefix}:login-failures:ip:{address}"


def login_failures_by_account(prefix: str, account_digest: str) -> str:
    """Failed logins against one account, named by a digest of the login so any typed name
    makes a key of one shape (cti/login_throttle.py)."""
    return f"{prefix}:login-failures:account:{account_digest}"


def open_connections(prefix: str, tenant: str, username: str) -> str:
    """One principal's open websocket and SSE connections, as leases (cti/connection_slots.py)."""
    return f"{prefix}:{tenant}:connections:{username}"


def token_generation(prefix: str, tenant: str, username: str) -> str:
    """A user's access-token generation: tokens issued under an older one are revoked
    (cti/token_revocation.py)."""
    return f"{prefix}:{tenant}:token-generation:{username}"


def kiosk_tokens(prefix: str, tenant: str) -> str:
    """Hash: a tenant's wallboard kiosk tokens, id -> record JSON (cti/kiosk_tokens.py)."""
    return f"{prefix}:{tenant}:kiosk-tokens"


def kiosk_token_digests(prefix: str) -> str:
    """Hash: SHA-256 of every live kiosk token -> `tenant` and id (a token names no tenant)."""
    return f"{prefix}:kiosk-token-digests"


def kiosk_token_ids(prefix: str) -> str:
    """Counter: the next kiosk token id, platform-wide."""
    return f"{prefix}:kiosk-token-ids"


def crm_user_tokens(prefix: str, tenant: str) -> str:
    """Hash: a tenant's per-user CRM adapter tokens, id -> record JSON (cti/crm_user_tokens.py)."""
    return f"{prefix}:{tenant}:crm-user-tokens"


def crm_user_token_digests(prefix: str) -> str:
    """Hash: SHA-256 of every live CRM adapter token -> `tenant` and id."""
    return f"{prefix}:crm-user-token-digests"


def crm_user_token_ids(prefix: str) -> str:
    """Counter: the next CRM adapter token id, platform-wide."""
    return f"{prefix}:crm-user-token-ids"


def wallboard_thresholds(prefix: str, tenant: str) -> str:
    """Hash: call center id -> its wallboard's red thresholds JSON (cti/wallboard.py)."""
    return f"{prefix}:{tenant}:wallboard-thresholds"


def receptionist_monitored(prefix: str, tenant: str, username: str) -> str:
    """The extensions a receptionist's console monitors, a JSON list (docs/receptionist.md)."""
    return f"{prefix}:{tenant}:receptionist:{username}:monitored"


def receptionist_lines(prefix: str) -> str:
    """Every `tenant/extension` whose console was opened: the lines whose calls are logged for
    the console's history, a set (docs/receptionist.md)."""
    return f"{prefix}:receptionist:lines"


def receptionist_history(prefix: str, tenant: str, extension: str) -> str:
    """The calls that rang a receptionist, newest first: a list of JSON `{"callId", "caller",
    "callerName", "at"}`, trimmed (docs/receptionist.md)."""
    return f"{prefix}:{tenant}:receptionist:{extension}:history"


def receptionist_notes(prefix: str, tenant: str) -> str:
    """Notes on the tenant's calls written in the receptionist console, a hash: call id -> JSON
    `{"text", "by", "at"}` (docs/receptionist.md)."""
    return f"{prefix}:{tenant}:receptionist:notes"


def filtered_calls(prefix: str, tenant: str, manager: str) -> str:
    """A manager's filtered calls (Manager/Assistant), newest first: one JSON list of at most
    50 calls, rewritten at each change (docs/manager-assistant.md)."""
    return f"{prefix}:{tenant}:manager-assistant:{manager}:filtered"


def belmenu_requests(prefix: str, scope: str, subject: str) -> str:
    """Bel-me-nu callback requests in the current window, per client address, button or
    visitor number digest (cti/belmenu.py)."""
    return f"{prefix}:belmenu:{scope}:{subject}"


def provisioning_changes_channel(prefix: str) -> str:
    """Pub/sub channel of committed provisioning changes: every product process applies the
    changes another process made (cti/provisioning_relay.py, docs/provisioning.md)."""
    return f"{prefix}:provisioning:changes"


def engine_lease(prefix: str, tenant: str) -> str:
    """`{node id}:{token}` of the node running the tenant's queue engine, expiring unless renewed
    (cti/engine_lease.py)."""
    return f"{prefix}:{tenant}:engine:lease"


def engine_fence(prefix: str, tenant: str) -> str:
    """Counter: the fencing token of the tenant's newest engine lease; journal writes carrying an
    older one are refused (cti/engine_lease.py)."""
    return f"{prefix}:{tenant}:engine:fence"


def engine_commands(prefix: str, tenant: str) -> str:
    """List: call-center commands relayed by nodes in standby to the node running the tenant's
    queue engine, JSON requests (cti/engine_command_relay.py)."""
    return f"{prefix}:{tenant}:engine:commands"


def engine_command_reply(prefix: str, tenant: str, request_id: str) -> str:
    """List: the one reply to a relayed command, popped by the node waiting for it; expiring
    (cti/engine_command_relay.py)."""
    return f"{prefix}:{tenant}:engine:commands:reply:{request_id}"


def engine_command_claim(prefix: str, tenant: str, request_id: str) -> str:
    """Set once, NX, by whichever side comes first: the holder taking a relayed command, or the
    waiting node giving up on it (then the holder never carries it out); expiring
    (cti/engine_command_relay.py)."""
    return f"{prefix}:{tenant}:engine:commands:claim:{request_id}"
