"""Typed spellings of strawberry's field decorators.

`strawberry.field(description=...)` used as a decorator is typed as returning Any, which strict
mypy refuses ("untyped decorator"); these wrappers keep the resolver's own signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))


def mutation(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.mutation(description=description))


def subscription(description: str, name: str | None = None) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.subscription(description=description, name=name))
