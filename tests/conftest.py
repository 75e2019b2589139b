"""Suite-wide rules. A skipped test fails the run: every component the suite needs is installed
by `make test`, so a skip can only mean something is missing or broken (tests/components.py)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"{len(skipped)} test(s) skipped: the suite must not skip (see -ra)")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
