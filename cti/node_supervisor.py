"""A PBX node's supervisor (what `make demo` runs): it owns rtpengine and runs the product as its
child, so rtpengine, and with it the callers' music and the calls' audio, outlives a crash of the
product, which it starts again at once; the restarted product takes the calls over from Redis
(docs/deploy.md, "Calls that survive a PBX crash").

    python -m cti.node_supervisor python -m cti.demo

The product is started through a warm standby (cti/warm_standby.py): a second process that has
imported the product waits beside it, so a restart skips the imports (8.6 s of a 15 s restart)
and a `kill -9` of the product is served again in under 2 s (docs/chaos.md).

Every child is exec'd through `dies_with_parent`: `kill -9` of this process still stops
everything (the product stops its own children as on any SIGTERM). In production systemd runs
this supervisor as `opencc.service`, with `OPENCC_RTPENGINE` naming rtpengine's own unit
(deploy/systemd): then it starts no rtpengine and supervises only the product.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from common.supervision import ChildSpec, RestartPolicy, Supervisor
from cti.product_children import (
    DEFAULT_REDIS_URL,
    RTPENGINE_REDIS_DB_ENV,
    SupervisedRtpengine,
    redis_answers,
    rtpengine_redis_db,
    rtpengine_redis_target,
)
from cti.warm_standby import WarmStandby
from pbx_core.media.rtpengine_process import RedisTarget, free_udp_port

log = logging.getLogger(__name__)

PRODUCT = "product"
PRODUCT_RESTART = RestartPolicy(first_delay=0.2, max_delay=10.0)
"""At once (the warm standby has imported everything) for the first crash, then backing off as
for any child, and held for `crash_loop_retry` in a crash loop."""


STANDBY_AFTER_SECONDS = 20.0
"""A new warm standby waits this long before importing (`OPENCC_STANDBY_AFTER` overrides it):
the product it stands beside is itself starting then, and on 2 cores the two would share the
CPU."""


def product_spec(standby: WarmStandby) -> ChildSpec:
    """The product as a child, started through a warm standby (cti/warm_standby.py): a restart
    skips the imports. Its output stays on this terminal (the banner, the log)."""
    return ChildSpec(PRODUCT, standby.start, stop_timeout=30.0)


def media_environment(rtpengine: SupervisedRtpengine, dtmf_port: int) -> dict[str, str]:
    """What tells the product to use this rtpengine instead of starting its own."""
    current = rtpengine.current
    assert current is not None
    return {
        "OPENCC_RTPENGINE": f"{current.host}:{current.ng_port}",
        "OPENCC_RTPENGINE_DTMF_PORT": str(dtmf_port),
    }


def media_sessions(env: Mapping[str, str]) -> RedisTarget | None:
    """Where rtpengine keeps its calls' sessions so that its restart after a crash restores
    them: `OPENCC_RTPENGINE_REDIS_DB` of the product's Redis. None when the product will run a
    private Redis (none answers at `REDIS_URL`'s default): that one dies with the product."""
    redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
    target = rtpengine_redis_target(redis_url, rtpengine_redis_db(env.get(RTPENGINE_REDIS_DB_ENV)))
    if target is not None and not env.get("REDIS_URL") and not redis_answers(redis_url):
        log.warning("no Redis at %s: rtpengine keeps no sessions (a crash of it silences calls)",
                    redis_url)  # fmt: skip
        return None
    return target


async def supervise(argv: Sequence[str]) -> None:
    var = Path(os.environ.get("OPENCC_VAR_DIR", "var")).resolve()
    host = os.environ.get("OPENCC_HOST", "127.0.0.1")
    media = Supervisor()
    product = Supervisor(PRODUCT_RESTART, start_grace=300.0)
    stopping = asyncio.Event()
    standby: WarmStandby | None = None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        env = dict(os.environ)
        if "OPENCC_RTPENGINE" not in env:  # given: rtpengine is a service of its own (systemd)
            dtmf_port = free_udp_port(host)
            sessions = media_sessions(env)
            rtpengine = SupervisedRtpengine(
                var / "rtpengine", var / "recordings", dtmf_port, sessions
            )
            await media.supervise(rtpengine.spec())
            env.update(media_environment(rtpengine, dtmf_port))
        after = float(os.environ.get("OPENCC_STANDBY_AFTER", STANDBY_AFTER_SECONDS))
        standby = WarmStandby(argv, after, env=env, start_new_session=True)
        await product.supervise(product_spec(standby))
        await stopping.wait()
    finally:
        await product.stop()  # first: it stops its own children, then rtpengine may go
        if standby is not None:
            await asyncio.to_thread(standby.close)
        await media.stop()


def main(argv: Sequence[str]) -> None:
    if not argv:
        sys.exit("usage: python -m cti.node_supervisor <product command...>")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:  # a wrong OPENCC_RTPENGINE_REDIS_DB is refused before anything starts
        rtpengine_redis_target(
            os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            rtpengine_redis_db(os.environ.get(RTPENGINE_REDIS_DB_ENV)),
        )
    except ValueError as error:
        sys.exit(f"node supervisor: {error}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(supervise(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
