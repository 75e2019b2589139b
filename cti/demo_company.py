"""The demo company of the contract (`../shared/spec/contract.md`, tenant `demo`), engine side."""

from __future__ import annotations

from datetime import time

from queueing.config import (
    Action,
    AgentConfig,
    BouncePolicy,
    CallbackPolicy,
    CallCenterConfig,
    ComfortBypass,
    EstimatedWait,
    ForcedForwarding,
    Media,
    Member,
    NightService,
    OverflowPolicy,
    StrandedPolicy,
    TenantConfig,
    Tier,
    Treatment,
)
from queueing.schedule import OpeningHours, WeeklySchedule, dutch_public_holidays

DEMO_TENANT = "demo"
WRAP_UP_SECONDS = 10
DISPOSITION_CODES = frozenset(
    {"resolved", "information", "sale", "callback", "complaint", "wrong-number"}
)
"""The codes the agent client offers by default (agent_ui.DEFAULT_DISPOSITION_CODES)."""


def _members(*extensions: int) -> tuple[Member, ...]:
    return tuple(Member(str(e)) for e in extensions)


def demo_tenant_config() -> TenantConfig:
    media = Media(entrance_message="welcome", music_on_hold="moh", comfort_message="comfort")
    open_08_18 = WeeklySchedule(
        "Europe/Amsterdam", tuple(OpeningHours(day, time(8), time(18)) for day in range(7))
    )
    to_sales = Treatment(Action.TRANSFER, "7002", "night_service")
    # The Service line's supervisor can send every new call to Sales (docs/cti.md, demo).
    return TenantConfig(
        tenant=DEMO_TENANT,
        call_centers=(
            CallCenterConfig(
                id="7001",
                name="Helpdesk",
                tier=Tier.BASIC,
                max_waiters=25,
                members=_members(1001, 1002, 1003),
                media=media,
                overflow=OverflowPolicy(max_wait_seconds=120),
                wrap_up_seconds=WRAP_UP_SECONDS,
                disposition_codes=DISPOSITION_CODES,
                # Press 1 for a callback that keeps the place (docs/callback.md).
                callback=CallbackPolicy(offer_above_seconds=30),
            ),
            CallCenterConfig(
                id="7002",
                name="Sales",
                tier=Tier.STANDARD,
                max_waiters=50,
                members=_members(1004, 1005, 1006),
                media=media,
                bounce=BouncePolicy(ring_seconds=15),
                stranded=StrandedPolicy(all_signed_out=Treatment(Action.BUSY)),
                wrap_up_seconds=WRAP_UP_SECONDS,
                disposition_codes=DISPOSITION_CODES,
            ),
            CallCenterConfig(
                id="7003",
                name="Service",
                tier=Tier.PREMIUM,
                max_waiters=525,
                members=_members(1001, 1007, 1008, 1009, 1010),
                media=Media(
                    entrance_message="welcome",
                    music_on_hold="moh",
                    comfort_message="comfort",
                    estimated_wait=EstimatedWait.POSITION,
                    comfort_bypass=ComfortBypass(30, "comfort_short"),
                ),
                night_service=NightService(
                    schedule=open_08_18,
                    night_treatment=to_sales,
                    holidays=dutch_public_holidays(),
                    holiday_treatment=to_sales,
                    initial_override=False,
                ),
                forced_forwarding=ForcedForwarding(destination="7002"),
                wrap_up_seconds=WRAP_UP_SECONDS,
                disposition_codes=DISPOSITION_CODES,
            ),
        ),
        agents=tuple(AgentConfig(str(e), f"Agent {e}", Tier.PREMIUM) for e in range(1001, 1011)),
    )
