"""Incident categories (事件分类目录) and the working-time calendar (工作日历) for time limits.

Pure Python: no Flask, no database. The incidents package stores category codes and asks here
for limits, deadlines and due states; admins edit the JSON documents, validated here.
"""

from .calendar import (
    DUE_SOON,
    ON_TIME,
    OVERDUE,
    TZ,
    UNITS,
    Limit,
    WorkCalendar,
    due_state,
    load_calendar,
    load_holidays,
    time_left,
    validate_holidays,
)
from .catalogue import (
    STAGES,
    Catalogue,
    Category,
    StageLimits,
    Subcategory,
    load_catalogue,
    validate_catalogue,
)
from .problems import InvalidData, Problem

__all__ = [
    "DUE_SOON",
    "ON_TIME",
    "OVERDUE",
    "STAGES",
    "TZ",
    "UNITS",
    "Catalogue",
    "Category",
    "InvalidData",
    "Limit",
    "Problem",
    "StageLimits",
    "Subcategory",
    "WorkCalendar",
    "due_state",
    "load_calendar",
    "load_catalogue",
    "load_holidays",
    "time_left",
    "validate_catalogue",
    "validate_holidays",
]
