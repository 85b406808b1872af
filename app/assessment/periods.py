"""Assessment periods by key: a month 2026-03, a quarter 2026-Q1, a half-year 2026-H1, a
year 2026. Days are the district's (DISTRICT_TIMEZONE)."""

import re
from datetime import date, datetime
from typing import NamedTuple

from app import clock
from app.errors import Invalid

_KEY = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])))?$")
MONTH, QUARTER, HALF, YEAR = "month", "quarter", "half", "year"


class Period(NamedTuple):
    key: str
    kind: str
    start: date  # first day
    end: date  # the day after the last

    def previous(self):
        months = {MONTH: 1, QUARTER: 3, HALF: 6, YEAR: 12}[self.kind]
        index = self.start.year * 12 + self.start.month - 1 - months
        year, month = divmod(index, 12)
        return of_kind(self.kind, year, month + 1)


def of_kind(kind, year, first_month):
    if kind == MONTH:
        return parse(f"{year}-{first_month:02d}")
    if kind == QUARTER:
        return parse(f"{year}-Q{(first_month - 1) // 3 + 1}")
    if kind == HALF:
        return parse(f"{year}-H{(first_month - 1) // 6 + 1}")
    return parse(str(year))


def parse(key):
    """The period a key names; 422 for anything else."""
    match = _KEY.match(key or "")
    if not match or (match[2] and not 1 <= int(match[2]) <= 12):
        raise Invalid("A period is 2026-03, 2026-Q1, 2026-H1 or 2026.", fields={"period": [key]})
    year = int(match[1])
    if match[2]:
        kind, first, months = MONTH, int(match[2]), 1
    elif match[3]:
        kind, first, months = QUARTER, 3 * int(match[3]) - 2, 3
    elif match[4]:
        kind, first, months = HALF, 6 * int(match[4]) - 5, 6
    else:
        kind, first, months = YEAR, 1, 12
    after = year * 12 + first - 1 + months
    return Period(key, kind, date(year, first, 1), date(after // 12, after % 12 + 1, 1))


zone = clock.zone


def day_of(moment: datetime, tz=None):
    """The district's day a moment falls on."""
    return moment.astimezone(tz or zone()).date()
