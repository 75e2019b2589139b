"""A stand-in product module for tests/cti/test_warm_standby.py: importing it and running it are
each written down (pid and what happened) in the file named by STANDBY_PROBE_LOG."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def note(what: str) -> None:
    with Path(os.environ["STANDBY_PROBE_LOG"]).open("a") as log:
        log.write(f"{os.getpid()} {what}\n")


note("imported" if __name__ != "__main__" else f"ran {' '.join(sys.argv[1:])}")
