"""The whole product (`cti.product.run_product`, as `make demo` runs it) for end-to-end tests:
on free ports, with its own var folder and Redis key prefix, on an asyncio loop in a thread of
its own (browser tests drive Playwright's sync API from the main thread; async tests keep their
own loop). Stopping it is what Ctrl-C does, then its Redis keys are dropped.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from common.job_queues import job_queue
from common.redis_connect import sync_client
from common.redis_keys import recording_queue
from cti.product import Product, ProductSettings, run_product
from tests.pbx_core.support import free_port, free_sip_port

REDIS_URL = "redis://127.0.0.1:6379/0"
T = TypeVar("T")


async def _cancel_everything() -> None:
    """What `asyncio.run` does at its end: cancel every other task and let each unwind."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class LoopThread:
    """An asyncio loop in a daemon thread; `run(coro)` waits for a coroutine run on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@dataclass
class ProductThread:
    settings: ProductSettings
    handle: Product
    loop: LoopThread
    task: Future[None]

    @classmethod
    def start(
        cls, var_dir: Path, label: str, timeout: float = 120, **overrides: Any
    ) -> ProductThread:
        """`overrides`: ProductSettings fields, e.g. `rq_worker=True` on a Redis database of
        the test's own (rq's keys have no prefix: workers of one database share the queues)."""
        settings = ProductSettings(
            http_port=free_port(socket.SOCK_STREAM),
            sip_port=free_sip_port(),
            redis_url=REDIS_URL,
            var_dir=var_dir,
            key_prefix=f"test-{label}-{uuid.uuid4().hex[:10]}",
            rq_worker=False,
            demo=True,
        )
        settings = replace(settings, **overrides)
        loop = LoopThread()
        handle = Product()
        ready = threading.Event()

        async def main() -> None:
            started = asyncio.Event()
            waiter = asyncio.create_task(started.wait())
            waiter.add_done_callback(lambda _: ready.set())
            try:
                await run_product(settings, started, handle)
            finally:
                waiter.cancel()
                ready.set()

        running = cls(settings, handle, loop, asyncio.run_coroutine_threadsafe(main(), loop.loop))
        if not ready.wait(timeout) or running.task.done():
            running.stop()
            raise RuntimeError("the product did not start in time")
        return running

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.http_port}"

    @property
    def sip_port(self) -> int:
        return self.settings.sip_port

    @property
    def prefix(self) -> str:
        return self.settings.key_prefix

    def stop(self, *, keep_keys: bool = False) -> None:
        """`keep_keys`: leave the Redis keys to another product on the same prefix."""
        try:
            if self.handle.server is not None:
                self.handle.server.should_exit = True  # what Ctrl-C does
            try:
                self.task.result(timeout=60)  # raises what made the product fail, if anything
            except TimeoutError:
                # Stopping the loop now would leave the SIP thread running, and every later
                # product of this pytest process would fail to start (ED2 is global): a CI run
                # lost 60 tests so. Unwind the product's exit stack, then fail this test.
                self.loop.run(_cancel_everything(), timeout=60)
                raise
        finally:
            self.loop.stop()
            if not keep_keys:
                client = sync_client(self.settings.redis_url or REDIS_URL)
                for key in client.scan_iter(match=f"{self.prefix}:*"):
                    client.delete(key)
                # rq keys its queues and jobs `rq:...`: the recordings the product queued go too.
                job_queue(recording_queue(self.prefix), client).delete(delete_jobs=True)
                client.close()
