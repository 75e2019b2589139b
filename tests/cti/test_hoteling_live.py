"""The PBX's hoteling table follows provisioning (cti/hoteling_calls.py, `LiveHoteling`): a
sign-in and a sign-out at once, and a guest deleted by the admin leaves its host phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from cti.hoteling_calls import LiveHoteling
from cti.passwords import TEST_COST, hash_password
from pbx_core.features.hoteling import HotelingTable
from provisioning.db import migrate
from provisioning.hoteling_store import HotelingService, SignedIn
from provisioning.service import ProvisioningService
from provisioning.voicemail_boxes import VoicemailBoxes
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'provisioning.db'}")
    migrate(made)
    yield made
    made.dispose()


def test_the_table_follows_sign_in_sign_out_and_a_deleted_guest(engine: Engine) -> None:
    provisioning = ProvisioningService(engine, lambda p: hash_password(p, TEST_COST))
    provisioning.create_tenant("op", tenant_spec("acme", contract_profiles=5))
    provisioning.create_users("op", "acme", [spec(n) for n in range(1001, 1007)])
    VoicemailBoxes(engine).set_pin("acme", "1001", "4321")
    hoteling = HotelingService(engine)
    hoteling.set_host("admin", "acme", "1005", 60)
    table = HotelingTable()
    live = LiveHoteling(hoteling, table)
    provisioning.subscribe(live.on_user_change)
    live.load("acme")
    assert table.is_host("acme", "1005")

    assert isinstance(hoteling.sign_in("acme", "1005", "1001", "4321"), SignedIn)
    assert table.rings_at("acme", "1001") == "1005"
    assert table.presented("acme", "1005", "1002") == "1001"
    hoteling.sign_out("phone:1005", "acme", "1005")
    assert table.rings_at("acme", "1001") == "1001"

    assert isinstance(hoteling.sign_in("acme", "1005", "1001", "4321"), SignedIn)
    provisioning.delete_user("admin", "acme", "user1001", confirm_buyout=True)
    assert table.rings_at("acme", "1001") == "1001"
    assert table.guest_at("acme", "1005") is None
