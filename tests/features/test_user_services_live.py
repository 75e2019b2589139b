"""The PBX's forwarding table follows provisioning without a restart: a user's own change, a
profile downgrade (its forwarding stops applying), a new user; another tenant's changes are not
its business."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine

from cti.user_services_live import LiveUserServices, conference_others
from pbx_core.features.diversion import N_WAY_OTHERS, NO_SERVICES, THREE_WAY_OTHERS, Forwarding
from pbx_core.features.table import ServicesTable
from provisioning.profiles import FEATURES, Profile
from provisioning.service import ProvisioningService, UserPatch
from provisioning.user_services_store import UserServicesService
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec


def test_the_table_follows_changes_and_profiles(
    engine: Engine, service: ProvisioningService
) -> None:
    for tenant in ("acme", "other"):
        service.create_tenant("op", tenant_spec(tenant, sip_domain=f"{tenant}.example"))
    for extension in range(1001, 1006):
        service.create_user("op", "acme", spec(extension))
    service.create_user("op", "other", spec(2001))
    services = UserServicesService(engine)
    services.change("op", "acme", "user1001", {"forward_busy": "1002"})
    table = ServicesTable()
    LiveUserServices(services, service, table).load_all()
    assert table.get("acme", "1001").forward_busy == "1002"
    assert table.get("acme", "1001").may_inhibit

    services.change("admin", "acme", "user1002", {"do_not_disturb": True, "forward_always": "1003"})
    language = table.get("acme", "1002").language
    kantoor = Forwarding(
        features=FEATURES[Profile.KANTOOR],
        profile="kantoor",
        language=language,
        conference_others=N_WAY_OTHERS,
    )
    assert table.get("acme", "1002") == replace(
        kantoor,
        forward_always="1003",
        no_answer_seconds=20.0,
        do_not_disturb=True,
        may_inhibit=True,
    )
    downgrade = UserPatch(profile=Profile.VERGADERZAAL)
    service.update_user("op", "acme", "user1002", downgrade, confirm_buyout=True)
    assert table.get("acme", "1002") == Forwarding(  # kept, not applied
        no_answer_seconds=20.0,
        features=FEATURES[Profile.VERGADERZAAL],
        profile="vergaderzaal",
        language=language,
    )
    assert "CallPark" not in table.get("acme", "1002").features

    service.create_user("op", "acme", spec(1006))
    assert table.get("acme", "1006") == replace(kantoor, no_answer_seconds=20.0, may_inhibit=True)
    services.change("op", "acme", "user1006", {"call_waiting": False})
    assert not table.get("acme", "1006").call_waiting
    services.change("op", "other", "user2001", {"do_not_disturb": True})
    # Every tenant is kept, each in its own rows: 2001 of "other" is nobody of "acme".
    assert table.get("other", "2001").do_not_disturb
    assert table.get("acme", "2001") is NO_SERVICES


def test_three_way_and_n_way_calls_follow_the_profile() -> None:
    """Ch. 7: ThreeWayCall in every profile but Vergaderzaal, NWayCall in Kantoor and Overal."""
    assert conference_others(Profile.VERGADERZAAL) == 0
    assert conference_others(Profile.ONDERWEG_BUNDEL) == THREE_WAY_OTHERS
    assert conference_others(Profile.KANTOOR) == N_WAY_OTHERS
    assert conference_others(Profile.OVERAL) == N_WAY_OTHERS
