"""The product's rq worker class: nothing it forks outlives it, and its parent's death is a cold
shutdown (issue 20, process supervision).

rq 3.0's worker forks two kinds of processes the kernel's `--pdeathsig` (common/child_processes.py)
does not reach, because the setting is cleared in a forked child: the scheduler (a
`ForkProcess`) and the work horse running each job. A CI run caught the scheduler alive 30 s
after the product's `kill -9`: the worker had got its SIGTERM after forking the scheduler but
before installing its signal handlers, so it died at once and its scheduler lived on. And once
the handlers are in, SIGTERM is rq's *warm* shutdown: a job begun keeps the worker (and its
horse) running until the job ends, however long that takes.

So this worker
- has every process it forks ask the kernel for SIGKILL when the worker dies (and exit at once if
  the worker died before it asked), so neither the scheduler nor a horse can be orphaned;
- installs its handlers before it forks anything;
- stops its command-channel reader before it unsubscribes: rq 3.0 unsubscribes first, and a
  reader that took the unsubscribe reply before its stop flag was cleared waited another 60 s
  (rq's poll) while redis-py 8's `stop()` joined it with no time limit: a CI run saw a clean
  stop hang there a minute after the last job;
- starts its scheduler again within `SCHEDULER_CHECK_SECONDS` once it died: rq's scheduler
  process exits on a Redis error (an outage, a Sentinel failover, docs/deploy.md) and rq starts
  it again only with its maintenance tasks, every 10 minutes, and only between two blocking
  dequeues (up to 405 s each): jobs scheduled for later (report retries, chains) waited that long;
- on SIGTERM/SIGINT with its parent gone (the product died), shuts down cold: the horse is
  killed, the job is left to rq's abandoned-job handling (failed, or retried when it has a
  `Retry`), and the worker exits. With the parent alive (a clean stop) it is rq's usual warm
  shutdown.

Started as `rq worker --worker-class common.rq_worker.ParentBoundWorker` (`worker_command`).
"""

from __future__ import annotations

import os
from types import FrameType
from typing import Any

from rq import Worker

from common.child_processes import bind_to_parent

SCHEDULER_CHECK_SECONDS = 15
"""The longest blocking dequeue, after which a dead scheduler is started again."""


class ParentBoundWorker(Worker):
    """An rq `Worker` whose forks die with it and whose orphaning is a cold shutdown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent_at_start = os.getppid()
        worker = os.getpid()
        os.register_at_fork(after_in_child=lambda: bind_to_parent(worker))

    def _start_scheduler(self, *args: Any, **kwargs: Any) -> None:
        # rq installs the handlers after starting the scheduler; a SIGTERM in between would
        # kill the worker with Python's default action and leave the scheduler behind.
        self._install_signal_handlers()  # type: ignore[no-untyped-call]  # rq leaves it unannotated
        super()._start_scheduler(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        return min(super().dequeue_timeout, SCHEDULER_CHECK_SECONDS)

    @property
    def should_run_maintenance_tasks(self) -> bool:
        process = self.scheduler._process if self.scheduler is not None else None
        scheduler_died = process is not None and not process.is_alive()
        return scheduler_died or bool(super().should_run_maintenance_tasks)

    def unsubscribe(self) -> None:
        if self.pubsub_thread:
            self.log.info("Worker %s: unsubscribing from %s", self.name, self.pubsub_channel_name)
            self.pubsub_thread.stop(timeout=0)  # the flag first: the reply below ends its read
            self.pubsub.unsubscribe()
            self.pubsub_thread.join(timeout=5)
            self.pubsub.close()

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if os.getppid() != self._parent_at_start:
            self.log.warning("Worker %s: the product is gone: cold shut down", self.name)
            if self.horse_pid:
                self.kill_horse()
                self.wait_for_horse()
            raise SystemExit(1)
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]  # as above
