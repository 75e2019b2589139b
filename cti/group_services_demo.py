"""The demo company's group services (contract.md, "Outside world (demo)"): hunt group 7100 with
1001-1003, and the auto attendant 7099 on +31201230099 (1 -> Sales 7002, 2 -> Service 7003,
3 -> hunt group 7100, 0 -> 1001; any other key repeats the menu), and the fax number 7098 on
+31201230090 (fax to e-mail, to fax@demo.opencc.test). Made once, when the tenant has no group
services; an admin's later changes stay."""

from __future__ import annotations

import logging
from typing import Any

from provisioning.errors import ProvisioningError
from provisioning.group_services import GroupKind
from provisioning.group_services_store import GroupServices
from provisioning.service import ProvisioningService

log = logging.getLogger(__name__)

DEMO_HUNT_GROUP = "7100"
DEMO_ATTENDANT = "7099"
DEMO_ATTENDANT_NUMBER = "+31201230099"
DEMO_FAX = "7098"
DEMO_FAX_NUMBER = "+31201230090"
DEMO_FAX_SETTINGS: dict[str, Any] = {"recipients": ["fax@demo.opencc.test"], "language": "nl"}

DEMO_HUNT_SETTINGS: dict[str, Any] = {
    "policy": "circular",
    "members": ["1001", "1002", "1003"],
    "ring_seconds": 15.0,
    "no_answer_destination": "7001",
    "busy_destination": "7001",
}
DEMO_MENU_SETTINGS: dict[str, Any] = {
    "menus": {
        "main": {
            "text": "Welkom bij het demobedrijf. Kies 1 voor verkoop, 2 voor service, "
            "3 voor de huntgroep, of 0 voor de receptie.",
            "options": [
                {"digit": "1", "action": "transfer", "target": "7002"},
                {"digit": "2", "action": "transfer", "target": "7003"},
                {"digit": "3", "action": "transfer", "target": DEMO_HUNT_GROUP},
                {"digit": "0", "action": "transfer", "target": "1001"},
            ],
        },
    },
    "business_menu": "main",
    "timeout_seconds": 5.0,
    "max_misses": 5,
    "fallback": "1001",
    "language": "nl",
}


def seed_demo_groups(service: ProvisioningService, tenant: str, actor: str) -> None:
    groups = GroupServices(service)
    if groups.all(tenant):
        return
    try:
        groups.put(actor, tenant, GroupKind.HUNT_GROUP, DEMO_HUNT_GROUP, "Demo hunt group",
                   DEMO_HUNT_SETTINGS)  # fmt: skip
        groups.put(actor, tenant, GroupKind.AUTO_ATTENDANT, DEMO_ATTENDANT,
                   "Demo auto attendant", DEMO_MENU_SETTINGS)  # fmt: skip
        groups.put(actor, tenant, GroupKind.FAX, DEMO_FAX, "Demo fax", DEMO_FAX_SETTINGS)
        numbers = {n.number for n in service.numbers(tenant)}
        for number, destination in (
            (DEMO_ATTENDANT_NUMBER, DEMO_ATTENDANT),
            (DEMO_FAX_NUMBER, DEMO_FAX),
        ):
            if number not in numbers:
                service.assign_number(actor, tenant, number, destination)
    except ProvisioningError as error:
        # An admin's own use of 7098-7100 or the numbers (a database of an older demo): the
        # demo starts without what does not fit, rather than not at all.
        log.warning("demo group services not (all) made: %s", error)
