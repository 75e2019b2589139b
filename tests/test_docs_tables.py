"""Each package's design notes name every file in it, so a newcomer finds where a job lives and a
file added without a line in the docs fails here. A package's `__init__.py` is named by the
package itself; an Alembic folder (`*migrations/`: env.py, the template, the revisions) is covered
by naming the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS_OF = {
    "common": ["common/__init__.py"],
    "devtools": ["docs/install.md"],
    "queueing": ["docs/queue-engine.md"],
    "group_services": ["docs/group-services.md"],
    "pbx_core": ["docs/pbx.md"],
    "cti": ["docs/cti.md", "docs/runtime.md"],
    "agent_ui": ["docs/agent_ui.md"],
    "admin_ui": ["docs/admin_ui.md"],
    "supervisor_ui": ["docs/supervisor_ui.md"],
    "recordings_ui": ["docs/recordings.md"],
    "wallboard_ui": ["docs/wallboard.md"],
    "receptionist_ui": ["docs/receptionist.md"],
    "reports": ["docs/reports.md"],
    "crm_connectors": ["docs/crm.md"],
    "provisioning": ["docs/provisioning.md"],
}
SOURCE_SUFFIXES = {".py", ".js", ".css", ".html", ".mako", ".txt"}


def _undocumented(package: str) -> list[str]:
    text = "".join((ROOT / doc).read_text() for doc in DOCS_OF[package])
    missing = []
    for path in sorted((ROOT / package).rglob("*")):
        relative = path.relative_to(ROOT / package)
        if (
            not path.is_file()
            or path.suffix not in SOURCE_SUFFIXES
            or "__pycache__" in relative.parts
            or path.name == "__init__.py"
        ):
            continue
        migrations = next((part for part in relative.parts if part.endswith("migrations")), None)
        if migrations is not None and f"{migrations}/" in text:
            continue
        if path.name not in text and str(relative) not in text:
            missing.append(str(relative))
    return missing


@pytest.mark.parametrize("package", sorted(DOCS_OF))
def test_the_docs_table_names_every_file(package: str) -> None:
    assert _undocumented(package) == []


def test_every_project_package_has_its_docs() -> None:
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench"}
    }
    assert packages == set(DOCS_OF)
