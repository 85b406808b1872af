"""Working-time calendar (工作日历): deadlines counted in working or natural time, and due state.

Rules
- Local time is the calendar's zone: the district's (DISTRICT_TIMEZONE), Asia/Shanghai unless a
  deployment says otherwise. Inputs may be aware datetimes in any zone (UTC from the database,
  the phone's own offset); they are converted. Naive datetimes are refused: a guess about their
  zone would silently shift deadlines by eight hours. Results are in the calendar's zone.
- Working time is the work periods (default 08:30-12:00 and 14:30-18:00, the public-sector day
  with a lunch break) of working days. A working day is Monday to Friday, unless the date is in
  `holidays`; a date in `workdays` (调休: a weekend day worked in exchange) is a working day.
  Periods are half-open: 08:30 is working time, 12:00 and 18:00 are not.
- Units: ``working_hours`` and ``working_days`` count working time; ``natural_minutes``,
  ``natural_hours`` and ``natural_days`` count elapsed time and ignore the calendar.
- **working_days**: N working days = N x the length of a working day (7 h by default) of working
  time counted from the start. So Monday 10:00 + 1 working day = Tuesday 10:00, and Friday
  16:00 + 1 working day = Monday 16:00 (skipping the weekend).
- A start outside working time begins counting at the next working moment: Saturday 09:00 + 2
  working hours = Monday 10:30. A deadline that falls exactly at the end of a period stays there
  (Monday 17:00 + 1 working hour = Monday 18:00, not Tuesday 08:30).
- All arithmetic is on timedelta (integer microseconds): no floats, no drift. Long spans step a
  day at a time (two periods per day), never minute by minute.
- **Due soon** (see `due_state`): the time left is at most the last fifth of the allowed time,
  widened to the last hour but never to more than the last half. Time is working time for
  working units and elapsed time for natural units.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .problems import InvalidData, Problem, check_keys, check_text, is_int, join

TZ = ZoneInfo("Asia/Shanghai")
DATA_DIR = Path(__file__).parent / "data"
DEFAULT_WORK_PERIODS = ((time(8, 30), time(12, 0)), (time(14, 30), time(18, 0)))

WORKING_UNITS = ("working_hours", "working_days")
NATURAL_UNITS = {
    "natural_minutes": timedelta(minutes=1),
    "natural_hours": timedelta(hours=1),
    "natural_days": timedelta(days=1),
}
UNITS = (*WORKING_UNITS, *NATURAL_UNITS)

ON_TIME, DUE_SOON, OVERDUE = "on_time", "due_soon", "overdue"
DUE_SOON_SHARE = 5  # the last fifth of the allowed time
DUE_SOON_FLOOR = timedelta(hours=1)  # ...widened to the last hour,
DUE_SOON_CAP = 2  # ...but never to more than the last half.


@dataclass(frozen=True)
class Limit:
    """A time limit (时限): `amount` of `unit`, e.g. Limit(3, "working_days")."""

    amount: int
    unit: str

    def __post_init__(self):
        if not is_int(self.amount) or self.amount < 0:
            raise ValueError(f"amount must be a non-negative integer, not {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; expected one of {', '.join(UNITS)}")

    @property
    def natural(self):
        """True when the limit runs in elapsed time, ignoring the working calendar."""
        return self.unit in NATURAL_UNITS

    def as_dict(self):
        return {"amount": self.amount, "unit": self.unit}


def _utc(dt, name="datetime"):
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {dt.isoformat()})")
    return dt.astimezone(UTC)


class WorkCalendar:
    """Working hours, weekends, holidays and 调休 working days, in local time of `zone`."""

    def __init__(self, work_periods=DEFAULT_WORK_PERIODS, holidays=(), workdays=(), zone=TZ):
        self.zone = zone
        periods = tuple((start, end) for start, end in work_periods)
        if not periods:
            raise ValueError("a calendar needs at least one work period")
        previous_end = None
        for start, end in periods:
            if not isinstance(start, time) or not isinstance(end, time):
                raise TypeError("work periods must be pairs of datetime.time")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("work periods are local wall-clock times, without a zone")
            if not start < end:
                raise ValueError(f"work period {start}-{end} must end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("work periods must be in order and must not overlap")
            previous_end = end
        self.work_periods = periods
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and working day: {sorted(both)}")
        anchor = date(2000, 1, 3)
        self.day_length = sum(
            (
                datetime.combine(anchor, end) - datetime.combine(anchor, start)
                for start, end in periods
            ),
            timedelta(0),
        )
        self._day_periods = {}  # day -> its periods in UTC (_periods): the days are few

    def __repr__(self):
        return (
            f"WorkCalendar(work_periods={self.work_periods!r}, "
            f"holidays={len(self.holidays)} dates, workdays={len(self.workdays)} dates)"
        )

    @classmethod
    def from_data(cls, *documents, work_periods=DEFAULT_WORK_PERIODS):
        """A calendar from holiday documents (the shape of data/holidays_2026.json)."""
        holidays, workdays = set(), set()
        for document in documents:
            more_holidays, more_workdays = holiday_dates(document)
            holidays |= more_holidays
            workdays |= more_workdays
        return cls(work_periods, holidays, workdays)

    # -- days and moments ----------------------------------------------------------------

    def is_working_day(self, day):
        """Whether `day` (a local date) has working hours."""
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def is_working_time(self, dt):
        """Whether the moment `dt` (aware) falls inside a work period of a working day."""
        local = self._local(_utc(dt))
        if not self.is_working_day(local.date()):
            return False
        moment = local.time()
        return any(start <= moment < end for start, end in self.work_periods)

    def _local(self, instant):
        return instant.astimezone(self.zone)

    def _periods(self, day):
        """The work periods of a working day as UTC instants, worked out once per day: a
        first sync asks how long thousands of open cases have left, over the same days."""
        periods = self._day_periods.get(day)
        if periods is None:
            if len(self._day_periods) > 4096:  # a worker running for years
                self._day_periods.clear()
            periods = self._day_periods[day] = tuple(
                (
                    datetime.combine(day, start, self.zone).astimezone(UTC),
                    datetime.combine(day, end, self.zone).astimezone(UTC),
                )
                for start, end in self.work_periods
            )
        return periods

    # -- arithmetic ----------------------------------------------------------------------

    def add_working(self, start, duration):
        """The moment when `duration` (a timedelta) of working time has passed after `start`."""
        if not isinstance(duration, timedelta):
            raise TypeError("duration must be a timedelta")
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        cursor = _utc(start, "start")
        remaining = duration
        day = self._local(cursor).date()
        while True:
            if self.is_working_day(day):
                for period_start, period_end in self._periods(day):
                    if period_end <= cursor:
                        continue
                    begin = max(period_start, cursor)
                    available = period_end - begin
                    if remaining <= available:
                        return self._local(begin + remaining)
                    remaining -= available
            day += timedelta(days=1)

    def next_working_time(self, dt):
        """`dt` itself when it is working time, else the start of the next work period."""
        return self.add_working(dt, timedelta(0))

    def add(self, start, amount, unit):
        """`start` plus `amount` `unit`s (see the module docstring for the rules)."""
        limit = Limit(amount, unit)
        if limit.natural:
            return self._local(_utc(start, "start") + amount * NATURAL_UNITS[unit])
        if unit == "working_hours":
            return self.add_working(start, amount * timedelta(hours=1))
        return self.add_working(start, amount * self.day_length)

    def deadline(self, start, limit):
        """The deadline of a stage that starts at `start` and has time limit `limit`."""
        return self.add(start, limit.amount, limit.unit)

    def working_time_between(self, a, b):
        """Working time from `a` to `b`; negative when `b` is before `a`."""
        a, b = _utc(a, "a"), _utc(b, "b")
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day, last = self._local(a).date(), self._local(b).date()
        while day <= last:
            if self.is_working_day(day):
                for period_start, period_end in self._periods(day):
                    low, high = max(period_start, a), min(period_end, b)
                    if high > low:
                        total += high - low
            day += timedelta(days=1)
        return total

    def time_between(self, a, b, *, natural=False):
        """Elapsed time when `natural`, else working time, from `a` to `b`."""
        if natural:
            return _utc(b, "b") - _utc(a, "a")
        return self.working_time_between(a, b)


def time_left(now, deadline, calendar, *, natural=False):
    """Time left until `deadline` (negative once overdue), measured as the limit is measured."""
    return calendar.time_between(now, deadline, natural=natural)


def due_state(now, deadline, started, calendar, *, natural=False):
    """The due state of a stage that started at `started`: "on_time", "due_soon" or "overdue".

    Rule: overdue once `now` is after `deadline`. Otherwise due soon when the time left is at
    most max(allowed / 5, min(1 h, allowed / 2)), where allowed = time from `started` to
    `deadline`. Both are working time, or elapsed time when `natural` (the limit's unit is a
    natural one). Examples: 3 working days (21 h) -> due soon in the last 4 h 12 min of working
    time; 4 natural hours -> last 1 h; 2 working hours -> last 1 h; 30 natural minutes -> last
    15 min. The cap keeps a short urgent limit from being "due soon" from its first minute.
    """
    if _utc(now, "now") > _utc(deadline, "deadline"):
        return OVERDUE
    allowed = max(calendar.time_between(started, deadline, natural=natural), timedelta(0))
    left = calendar.time_between(now, deadline, natural=natural)
    threshold = max(allowed // DUE_SOON_SHARE, min(DUE_SOON_FLOOR, allowed // DUE_SOON_CAP))
    return DUE_SOON if left <= threshold else ON_TIME


# -- the holiday list (节假日安排), editable by an admin ------------------------------------

HOLIDAY_KEYS = ("year", "source", "holidays", "workdays")
HOLIDAY_OPTIONAL = ("note",)


def _parse_date(value, path, problems):
    if not isinstance(value, str):
        problems.append(Problem(path, "must be a date string YYYY-MM-DD"))
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(Problem(path, f"{value!r} is not a date YYYY-MM-DD"))
    return None


def validate_holidays(data, prefix=""):
    """Problems in a holiday document; an empty list means it is valid.

    `prefix` is put before every problem's path, for a document inside a larger one
    (``validate_holidays(doc, "years[0]")`` reports ``years[0].holidays[1].end``).

    Shape: {"year": 2026, "source": "...", "note": "...", "holidays": [{"name": "春节",
    "start": "2026-02-15", "end": "2026-02-23"}, ...], "workdays": [{"name": "春节调休上班",
    "date": "2026-02-14"}, ...]}. Holiday ranges include both ends. A 调休 working day must be
    a Saturday or Sunday and must not fall in a holiday.
    """
    problems = _holiday_problems(data)
    if prefix:
        problems = [Problem(_under(prefix, p.path), p.reason) for p in problems]
    return problems


def _under(prefix, path):
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _holiday_problems(data):
    problems = []
    if not isinstance(data, dict):
        return [Problem("", "must be a JSON object")]
    check_keys(data, "", HOLIDAY_KEYS, HOLIDAY_OPTIONAL, problems)
    if "year" in data and (not is_int(data["year"]) or not 1990 <= data["year"] <= 2200):
        problems.append(Problem("year", "must be a year between 1990 and 2200"))
    check_text(data, "", "source", problems)
    if "note" in data and not isinstance(data["note"], str):
        problems.append(Problem("note", "must be a string"))
    off = {}
    for index, entry in _entries(data, "holidays", problems):
        path = join("holidays", index)
        check_keys(entry, path, ("name", "start", "end"), (), problems)
        check_text(entry, path, "name", problems, max_length=50)
        start = _parse_date(entry.get("start"), join(path, "start"), problems)
        end = _parse_date(entry.get("end"), join(path, "end"), problems)
        if start and end:
            if end < start:
                problems.append(Problem(join(path, "end"), "is before start"))
            elif (end - start).days > 31:
                problems.append(Problem(join(path, "end"), "a holiday longer than 31 days"))
            else:
                for n in range((end - start).days + 1):
                    off[start + timedelta(days=n)] = path
    for index, entry in _entries(data, "workdays", problems):
        path = join("workdays", index)
        check_keys(entry, path, ("name", "date"), (), problems)
        check_text(entry, path, "name", problems, max_length=50)
        day = _parse_date(entry.get("date"), join(path, "date"), problems)
        if day is None:
            continue
        if day.weekday() < 5:
            problems.append(Problem(join(path, "date"), f"{day} is a weekday, already worked"))
        if day in off:
            problems.append(Problem(join(path, "date"), f"{day} is also a holiday ({off[day]})"))
    return problems


def _entries(data, key, problems):
    if key not in data:
        return []
    value = data[key]
    if not isinstance(value, list):
        problems.append(Problem(key, "must be a list"))
        return []
    found = []
    for index, entry in enumerate(value):
        if isinstance(entry, dict):
            found.append((index, entry))
        else:
            problems.append(Problem(join(key, index), "must be an object"))
    return found


def holiday_dates(data):
    """(holidays, workdays): the sets of dates of a valid holiday document."""
    problems = validate_holidays(data)
    if problems:
        raise InvalidData("holiday list", problems)
    holidays = set()
    for entry in data["holidays"]:
        start, end = date.fromisoformat(entry["start"]), date.fromisoformat(entry["end"])
        holidays.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    workdays = {date.fromisoformat(entry["date"]) for entry in data["workdays"]}
    return holidays, workdays


def load_holidays(path=None):
    """The holiday document at `path` (default: the shipped data/holidays_2026.json), validated."""
    path = Path(path) if path is not None else DATA_DIR / "holidays_2026.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    problems = validate_holidays(data)
    if problems:
        raise InvalidData(f"holiday list {path.name}", problems)
    return data


def load_calendar(paths=None, work_periods=DEFAULT_WORK_PERIODS):
    """A calendar from holiday files (default: every data/holidays_*.json shipped)."""
    if paths is None:
        paths = sorted(DATA_DIR.glob("holidays_*.json"))
    return WorkCalendar.from_data(*(load_holidays(p) for p in paths), work_periods=work_periods)
