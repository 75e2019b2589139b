"""The dependency rules of docs/architecture (import-linter) and the purity of the queue engine."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The functional core must not touch the world: no sockets, files, clocks or global randomness.
IMPURE_MODULES = {
    "asyncio",
    "os",
    "random",
    "redis",
    "requests",
    "httpx",
    "select",
    "socket",
    "sqlalchemy",
    "subprocess",
    "threading",
    "time",
    "urllib",
}
CLOCK_READS = {"now", "today", "utcnow", "time", "time_ns", "perf_counter", "monotonic"}
CLOCK_OWNERS = {"time", "datetime", "date"}
IMPURE_BUILTINS = {"open", "print", "input"}


def _impure_call(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name) and func.id in IMPURE_BUILTINS:
        return func.id
    if (
        isinstance(func, ast.Attribute)
        and func.attr in CLOCK_READS
        and isinstance(func.value, ast.Name)
        and func.value.id in CLOCK_OWNERS
    ):
        return f"{func.value.id}.{func.attr}"
    return None


def test_import_direction_rules_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter must be installed (make test installs it)"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_queue_engine_is_pure() -> None:
    offences = []
    for path in sorted((ROOT / "queueing").glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Call):
                if (called := _impure_call(node)) is not None:
                    offences.append(f"{path.name}:{node.lineno} calls {called}()")
                continue
            else:
                continue
            offences.extend(
                f"{path.name}:{node.lineno} imports {n}" for n in names if n in IMPURE_MODULES
            )
    assert offences == []


SKIPPING_CALLS = ("pytest.skip", "pytest.importorskip", "mark.skip", "mark.skipif", "mark.xfail")


def test_the_suite_never_skips() -> None:
    """A missing component fails the test that needs it (tests/components.py), so a green run
    means every test ran; a skip or an expected failure would hide that."""
    this_file = Path(__file__).resolve()
    offences = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path != this_file
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if any(call in line for call in SKIPPING_CALLS)
    ]
    assert offences == []
