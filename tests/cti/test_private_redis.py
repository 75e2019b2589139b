"""Without a Redis at the default address the product starts one of its own
(`cti/product_children.start_private_redis`): supervised, answering, and gone with the product."""

from __future__ import annotations

from pathlib import Path

from common.supervision import Supervisor
from cti.product_children import redis_answers, start_private_redis


async def test_a_private_redis_answers_and_stops_with_its_supervisor(tmp_path: Path) -> None:
    supervisor = Supervisor()
    url = await start_private_redis(tmp_path, supervisor)
    try:
        assert url.startswith("redis://127.0.0.1:") and redis_answers(url)
    finally:
        await supervisor.stop()
    assert not redis_answers(url)
    assert not redis_answers("redis://127.0.0.1:1/0")  # nothing listens there
