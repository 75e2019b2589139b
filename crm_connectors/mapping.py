"""Turns a source row (JSON object, SQL row) into a `CrmRecord` using a `FieldMapping`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crm_connectors.config import FieldMapping
from crm_connectors.phone import to_e164
from crm_connectors.records import CrmRecord


def get_path(data: Any, path: str) -> Any:
    """Follow a dotted path (`a.b.0.c`) through dicts and lists; None when any step is missing."""
    if not path:
        return data
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalised_phones(values: Iterable[Any]) -> tuple[str, ...]:
    """E.164 forms of the values that are possible numbers, in order, without duplicates."""
    seen: dict[str, None] = {}
    for value in values:
        e164 = to_e164(_text(value))
        if e164 is not None:
            seen.setdefault(e164, None)
    return tuple(seen)


def map_row(row: Mapping[str, Any], mapping: FieldMapping, source: str) -> CrmRecord | None:
    """The record, or None when the row lacks an id or a name (such rows cannot be shown)."""
    record_id = _text(get_path(row, mapping.id))
    name = _text(get_path(row, mapping.name))
    if record_id is None or name is None:
        return None
    url = _text(get_path(row, mapping.url)) if mapping.url else None
    if url is None and mapping.url_template:
        url = template_url(mapping.url_template, record_id, row)
    return CrmRecord(
        id=record_id,
        name=name,
        source=source,
        company=_text(get_path(row, mapping.company)) if mapping.company else None,
        phones=normalised_phones(get_path(row, p) for p in mapping.phones),
        url=url,
        kind=mapping.kind,
    )


def template_url(template: str, record_id: str, row: Mapping[str, Any] | None = None) -> str | None:
    """The record's link from a tenant's `url_template`, or None when the template does not fit
    the record (an unknown field, `{a.b}` on a plain value, a stray brace): a bad template costs
    the link, never the screen pop."""
    try:
        return template.format_map(_TemplateRow(row or {}, record_id))
    except (KeyError, ValueError, IndexError, AttributeError, TypeError):
        return None


class _TemplateRow(dict[str, Any]):
    """`str.format_map` source: the row's fields plus `id`."""

    def __init__(self, row: Mapping[str, Any], record_id: str) -> None:
        super().__init__(row)
        self["id"] = record_id
