"""`make demo`: the whole product with the demo company, in the foreground; Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from common.dependencies import exit_unless_patched_versions
from cti.product import Product, ProductError, ProductSettings, run_product

BANNER = """
OpenCC is running with the demo company (tenant "demo").

  Agent client        http://{host}:{http}/agent        (1001 / pw1001 ... 1010 / pw1010)
  Supervisor          http://{host}:{http}/supervisor   (supervisor / pwsupervisor)
  Admin portal        http://{host}:{http}/admin        (admin / pwadmin; operator / pwoperator)
  Wallboard           http://{host}:{http}/wallboard/#cc=7001&token=...  (a kiosk link:
                      POST /api/v1/wallboards/7001/kiosk-tokens as supervisor; docs/wallboard.md)
  Recordings          http://{host}:{http}/recordings   (admin / pwadmin; 1001, 1002 record
                      every call, the others on demand: *44 in a call or *44<number>)
  GraphQL             http://{host}:{http}/graphql
  REST + OpenAPI      http://{host}:{http}/docs
  Health, metrics     http://{host}:{http}/healthz  /metrics (bearer OPENCC_METRICS_TOKEN)
  SIP (UDP and TCP)   {host}:{sip}   phones: user 1001..1010, password pw1001..pw1010
  Call centers        7001 Helpdesk (Basic), 7002 Sales (Standard), 7003 Service (Premium)
                      from the trunk: any SIP INVITE from 127.0.0.1 to sip:7001@{host}:{sip}
  Phone features      voicemail (unanswered calls; *62 the voice portal), forwarding and
                      do-not-disturb (*72/*73, *78/*79 ...: docs/phone-features.md)
  Outside world       carrier 127.0.0.1:5090 (OPENCC_CARRIER); direct numbers +31201230000
                      (7001) and +31201230001..10 (1001..1010): docs/trunks.md
  Redis               {redis}
  Database            {database}

Try it:  sipp -sn uac -s 7001 {host}:{sip} -m 1 -d 20000    (then sign in 1001 and go Available)
Ctrl-C stops everything.
"""


async def main() -> None:
    settings = ProductSettings.from_env()
    ready = asyncio.Event()
    product = Product()
    running = asyncio.create_task(run_product(settings, ready, product))

    # SIGTERM (service managers, `timeout`) stops everything as cleanly as Ctrl-C does, so no
    # rtpengine, worker or ingester is left behind.
    def stop() -> None:
        if product.server is not None:
            product.server.should_exit = True  # uvicorn's own graceful stop, as on Ctrl-C
        else:
            running.cancel()

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop)
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if ready.is_set():
        print(
            BANNER.format(
                host=settings.host,
                http=settings.http_port,
                sip=settings.sip_port,
                redis=product.redis_url,
                database=product.database_url,
            ),
            flush=True,
        )
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


if __name__ == "__main__":
    exit_unless_patched_versions()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except ProductError as error:
        sys.exit(f"opencc: {error}")
