"""The download buttons: the shown report's rows as a CSV or XLSX file.

The files are fetched from `GET /api/v1/reports/export` in the callback, on the server, so the
token never enters a URL. The export knows no call-center or agent filter and 24-hour days only,
so the shown report's own requests are sent again and their files joined and cut to its rows.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from supervisor_ui import report_files
from supervisor_ui.api_client import ApiError
from supervisor_ui.report_builders import ReportKind, session_token
from supervisor_ui.report_periods import IntervalQuery
from supervisor_ui.reports_api import ExportFormat, ReportsApi

log = logging.getLogger(__name__)

MAX_DOWNLOAD_REQUESTS = 8
"""More export requests than any shown report makes (a year by day is four)."""


@dataclass(frozen=True, slots=True)
class Download:
    """What the download buttons fetch for the shown report: its export requests (from, to,
    interval) and the rows kept (column -> value). Kept in the page, so read back with care."""

    report: ReportKind
    queries: tuple[tuple[str, str, str], ...]
    keep: Mapping[str, str]
    name: str

    @classmethod
    def of(
        cls, report: ReportKind, queries: list[IntervalQuery], keep: Mapping[str, str]
    ) -> Download:
        first, last = queries[0].period.start, queries[-1].period.end
        who = "".join(f"-{value}" for value in keep.values())
        return cls(
            report,
            tuple(
                (q.period.start.isoformat(), q.period.end.isoformat(), q.interval) for q in queries
            ),
            dict(keep),
            f"{report.value}{who}-{first:%Y%m%d-%H%M}-{last:%Y%m%d-%H%M}",
        )

    def to_store(self) -> dict[str, Any]:
        return {
            "report": self.report.value,
            "queries": [list(q) for q in self.queries],
            "keep": dict(self.keep),
            "name": self.name,
        }

    @classmethod
    def from_store(cls, data: Any) -> Download:
        """Raises ValueError for anything the page could not have stored."""
        try:
            queries = tuple((str(a), str(b), str(c)) for a, b, c in data["queries"])
            keep = {str(k): str(v) for k, v in data["keep"].items()}
            download = cls(ReportKind(data["report"]), queries, keep, str(data["name"]))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError("not a stored download") from error
        # Each request is an export the server runs: a tampered page must not ask for hundreds.
        if not 1 <= len(queries) <= MAX_DOWNLOAD_REQUESTS:
            raise ValueError("not a stored download")
        return download


async def download(
    reports: ReportsApi, session: Any, stored: Any, export_format: ExportFormat
) -> tuple[dict[str, Any] | None, str]:
    """The shown report as a file for `dcc.Download` (or None), and a message."""
    token = session_token(session)
    if not token:
        return None, "Sign in first."
    try:
        wanted = Download.from_store(stored)
    except ValueError:
        return None, "Show a report first."
    try:
        bodies = await asyncio.gather(
            *(
                reports.export(
                    token,
                    export_format,
                    {"report": wanted.report.value, "from": a, "to": b, "interval": interval},
                )
                for a, b, interval in wanted.queries
            )
        )
        table = report_files.joined(
            (report_files.read(export_format, body) for body in bodies), wanted.keep
        )
        content = report_files.write(export_format, table, wanted.report.value)
    except ApiError as error:
        return None, f"No download: {error.message}."
    except Exception:
        log.exception("download failed")
        return None, "The download could not be made (an unexpected error, logged)."
    # `dcc.Download`'s data, as `dcc.send_bytes` makes it (which is untyped).
    return {
        "content": base64.b64encode(content).decode(),
        "filename": f"{wanted.name}.{export_format.value}",
        "type": report_files.MEDIA_TYPES[export_format],
        "base64": True,
    }, ""
