"""Settings of the CTI web process (`create_app(settings)`), with `from_env()` for deployments."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.registry import Collector

from common.redis_keys import DEFAULT_PREFIX
from common.supervision import Supervisor
from cti.belmenu import BelmenuLimits
from cti.control import CallCenterControl
from cti.login_throttle import LoginLimits
from cti.passwords import PRODUCTION_COST, ScryptCost
from cti.screen_pop import ScreenPopLookup
from provisioning.service import ProvisioningService


def _written_secret(path: Path) -> str:
    """The secret another process is writing right now (it created the file a moment ago)."""
    for _ in range(50):
        if secret := path.read_text().strip():
            return secret
        time.sleep(0.02)
    raise RuntimeError(f"{path} stays empty: remove it to make a new token secret")


def _token_secret_from_file(path: Path) -> str:
    """A secret shared by every process of one installation, made on first use."""
    if path.exists():
        return _written_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Created with mode 0600 in one step: written first and chmod-ed after, the file would be
    # world-readable (umask 022) for a moment. O_EXCL: two processes starting together must
    # not each write their own secret; the loser reads the winner's.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _written_secret(path)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret)
    return secret


def installation_secret() -> str:
    """`OPENCC_TOKEN_SECRET`, else the one in `$OPENCC_VAR_DIR/token_secret` (made on first
    use): the access tokens' key, from which other keys of the installation are derived."""
    env = os.environ
    return env.get("OPENCC_TOKEN_SECRET") or _token_secret_from_file(
        Path(env.get("OPENCC_VAR_DIR", "var")) / "token_secret"
    )


@dataclass(frozen=True)
class CtiSettings:
    token_secret: str
    """HMAC key of access tokens; the same in every API process of an installation."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = DEFAULT_PREFIX
    database_url: str = "sqlite:///var/opencc.db"
    default_tenant: str = "demo"
    """Tenant of a login name without `@tenant`."""
    token_ttl_seconds: float = 8 * 3600
    password_cost: ScryptCost = PRODUCTION_COST
    create_tables: bool = True
    control: CallCenterControl | None = None
    """The engine runtime; without it (and without `relay_commands`) mutations answer "call
    control unavailable"."""
    relay_commands: bool = False
    """Without `control`: relay call-center commands to the node running the tenant's engine
    over Redis (an API process of its own, `cti/serve.py`; docs/deploy.md, point 9 of the
    tenant engine lease)."""
    screen_pop: ScreenPopLookup | None = None
    provisioning: ProvisioningService | None = None
    """The product's service (the engine runtime listens to its changes); None: the app makes
    its own on first use, on `database_url`."""
    sip_transactions: Callable[[], float] | None = None
    """Gauge hook: current SIP transactions, read at each /metrics scrape."""
    sip_messages: Callable[[], Mapping[str, int]] | None = None
    """Counter hook: SIP messages by direction (`received`, `sent`) since the PBX started."""
    sip_auth: Callable[[], Mapping[str, int]] | None = None
    """Hook: failed SIP authentications, bans and addresses banned now (the PBX's)."""
    extra_metrics: Sequence[Collector] = ()
    """More Prometheus collectors of the process (the PBX's carrier registrations)."""
    crm_errors: Callable[[], Mapping[Any, int]] | None = None
    processes: Supervisor | None = None
    """The product's supervised child processes: their states on /metrics and
    /healthz/processes."""
    """Gauge hook: failed CRM operations by tenant, connector, operation and kind."""
    metrics_token: str | None = None
    """Bearer token Prometheus sends to scrape `/metrics` (its `authorization.credentials`);
    None: `/metrics` is off. The figures name tenants, call centers and CRM connectors, so
    they are not public, and a user's access token does not open them either: the scraper
    gets its own secret, which can be rotated without touching anybody's sign-in."""
    dev_mode: bool = False
    """Development (`OPENCC_DEV=1`): GraphiQL at GET /graphql and schema introspection. Off by
    default, the demo included: an installation exposes neither unless someone asks for it."""
    max_document_chars: int = 16 * 1024
    """Longer GraphQL documents are refused before they are parsed."""
    max_query_depth: int = 6
    max_aliases: int = 15
    max_tokens: int = 2000
    subscriber_queue_size: int = 1000
    fanout_block_ms: int = 250
    max_replay_events: int = 10_000
    """Most events a subscription with `afterSequence` may replay; a client further behind is
    told to read the current state again."""
    history_scan_limit: int = 5000
    """How many recent stream entries `myCallHistory` looks through."""
    ws_max_message_bytes: int = 64 * 1024
    """Largest websocket message a client may send; GraphQL documents are far smaller."""
    ws_init_timeout: float = 10.0
    """Seconds a websocket may stay open before its first message (`connection_init`)."""
    max_connections_per_principal: int = 20
    """Open websockets plus SSE streams one user (or API token) may hold at once."""
    stream_recheck_seconds: float = 30.0
    """How often an open websocket or SSE stream re-checks its token for revocation (it ends
    exactly at the token's expiry anyway): the longest a revoked session keeps streaming."""
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    belmenu_limits: BelmenuLimits = field(default_factory=BelmenuLimits)
    clock: Callable[[], float] = time.time
    """Wall clock of the login back-off; tests inject one they can move."""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> CtiSettings:
        env = os.environ
        values: dict[str, object] = {
            "token_secret": installation_secret(),
            "redis_url": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "database_url": env.get("DATABASE_URL", "sqlite:///var/opencc.db"),
            "key_prefix": env.get("OPENCC_KEY_PREFIX", DEFAULT_PREFIX),
            "metrics_token": env.get("OPENCC_METRICS_TOKEN") or None,
            "dev_mode": env.get("OPENCC_DEV") == "1",
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
