"""Child processes that die with the process that started them.

`kill -9` of the product left rtpengine, the rq worker and the report ingester running: a
killed process runs no clean-up, so only the kernel can stop its children. util-linux's
`setpriv --pdeathsig TERM` asks it to (prctl PR_SET_PDEATHSIG) and then execs the real
program, which keeps the setting, so each child gets SIGTERM the moment its parent dies, however
it dies, and shuts down as it would on a clean stop (issue 20).

The kernel's "parent" is the thread that started the child: start children from a thread that
lives as long as the product (the event loop's, or the loop's default executor, whose threads
stay until the loop closes).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence

_PR_SET_PDEATHSIG = 1
"""prctl(2) option number, from <linux/prctl.h>."""


class SetprivMissing(RuntimeError):
    """util-linux's setpriv is not installed (it is on every Debian: util-linux is essential)."""


def dies_with_parent(argv: Sequence[str]) -> list[str]:
    """`argv`, started so the child receives SIGTERM when its parent dies."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SetprivMissing("setpriv is missing: install util-linux")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv]


def bind_to_parent(parent: int | None = None) -> None:
    """For a process this one forked (no exec, so no `setpriv`): SIGKILL when its parent
    (`parent`, default the current one) dies, and exit now if that parent is already gone."""
    expected = os.getppid() if parent is None else parent
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != expected:  # the parent died before the prctl
        os._exit(1)


def stop_child(process: subprocess.Popen[bytes], grace_seconds: float = 30.0) -> None:
    """A clean stop (SIGTERM), then SIGKILL if it is still running after `grace_seconds`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
