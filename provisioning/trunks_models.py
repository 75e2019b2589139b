"""The outside world's tables in the provisioning schema (migration `trunks`): calling plans and
carrier trunks."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table

from provisioning.models import METADATA, TENANT_ID

TENANT_PLAN = ""
"""`username` of a tenant's own plan (the users' plans name their user)."""

calling_plans = Table(
    "prov_calling_plans",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("username", String(64), primary_key=True),
    # Category names (common.number_categories) the tenant or user may not call; NULL: the user
    # follows its tenant's plan (the row then only holds `hide_number`).
    Column("denied", JSON, nullable=True),
    # Category names called only with the user's PIN (migration `callpin`); NULL as `denied`:
    # none, or for a user following its tenant's plan, the tenant's.
    Column("pin", JSON, nullable=True),
    # A user's permanent caller-ID blocking (CallingLineIDDeliveryBlocking).
    Column("hide_number", Boolean, nullable=False),
    # A user's Anonymous Call Rejection: calls from outside without a number get 433.
    Column("reject_anonymous", Boolean, nullable=False),
    # The tenant's row only: how many calls to the carrier may be up at once (Call Capacity
    # Management); NULL: no limit.
    Column("max_external_calls", Integer, nullable=True),
    # The tenant's row only: its toll-fraud guard's limits, `{"per_user", "per_tenant",
    # "minutes"}` (migration `fraudlim`); NULL: the platform's.
    Column("toll_fraud", JSON, nullable=True),
)

trunks = Table(
    "prov_trunks",
    METADATA,
    Column("id", Integer, primary_key=True),
    # NULL: a platform-wide trunk (the operator's), used by every tenant after its own.
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=True),
    Column("name", String(64), nullable=False),
    Column("host", String(253), nullable=False),
    Column("port", Integer, nullable=False),
    Column("transport", String(8), nullable=False),
    Column("priority", Integer, nullable=False),
    # Requests from `host` are the carrier's (direct numbers): an IP address then.
    Column("inbound", Boolean, nullable=False),
    # Digest credentials towards the carrier; never handed out by the API.
    Column("username", String(128), nullable=True),
    Column("password", String(128), nullable=True),
    # Seconds of registration asked of the carrier; NULL: the trunk does not register.
    Column("register_expires", Integer, nullable=True),
)

incoming_plans = Table(
    "prov_incoming_plans",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    # TENANT_PLAN for the tenant's own plan; a username for a user's plan (in place of it).
    Column("username", String(64), primary_key=True),
    Column("internal", Boolean, nullable=False),
    Column("external", Boolean, nullable=False),
    # Category names (common.number_categories) of calling numbers refused.
    Column("denied", JSON, nullable=False),
)

intercepts = Table(
    "prov_intercepts",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    # What the caller hears: the tenant's uploaded announcement ("announcement:<name>") when it
    # is there, else `text` spoken (NULL: the platform's own sentence).
    Column("announcement", String(80), nullable=True),
    Column("text", String(500), nullable=True),
    Column("language", String(2), nullable=False),
    # Where the caller goes after the message (an extension, group or outside number); NULL:
    # the call ends.
    Column("alternate", String(32), nullable=True),
)

user_intercepts = Table(
    "prov_user_intercepts",
    METADATA,
    # InterceptUser (migration `intercept_user`): one user's intercept, the columns as
    # `prov_intercepts`; keyed by username as `prov_incoming_plans` (a deleted user's row is
    # never read: the readers join the users).
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("username", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("announcement", String(80), nullable=True),
    Column("text", String(500), nullable=True),
    Column("language", String(2), nullable=False),
    Column("alternate", String(32), nullable=True),
)
