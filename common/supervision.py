"""A supervisor for the product's child processes: a crashed or hung child is started again
within seconds, with back-off and a crash-loop limit (issue 20, process supervision).

`dies_with_parent` (common/child_processes.py) makes children stop with the product; this module
makes the product outlive its children. Each child is a `ChildSpec`: how to start it (a
`subprocess.Popen`, exec'd through `dies_with_parent`) and how to tell it is serving (a health
check: an ng ping for rtpengine, a registered worker for rq). The supervisor watches the process
through a pidfd (the kernel wakes it the moment the child exits, no polling), probes its health
every `health_interval`, and on an exit or `unhealthy_after` failed probes in a row kills what is
left of it, waits for it to be reaped (never two generations at once: two rq workers would
consume the same queues) and starts it again after `RestartPolicy.delay`.

The restart decisions are the pure `RestartPolicy`; the states are exported by `collect()` as
Prometheus gauges (`/metrics`) and by `states()` for `/healthz/processes`.

In production the same processes run as systemd units (docs/deploy.md): systemd's
`Restart=on-failure` with `StartLimitBurst` is the same policy one level up.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

Process = subprocess.Popen[bytes]


START_GRACE_SECONDS = 60.0
"""How long a new generation may take to pass its first health check before failed checks
count (an exit still counts at once): an rq worker importing the product on a loaded machine
takes seconds, and killing it then would only start the same wait again."""


class ChildStatus(enum.Enum):
    STARTING = "starting"
    """Started, not yet healthy (an rq worker registers itself a moment after it starts)."""
    RUNNING = "running"
    BACKING_OFF = "backing_off"
    """Exited or unhealthy: started again after the policy's delay."""
    CRASH_LOOP = "crash_loop"
    """Crashed `crash_loop_restarts` times within `crash_loop_window`: tried once per
    `crash_loop_retry` only, and reported, until it stays up."""
    STOPPED = "stopped"


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.2
    max_delay: float = 5.0
    crash_loop_restarts: int = 5
    crash_loop_window: float = 60.0
    crash_loop_retry: float = 30.0

    def delay(self, crashes: Sequence[float], now: float) -> tuple[float, ChildStatus]:
        """How long to wait before the next start, given the monotonic times of the crashes so
        far (the newest last), and whether that is a crash loop."""
        recent = [t for t in crashes if now - t <= self.crash_loop_window]
        if len(recent) >= self.crash_loop_restarts:
            return self.crash_loop_retry, ChildStatus.CRASH_LOOP
        backoff = self.first_delay * 2 ** max(len(recent) - 1, 0)
        return min(backoff, self.max_delay), ChildStatus.BACKING_OFF


HealthCheck = Callable[[Process], bool]
"""Blocking (run in a thread); True when the process serves. Should answer within a second."""


def alive(process: Process) -> bool:
    """The health check of a child whose only sign of life is that it runs."""
    return process.poll() is None


@dataclass(frozen=True)
class ChildSpec:
    name: str
    start: Callable[[], Process]
    """Starts the process (blocking is fine: it runs in a thread that outlives the child, as
    `dies_with_parent` needs) in a session of its own (`start_new_session=True`). Raises when
    it cannot start."""
    healthy: HealthCheck = alive
    stop_timeout: float = 5.0


@dataclass
class ChildState:
    name: str
    status: ChildStatus = ChildStatus.STARTING
    pid: int | None = None
    restarts: int = 0
    last_exit: int | None = None
    """The exit status of the last generation (negative: the signal that ended it)."""
    crashes: deque[float] = field(default_factory=lambda: deque(maxlen=64))


class _Child:
    def __init__(self, spec: ChildSpec, policy: RestartPolicy) -> None:
        self.spec = spec
        self.policy = policy
        self.state = ChildState(spec.name)
        self.process: Process | None = None
        self.task: asyncio.Task[None] | None = None
        self.stopping = False

    async def start(self) -> None:
        self.state.status = ChildStatus.STARTING
        self.process = await asyncio.to_thread(self.spec.start)
        self.state.pid = self.process.pid

    async def watch(self, health_interval: float, unhealthy_after: int, grace: float) -> None:
        while not self.stopping:
            await self._until_ended(health_interval, unhealthy_after, grace)
            if self.stopping:
                return
            await self._reap()
            now = time.monotonic()
            self.state.crashes.append(now)
            delay, status = self.policy.delay(self.state.crashes, now)
            self.state.status = status
            log.error(
                "%s ended (status %s); starting it again in %.1f s%s",
                self.spec.name,
                self.state.last_exit,
                delay,
                " (crash loop)" if status is ChildStatus.CRASH_LOOP else "",
            )
            await asyncio.sleep(delay)
            try:
                await self.start()
            except Exception:
                log.exception("%s could not start", self.spec.name)
                self.process = None
                continue
            self.state.restarts += 1

    async def _until_ended(
        self, health_interval: float, unhealthy_after: int, grace: float
    ) -> None:
        """Return when the process exited or failed `unhealthy_after` health checks in a row
        (before its first good check: only once `grace` seconds have passed)."""
        process = self.process
        if process is None:
            return
        exited = asyncio.Event()
        loop = asyncio.get_running_loop()
        try:
            pidfd = os.pidfd_open(process.pid)
        except ProcessLookupError:
            return
        loop.add_reader(pidfd, exited.set)
        failures = 0
        served = False
        started = time.monotonic()
        try:
            while not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(exited.wait(), health_interval)
                if exited.is_set() or process.poll() is not None:
                    return
                if await asyncio.to_thread(self._probe, process):
                    failures = 0
                    served = True
                    if self.state.status is not ChildStatus.RUNNING:
                        log.info("%s is serving (pid %s)", self.spec.name, process.pid)
                    self.state.status = ChildStatus.RUNNING
                    continue
                failures += 1
                if not served and time.monotonic() - started < grace:
                    continue  # still starting (START_GRACE_SECONDS)
                if failures >= unhealthy_after:
                    log.error("%s failed %d health checks: killing it", self.spec.name, failures)
                    return
        finally:
            loop.remove_reader(pidfd)
            os.close(pidfd)

    def _probe(self, process: Process) -> bool:
        try:
            return self.spec.healthy(process)
        except Exception:
            log.debug("%s: health check raised", self.spec.name, exc_info=True)
            return False

    async def _reap(self) -> None:
        """Make sure the old generation is gone before a new one starts, with whatever it forked
        (rq's scheduler is a forked child of the worker): each child leads a process group of its
        own (`start_new_session=True`), killed as a whole."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        self.state.last_exit = await asyncio.to_thread(process.wait)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop(self) -> None:
        self.stopping = True
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.spec.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # what it forked and left behind
        self.state.status = ChildStatus.STOPPED


class Supervisor:
    """Starts children, keeps them running, stops them (the newest first)."""

    def __init__(
        self,
        policy: RestartPolicy | None = None,
        *,
        health_interval: float = 1.0,
        unhealthy_after: int = 5,
        start_grace: float = START_GRACE_SECONDS,
    ) -> None:
        self.policy = policy or RestartPolicy()
        self.health_interval = health_interval
        self.unhealthy_after = unhealthy_after
        self.start_grace = start_grace
        self._children: dict[str, _Child] = {}

    async def supervise(self, spec: ChildSpec) -> Process:
        """Start `spec` (its first start's error propagates: the product cannot start without
        it) and keep it running until `stop()`. Returns the first generation's process."""
        if spec.name in self._children:
            raise ValueError(f"a child named {spec.name!r} is supervised already")
        child = _Child(spec, self.policy)
        await child.start()
        self._children[spec.name] = child
        child.task = asyncio.create_task(
            child.watch(self.health_interval, self.unhealthy_after, self.start_grace),
            name=f"supervise-{spec.name}",
        )
        assert child.process is not None
        return child.process

    def process(self, name: str) -> Process | None:
        """The current generation of a child (tests and chaos runs kill it)."""
        child = self._children.get(name)
        return child.process if child is not None else None

    def states(self) -> list[ChildState]:
        return [child.state for child in self._children.values()]

    async def stop(self) -> None:
        children = list(self._children.values())
        for child in children:
            child.stopping = True
            if child.task is not None:
                child.task.cancel()
        for child in reversed(children):
            if child.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await child.task
            await asyncio.to_thread(child.stop)

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """Prometheus collector: register the supervisor in a registry to export its states."""
        up = GaugeMetricFamily(
            "opencc_process_up", "1 while the child process serves", labels=["process"]
        )
        status = GaugeMetricFamily(
            "opencc_process_status",
            "The child process's supervision status (1 for the current one)",
            labels=["process", "status"],
        )
        restarts = CounterMetricFamily(
            "opencc_process_restarts", "Times the child was started again", labels=["process"]
        )
        for state in self.states():
            up.add_metric([state.name], float(state.status is ChildStatus.RUNNING))
            for each in ChildStatus:
                status.add_metric([state.name, each.value], float(state.status is each))
            restarts.add_metric([state.name], state.restarts)
        yield up
        yield status
        yield restarts
