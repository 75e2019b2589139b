"""A committed change as the notice other processes hear (docs/provisioning.md, "Changes
across processes"): which process made it (`origin`, so it skips its own), which service's
listeners it is for (`source`), and the `Change` itself. Pure: JSON in and out; a notice that
is not one (another writer on the channel, a newer format) decodes to None and is ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from provisioning.unit import Change

MAX_NOTICE = 4096
"""A notice is a few hundred bytes; anything much larger is not one of ours."""


@dataclass(frozen=True, slots=True)
class Notice:
    origin: str
    source: str
    change: Change


def encode(notice: Notice) -> str:
    change = notice.change
    return json.dumps(
        {
            "origin": notice.origin,
            "source": notice.source,
            "tenant": change.tenant,
            "entity": change.entity,
            "key": change.key,
            "action": change.action,
            "changed": sorted(change.changed),
        },
        separators=(",", ":"),
    )


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > 256:
        raise ValueError(name)
    return value


def decode(raw: str | bytes) -> Notice | None:
    if len(raw) > MAX_NOTICE:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            return None
        changed = data.get("changed", [])
        if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
            return None
        change = Change(
            _text(data, "tenant"),
            _text(data, "entity"),
            _text(data, "key"),
            _text(data, "action"),
            frozenset(changed),
        )
        return Notice(_text(data, "origin"), _text(data, "source"), change)
    except ValueError:  # not JSON, or a field missing or not a short string
        return None
