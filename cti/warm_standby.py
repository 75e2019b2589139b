"""A product process started ahead of need: it has imported the product and waits for "go".

After a `kill -9` of the product its restart took 15 s, 8.6 s of it (on an idle machine, more
under load) spent importing FastAPI, pydantic, SQLAlchemy, strawberry, sippy and the product's
own modules. The node supervisor (cti/node_supervisor.py) and the chaos harness keep one such
process beside the running product: the restart writes a line to its stdin and it runs the
product module as `python -m` would, with everything already imported.

    python -m cti.warm_standby [--after SECONDS] <module> [args...]

`--after`: wait that long before importing, so a standby started beside a product that is itself
starting does not take CPU from it. End of input without a line (its parent died or gave up on
it) ends the standby without running anything.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import runpy
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from common.child_processes import dies_with_parent, stop_child

GO = b"go\n"
STOP_SECONDS = 5.0


def standby_command(
    argv: Sequence[str], after: float = 0.0, ready_fd: int | None = None
) -> list[str] | None:
    """`argv` (`python -m <module> ...`) as a warm standby, or None when it is not that form.
    `ready_fd`: a pipe's end it writes to once it has imported the module."""
    if len(argv) < 3 or argv[1] != "-m":
        return None
    ready = ["--ready-fd", str(ready_fd)] if ready_fd is not None else []
    return [argv[0], "-m", __name__, "--after", str(after), *ready, *argv[2:]]


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m cti.warm_standby")
    parser.add_argument("--after", type=float, default=0.0)
    parser.add_argument("--ready-fd", type=int, default=None)
    parser.add_argument("module")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    select.select([sys.stdin], [], [], max(options.after, 0.0))  # "go" ends the wait early
    began = time.monotonic()
    importlib.import_module(options.module)  # the expensive part, done before it is needed
    if not select.select([sys.stdin], [], [], 0)[0]:  # not told to go yet: standing by
        sys.stderr.write(
            f"warm standby {os.getpid()} ready: {options.module} imported in "
            f"{time.monotonic() - began:.1f} s\n"
        )
        sys.stderr.flush()
    if options.ready_fd is not None:
        with contextlib.suppress(BrokenPipeError):  # started at once: nobody asks any more
            os.write(options.ready_fd, b"ready")
        os.close(options.ready_fd)
    if sys.stdin.buffer.readline() != GO:
        return
    sys.argv = [options.module, *options.args]
    # Run as `__main__` (its dependencies stay imported); the copy imported above would only
    # make runpy warn that the module ran twice.
    del sys.modules[options.module]
    runpy.run_module(options.module, run_name="__main__", alter_sys=True)


class WarmStandby:
    """Starts `argv` (`python -m <module> ...`) through a standby, and keeps the next standby
    ready: `start()` is what a supervisor calls at the first start and at every restart. Every
    process it starts dies with this one (common/child_processes.py)."""

    def __init__(self, argv: Sequence[str], after: float, **popen: Any) -> None:
        """`after`: each next standby's wait before importing; `popen`: subprocess.Popen's
        keywords for every start (env, cwd, stdout, ...)."""
        self._argv = list(argv)
        self._after = after
        self._popen = popen
        self._next: subprocess.Popen[bytes] | None = None
        self._next_ready: int | None = None  # the read end of its ready pipe

    def _spawn(self, after: float) -> None:
        self._close_ready()
        read_end, write_end = os.pipe()
        command = standby_command(self._argv, after, write_end)
        assert command is not None
        try:
            self._next = subprocess.Popen(
                dies_with_parent(command), stdin=subprocess.PIPE, pass_fds=(write_end,),
                **self._popen,
            )  # fmt: skip
        finally:
            os.close(write_end)
        self._next_ready = read_end

    def _close_ready(self) -> None:
        if self._next_ready is not None:
            os.close(self._next_ready)
            self._next_ready = None

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the next start will find the product imported (waits up to `timeout`)."""
        if self._next_ready is None or self._next is None or self._next.poll() is not None:
            return False
        readable, _, _ = select.select([self._next_ready], [], [], timeout)
        return bool(readable)

    def start(self) -> subprocess.Popen[bytes]:
        if standby_command(self._argv) is None:  # not a module: nothing to import ahead
            return subprocess.Popen(dies_with_parent(self._argv), **self._popen)
        if self._next is None or self._next.poll() is not None:
            self._spawn(0.0)
        process = self._next
        assert process is not None and process.stdin is not None
        process.stdin.write(GO)
        process.stdin.close()
        self._spawn(self._after)
        return process

    def close(self) -> None:
        """End the waiting standby (its end of input tells it to; killed if it hangs on)."""
        standby, self._next = self._next, None
        self._close_ready()
        if standby is None:
            return
        assert standby.stdin is not None
        with contextlib.suppress(OSError):
            standby.stdin.close()
        stop_child(standby, STOP_SECONDS)


if __name__ == "__main__":
    main(sys.argv[1:])
