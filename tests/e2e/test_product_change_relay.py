"""A provisioning change committed by another process reaches the running product
(cti/provisioning_relay.py): a bare `ProvisioningService` on the product's database, with a
relay of its own on the product's Redis prefix, stands for a second API node or a CLI. It
shares no object with the product: only the database and the Redis channel."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cti.passwords import TEST_COST, hash_password
from cti.provisioning_relay import PROVISIONING, ChangeRelay
from cti.users import make_engine
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService
from provisioning.users import Licences, Tier, UserRole, UserSpec
from tests.e2e.test_product_provisioning import _eventually, _registers
from tests.product_harness import REDIS_URL, ProductThread

OTHER_NODE = "other-node"


async def test_a_user_and_a_call_center_changed_elsewhere_apply_in_the_product(
    tmp_path: Path,
) -> None:
    product = ProductThread.start(tmp_path / "var", "prov-relay")
    database = make_engine(product.handle.database_url)
    other = ProvisioningService(database, partial(hash_password, cost=TEST_COST))
    relay = ChangeRelay(REDIS_URL, product.prefix)
    relay.attach(PROVISIONING, other.transactions)
    try:
        sip, work = product.sip_port, tmp_path
        assert not await _registers(sip, "1011", "sip-1011-secret", work)
        spec = UserSpec(
            "1011",
            "Nieuwe Collega",
            "1011",
            None,
            "sip-1011-secret",
            Profile.KANTOOR,
            frozenset({UserRole.AGENT}),
            Licences(call_center=Tier.PREMIUM),
        )
        other.create_user(OTHER_NODE, "demo", spec)
        assert await _eventually(lambda: _registers(sip, "1011", "sip-1011-secret", work))

        runtime = product.handle.runtime
        assert runtime is not None

        def waiters_of_7002() -> int | None:
            return next(
                c.max_waiters for c in runtime.config("demo").call_centers if c.id == "7002"
            )

        assert waiters_of_7002() != 9
        other.update_call_center(OTHER_NODE, "demo", "7002", {"max_waiters": 9})

        async def applied() -> bool:
            return waiters_of_7002() == 9

        assert await _eventually(applied)
    finally:
        relay.close()
        database.dispose()
        product.stop()
