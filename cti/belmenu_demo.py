"""The demo company's Bel-me-nu button (`make demo`): extension 1001 rings first, and the
product's own preview page (`/belmenu/try/{button}`) on the demo's default address may use it."""

from __future__ import annotations

import logging

from provisioning.belmenu import BelmenuButtons, ButtonSpec
from provisioning.errors import ProvisioningError
from provisioning.service import ProvisioningService

log = logging.getLogger(__name__)

DEMO_BUTTON = ButtonSpec(
    "Bel mij terug", "1001", ("http://127.0.0.1:8000", "http://localhost:8000")
)
"""`OPENCC_HTTP_PORT` other than 8000: the admin adds that origin to the button."""


def seed_demo_belmenu(service: ProvisioningService, tenant: str, actor: str) -> None:
    buttons = BelmenuButtons(service)
    if buttons.all(tenant):
        return
    try:
        made = buttons.create(actor, tenant, DEMO_BUTTON)
    except ProvisioningError as error:  # an admin's demo database without 1001
        log.warning("demo Bel-me-nu button not made: %s", error)
        return
    log.info("demo Bel-me-nu button: try it at http://127.0.0.1:8000/belmenu/try/%s", made.id)
