"""The product in the foreground, as `make demo` (`cti.demo`) and a production start (`cti.run`)
run it: a banner once everything is up, Ctrl-C or SIGTERM stops everything it started."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable

from common.dependencies import exit_unless_patched_versions
from cti.product import Product, ProductSettings, run_product
from cti.product_checks import ProductError

Banner = Callable[[ProductSettings, Product], str]


async def serve(settings: ProductSettings, banner: Banner) -> None:
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
        print(banner(settings, product), flush=True)
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


def main(settings: ProductSettings, banner: Banner) -> None:
    exit_unless_patched_versions()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(settings, banner))
    except ProductError as error:
        sys.exit(f"opencc: {error}")
