"""A bulk import's web passwords hashed over the cores (docs/provisioning.md, "Activation
links"): one production scrypt costs about 0.25 s of a core and `hashlib.scrypt` holds the GIL
(threads measured no faster than one), so the pool is of processes, one per core, started on
the first bulk hash and kept for the next. The processes come from a fork server: forking the
product itself (threads holding locks) could leave a child stuck on a lock. None outlives the
product: the fork server and every worker ask the kernel for SIGKILL when their parent dies.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from common.child_processes import bind_to_parent
from cti.passwords import PRODUCTION_COST, ScryptCost, hash_password

SERVER_PRELOAD = "cti.password_pool_server"
"""What the fork server imports first: it then dies with the product (kill -9 included), and
each worker with the fork server (`bind_to_parent` as the pool's initializer)."""


class PasswordPool:
    def __init__(self, cost: ScryptCost = PRODUCTION_COST, workers: int | None = None) -> None:
        self._cost = cost
        self._workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def hash_all(self, passwords: Sequence[str]) -> list[str]:
        """Each password's hash, in order; a single one in this process (no hand-over)."""
        one = partial(hash_password, cost=self._cost)
        if len(passwords) < 2 or self._workers < 2:
            return [one(p) for p in passwords]
        try:
            return list(self._started().map(one, passwords))
        except BrokenProcessPool:
            # The fork server dies with the thread that started it (`bind_to_parent`): a
            # pool whose server has gone is started again, once.
            self.close()
            return list(self._started().map(one, passwords))

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload([SERVER_PRELOAD])
                self._pool = ProcessPoolExecutor(
                    self._workers, mp_context=context, initializer=bind_to_parent
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
