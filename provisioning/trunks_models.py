"""The outside world's tables in the provisioning schema (migration `trunks`)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, String, Table

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
    # A user's permanent caller-ID blocking (CallingLineIDDeliveryBlocking).
    Column("hide_number", Boolean, nullable=False),
)
