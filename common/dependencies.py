"""The start-up check of the libraries whose private internals OpenCC touches.

sippy (its transaction manager, UA and timers), strawberry-graphql (its subscription protocol
handlers) and dash (its renderer) are used below their public API, so a release outside the range
the code was written and tested for can break calls silently. pyproject.toml states that range
once, as an upper bound on each; this module reads it back from the installed package's metadata
and refuses to start on a version outside it, with one line that says what to run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "opencc"
PATCHED_LIBRARIES: tuple[str, ...] = ("sippy", "strawberry-graphql", "dash")


class IncompatibleDependencyError(RuntimeError):
    """An installed library is outside the range its patches were written for."""


def _declared(project_requires: Iterable[str]) -> dict[str, Requirement]:
    declared: dict[str, Requirement] = {}
    for line in project_requires:
        requirement = Requirement(line)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue  # the dev extra never declares a patched library
        declared[canonicalize_name(requirement.name)] = requirement
    return declared


def check_patched_versions(
    requires: Callable[[str], list[str] | None] = metadata.requires,
    version_of: Callable[[str], str] = metadata.version,
) -> None:
    """Raise IncompatibleDependencyError unless every patched library is in its declared range."""
    try:
        declared = _declared(requires(PROJECT) or [])
    except metadata.PackageNotFoundError as missing:
        raise IncompatibleDependencyError(
            f"{PROJECT} is not installed in this environment: run `make venv`"
        ) from missing
    for name in PATCHED_LIBRARIES:
        requirement = declared.get(canonicalize_name(name))
        if requirement is None or not requirement.specifier:
            raise IncompatibleDependencyError(
                f"pyproject.toml declares no version range for {name}: add its upper bound"
            )
        try:
            installed = version_of(name)
        except metadata.PackageNotFoundError as missing:
            raise IncompatibleDependencyError(
                f"{name} is not installed: run `make venv` (installs uv.lock)"
            ) from missing
        if not requirement.specifier.contains(installed, prereleases=True):
            raise IncompatibleDependencyError(
                f"{name} {installed} is installed but OpenCC's patches were written for "
                f"{name}{requirement.specifier}: run `make venv` to install the locked version"
            )


def exit_unless_patched_versions() -> None:
    """For entry points: stop with the one-line reason instead of starting on a wrong version."""
    try:
        check_patched_versions()
    except IncompatibleDependencyError as error:
        raise SystemExit(f"opencc: {error}") from None
