"""The reports facade: call-center, agent and usage figures over a period, and the REST shape.

Definitions (docs/reports.md has the full list):
- a queue call is counted in the interval in which it ARRIVED at the call center;
- `offered`: every arrival (one per call per call center, arrival treatments included);
- `bounced`: calls bounced at least once (`bounces` counts the bounce events);
- `service_level`: calls answered within the call center's threshold (20 s by default) divided by
  the calls that entered the queue and ended; None when there are none;
- `asa_seconds`: mean wait of answered calls; `aht_seconds`: mean talk time of answered calls that
  were released; `longest_wait_seconds`: longest wait of any ended call;
- agent figures count calls by the time they were answered, and state time by overlap with the
  interval; occupancy = (BUSY + WRAP_UP) / (BUSY + WRAP_UP + AVAILABLE).
"""

from reports.agent_report import agent_figures, data_as_of
from reports.call_center_report import (
    DEFAULT_SERVICE_LEVEL_SECONDS,
    call_center_figures,
    call_centers_report,
)
from reports.figures import CALL_CENTER_REPORT_FIELDS, AgentFigures, CallCenterFigures, UsageFigures
from reports.ranges import Interval, ReportRange, ReportRangeError, parse_range
from reports.usage_report import USAGE_DIMENSIONS, call_detail_records, usage_figures

__all__ = [
    "CALL_CENTER_REPORT_FIELDS",
    "DEFAULT_SERVICE_LEVEL_SECONDS",
    "USAGE_DIMENSIONS",
    "AgentFigures",
    "CallCenterFigures",
    "Interval",
    "ReportRange",
    "ReportRangeError",
    "UsageFigures",
    "agent_figures",
    "call_center_figures",
    "call_centers_report",
    "call_detail_records",
    "data_as_of",
    "parse_range",
    "usage_figures",
]
