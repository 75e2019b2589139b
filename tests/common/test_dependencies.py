"""The start-up check of the libraries OpenCC patches (common/dependencies.py)."""

from __future__ import annotations

from importlib import metadata

import pytest

from common.dependencies import (
    IncompatibleDependencyError,
    check_patched_versions,
    exit_unless_patched_versions,
)

DECLARED = [
    "fastapi>=0.115",
    "sippy>=2.5,<2.6",
    "strawberry-graphql[fastapi]>=0.341,<0.342",
    "dash>=4.4,<4.5",
    "pytest>=8.0; extra == 'dev'",
]
GOOD = {"sippy": "2.5.0", "strawberry-graphql": "0.341.2", "dash": "4.4.1"}


def _versions(**overrides: str) -> dict[str, str]:
    return {**GOOD, **{name.replace("_", "-"): v for name, v in overrides.items()}}


def test_the_installed_environment_passes() -> None:
    check_patched_versions()  # the suite runs on the locked versions


def test_versions_in_their_ranges_pass() -> None:
    check_patched_versions(lambda _: DECLARED, _versions().__getitem__)


@pytest.mark.parametrize(
    ("library", "version"),
    [("sippy", "2.6.0"), ("strawberry_graphql", "0.342.0"), ("dash", "4.3.9"), ("dash", "5.0.0")],
)
def test_a_version_outside_its_range_is_refused_in_one_line(library: str, version: str) -> None:
    versions = _versions(**{library: version})
    with pytest.raises(IncompatibleDependencyError) as refused:
        check_patched_versions(lambda _: DECLARED, versions.__getitem__)
    message = str(refused.value)
    name = library.replace("_", "-")
    assert message.startswith(f"{name} {version} is installed but OpenCC's patches were written")
    assert "run `make venv`" in message and "\n" not in message


def test_a_patched_library_without_a_bound_is_refused() -> None:
    declared = [line for line in DECLARED if not line.startswith("dash")] + ["dash"]
    with pytest.raises(IncompatibleDependencyError, match="declares no version range for dash"):
        check_patched_versions(lambda _: declared, _versions().__getitem__)


def test_a_missing_library_says_to_install_the_lock() -> None:
    def version_of(name: str) -> str:
        if name == "sippy":
            raise metadata.PackageNotFoundError(name)
        return GOOD[name]

    with pytest.raises(
        IncompatibleDependencyError, match="sippy is not installed: run `make venv`"
    ):
        check_patched_versions(lambda _: DECLARED, version_of)


def test_entry_points_exit_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise IncompatibleDependencyError("dash 9 is installed but ...")

    monkeypatch.setattr("common.dependencies.check_patched_versions", refuse)
    with pytest.raises(SystemExit) as stopped:
        exit_unless_patched_versions()
    assert str(stopped.value.code) == "opencc: dash 9 is installed but ..."
