"""The demo company's numbers (contract.md, "Outside world (demo)"): a block of 100 from
+31201230000, the main number to the Helpdesk 7001, +31201230001..10 to the agents 1001..1010;
made once, when the tenant has no number block (an admin's later changes stay). And the demo's
carrier as the platform's trunk, when the platform has none."""

from __future__ import annotations

from provisioning.service import ProvisioningService
from provisioning.trunks import TrunkSpec
from provisioning.trunks_store import Trunks

DEMO_BLOCK = ("+31201230000", 100)
DEMO_MAIN_NUMBER = ("+31201230000", "7001")
DEMO_DIRECT_NUMBERS = tuple((f"+312012300{n - 1000:02d}", str(n)) for n in range(1001, 1011))


def seed_demo_numbers(service: ProvisioningService, tenant: str, actor: str) -> None:
    if service.number_blocks(tenant):
        return
    service.add_number_block(actor, tenant, *DEMO_BLOCK)
    for number, destination in (DEMO_MAIN_NUMBER, *DEMO_DIRECT_NUMBERS):
        service.assign_number(actor, tenant, number, destination)


def seed_demo_trunk(service: ProvisioningService, carrier: tuple[str, int]) -> None:
    """Blocking (SQL). The carrier at `carrier` (the demo's 127.0.0.1:5090) as the platform's
    trunk, outbound only: the contract's trunk address (127.0.0.1) is trusted by the directory
    already, and our own phones share it."""
    trunks = Trunks(service.transactions)
    if trunks.trunks_of(None):
        return
    host, port = carrier
    trunks.create("demo-seed", None, TrunkSpec("demo carrier", host, port))
