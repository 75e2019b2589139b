"""InterceptUser in the running product, with SIPp: a colleague's call to the intercepted 1003
hears the message (RTP) and goes on to the alternate 1004, which answers; a carrier call to
1003's direct number and a colleague's call forwarded to 1003 are intercepted too; 1003's call
to a mobile number is refused (403); switched off live, 1003 rings again. The admin API's
refusals on the way."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product_group_options import product, routing_has, sipp
from tests.e2e.test_product_group_services import Caller, admin, put
from tests.e2e.test_product_phone_features import set_services
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

__all__ = ["product"]  # the fixture, shared

INTERCEPT = {"enabled": True, "text": "Jan no longer works here. You are put through.",
             "language": "en", "alternate": "1004"}  # fmt: skip


def _spoken(received: list[tuple[float, list[int]]]) -> int:
    """Packets of audible sound (the message spoken), silence left out."""
    return len([s for _, s in received if max(map(abs, s), default=0) > 2000])


async def test_an_intercepted_user_never_rings_and_calls_out_only_112(
    product: ProductThread, tmp_path: Path
) -> None:
    async with await admin(product) as http:
        for body, field in [
            ({**INTERCEPT, "alternate": "1003"}, "alternate"),  # itself: a loop
            ({**INTERCEPT, "alternate": "+31201230003"}, "alternate"),  # its own number
            ({**INTERCEPT, "alternate": "sales"}, "alternate"),
            ({**INTERCEPT, "language": "xx"}, "language"),
        ]:
            bad = await http.put("/users/1003/intercept", json=body)
            assert bad.status_code == 422 and field in bad.text, bad.text
        nobody = await http.put("/users/nobody/intercept", json=INTERCEPT)
        assert nobody.status_code == 404, nobody.text
        other = await http.put(
            f"{product.base_url}/api/v1/tenants/other/users/1003/intercept", json=INTERCEPT
        )
        assert other.status_code in (403, 404), other.text  # never another tenant's user
        assert await put(http, "/users/1003/intercept", INTERCEPT) == {"announcement": None,
                                                                        **INTERCEPT}  # fmt: skip
        assert (await http.get("/users/1003/intercept")).json()["enabled"] is True
    await routing_has(product, lambda t: ("demo", "1003") in t.intercepted_users)

    # 1002 calls 1003: the message, then the alternate 1004 answers; 1003 is never offered.
    alternate = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        colleague = KeyingCall(product.sip_port, tmp_path, "1002", "1003",
                               hang_up_after_ms=12000)  # fmt: skip
        await colleague.hung_up_by_pbx()
        assert (await alternate.wait()).returncode == 0, "the alternate 1004 answered"
        assert _spoken(colleague.phone.received) > 25, "1002 heard the message"
    finally:
        alternate.kill()
    # A carrier call to 1003's direct number: intercepted as well.
    alternate = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "+31201230003", hold_ms=12000)
        await caller.done()
        assert (await alternate.wait()).returncode == 0, "the carrier's caller went to 1004"
        assert _spoken(caller.phone.received) > 25, "the carrier's caller heard the message"
    finally:
        alternate.kill()
    # 1005 forwards everything to 1003: the forwarded call is intercepted too.
    assert (await set_services(product, "1005", forward_always="1003")).is_success
    alternate = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        forwarded = KeyingCall(product.sip_port, tmp_path, "1002", "1005",
                               hang_up_after_ms=12000)  # fmt: skip
        await forwarded.hung_up_by_pbx()
        assert (await alternate.wait()).returncode == 0, "the forwarded call went to 1004"
    finally:
        alternate.kill()
    await set_services(product, "1005", forward_always=None)
    # 1003 calls out to nobody but 112; its colleague 1002 calls out as always (not tested
    # here: the tenant is not intercepted, its plan applies).
    await sipp(product, tmp_path, "ext_call_fails_403.xml", "1003", "0612345678")

    # Switched off: the next call rings 1003 itself, no restart.
    async with await admin(product) as http:
        await put(http, "/users/1003/intercept", {**INTERCEPT, "enabled": False})
    await routing_has(product, lambda t: not t.intercepted_users)
    phone = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        await sipp(product, tmp_path, "ext_call.xml", "1002", "1003")
        assert (await phone.wait()).returncode == 0, "1003 rang again"
    finally:
        phone.kill()
