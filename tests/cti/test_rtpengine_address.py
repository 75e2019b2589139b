"""`OPENCC_RTPENGINE`: the address of an rtpengine of its own (docs/deploy.md), refused clearly
when it is not host:port; `OPENCC_RTPENGINE_REDIS_DB`: the Redis DB where the product's own
rtpengine keeps its sessions, never the product's own DB."""

from __future__ import annotations

import pytest

from cti.product_children import (
    DEFAULT_RTPENGINE_REDIS_DB,
    rtpengine_address,
    rtpengine_redis_db,
    rtpengine_redis_target,
)
from pbx_core.config import RtpengineAddress
from pbx_core.media.rtpengine_process import RedisTarget


def test_an_address_is_host_and_ng_port_and_unset_means_a_child_of_the_product() -> None:
    assert rtpengine_address("127.0.0.1:2223") == RtpengineAddress("127.0.0.1", 2223)
    assert rtpengine_address(None) is None
    assert rtpengine_address("") is None


@pytest.mark.parametrize("text", ["127.0.0.1", ":2223", "host:port", "h:0", "h:70000", "h:-1"])
def test_a_bad_address_is_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(ValueError, match="OPENCC_RTPENGINE"):
        rtpengine_address(text)


def test_rtpengine_keeps_its_sessions_in_db_15_of_the_products_redis_unless_told() -> None:
    assert rtpengine_redis_db(None) == DEFAULT_RTPENGINE_REDIS_DB == 15
    assert rtpengine_redis_db("3") == 3
    assert rtpengine_redis_db("off") is None
    assert rtpengine_redis_target("redis://10.0.0.5:6380/2", 15) == RedisTarget(
        "10.0.0.5", 6380, 15
    )
    assert rtpengine_redis_target("redis://127.0.0.1:6379", 15) == RedisTarget(
        "127.0.0.1", 6379, 15
    )
    assert rtpengine_redis_target("redis://127.0.0.1:6379/0", None) is None


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/4", "redis://127.0.0.1:6379"])
def test_the_products_own_db_is_refused_for_rtpengine(url: str) -> None:
    db = 4 if url.endswith("/4") else 0
    with pytest.raises(ValueError, match=r"OPENCC_RTPENGINE_REDIS_DB.*DB of its own"):
        rtpengine_redis_target(url, db)


def test_rtpengine_keeps_no_sessions_behind_sentinel_and_says_what_to_do() -> None:
    url = "redis+sentinel://127.0.0.1:26379/opencc/0"
    with pytest.raises(ValueError, match=r"Sentinel.*OPENCC_RTPENGINE_REDIS_DB=off"):
        rtpengine_redis_target(url, 15)
    assert rtpengine_redis_target(url, None) is None


@pytest.mark.parametrize("text", ["fifteen", "-1", "1.5"])
def test_a_bad_rtpengine_db_is_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(ValueError, match="OPENCC_RTPENGINE_REDIS_DB"):
        rtpengine_redis_db(text)
