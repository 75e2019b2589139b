"""docs/crm.md's module table names every file of crm_connectors/ (Alembic revisions by their
folder, `versions/`, so a new revision needs no doc edit)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "crm_connectors"


def _module_table() -> str:
    text = (ROOT / "docs" / "crm.md").read_text(encoding="utf-8")
    return text.split("## Modules", 1)[1].split("\n## ", 1)[0]


def test_the_module_table_names_every_file() -> None:
    table = _module_table()
    files = [
        p.relative_to(PACKAGE)
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]
    missing = []
    for path in files:
        if "versions" in path.parts[:-1]:
            named = "versions/" in table
        elif len(path.parts) == 1:
            named = f"`{path.name}`" in table
        else:
            named = f"`{path.parts[0]}/`" in table and path.name in table
        if not named:
            missing.append(str(path))
    assert missing == []
