"""Working calendar: additions, working time between moments, holidays and 调休, due state."""

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalogue import (
    DUE_SOON,
    ON_TIME,
    OVERDUE,
    TZ,
    InvalidData,
    Limit,
    WorkCalendar,
    due_state,
    load_calendar,
    load_holidays,
    time_left,
    validate_holidays,
)

PLAIN = WorkCalendar()  # Monday to Friday, no holidays
CAL_2026 = load_calendar()
H = timedelta(hours=1)
M = timedelta(minutes=1)


def sh(y, mo, d, h=0, mi=0):
    """A moment in Asia/Shanghai."""
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


WH, WD, NH, NM, ND = (
    "working_hours",
    "working_days",
    "natural_hours",
    "natural_minutes",
    "natural_days",
)

# 2026-01-05 is a Monday; 2026-01-09 a Friday. None of these dates is a holiday.
PLAIN_CASES = [
    ("Fri 17:30 + 2 wh, over the weekend", sh(2026, 1, 9, 17, 30), 2, WH, sh(2026, 1, 12, 10)),
    ("11:30 + 1 wh, across lunch", sh(2026, 1, 12, 11, 30), 1, WH, sh(2026, 1, 12, 15)),
    ("start in the lunch break", sh(2026, 1, 12, 12, 40), 1, WH, sh(2026, 1, 12, 15, 30)),
    ("start before work", sh(2026, 1, 12, 7), 1, WH, sh(2026, 1, 12, 9, 30)),
    ("ends exactly at 18:00", sh(2026, 1, 12, 17), 1, WH, sh(2026, 1, 12, 18)),
    ("ends exactly at 12:00", sh(2026, 1, 12, 11), 1, WH, sh(2026, 1, 12, 12)),
    ("start at 18:00", sh(2026, 1, 12, 18), 1, WH, sh(2026, 1, 13, 9, 30)),
    ("start at night", sh(2026, 1, 12, 23, 59), 1, WH, sh(2026, 1, 13, 9, 30)),
    ("start on Saturday", sh(2026, 1, 10, 9), 2, WH, sh(2026, 1, 12, 10, 30)),
    ("a full day in hours", sh(2026, 1, 12, 8, 30), 7, WH, sh(2026, 1, 12, 18)),
    ("8 wh spill to the next day", sh(2026, 1, 12, 8, 30), 8, WH, sh(2026, 1, 13, 9, 30)),
    ("zero at working time", sh(2026, 1, 12, 11), 0, WH, sh(2026, 1, 12, 11)),
    ("zero in lunch -> 14:30", sh(2026, 1, 12, 12), 0, WH, sh(2026, 1, 12, 14, 30)),
    ("1 wd = same time next day", sh(2026, 1, 12, 10), 1, WD, sh(2026, 1, 13, 10)),
    ("1 wd over the weekend", sh(2026, 1, 9, 16), 1, WD, sh(2026, 1, 12, 16)),
    ("1 wd from the evening", sh(2026, 1, 12, 19), 1, WD, sh(2026, 1, 13, 18)),
    ("1 wd from lunch: ends at 12:00", sh(2026, 1, 12, 13), 1, WD, sh(2026, 1, 13, 12)),
    ("3 wd", sh(2026, 1, 12, 10), 3, WD, sh(2026, 1, 15, 10)),
    ("5 wd = one week", sh(2026, 1, 12, 10), 5, WD, sh(2026, 1, 19, 10)),
    ("natural hours ignore nights", sh(2026, 1, 9, 17, 30), 2, NH, sh(2026, 1, 9, 19, 30)),
    ("natural minutes over midnight", sh(2026, 1, 10, 23, 50), 30, NM, sh(2026, 1, 11, 0, 20)),
    ("natural days", sh(2026, 1, 10, 9), 2, ND, sh(2026, 1, 12, 9)),
]


@pytest.mark.parametrize(
    "start, amount, unit, expected", [c[1:] for c in PLAIN_CASES], ids=[c[0] for c in PLAIN_CASES]
)
def test_add_on_a_plain_calendar(start, amount, unit, expected):
    result = PLAIN.add(start, amount, unit)
    assert result == expected
    assert result.tzinfo is TZ


# The 2026 State Council arrangement: 5/1-5/5 off; 2/14 (Sat), 1/4 (Sun), 9/20 (Sun) and 10/10
# (Sat) worked; 2/15-2/23 and 10/1-10/7 off.
HOLIDAY_CASES = [
    ("Labour Day skipped", sh(2026, 4, 30, 17), 2, WH, sh(2026, 5, 6, 9, 30)),
    ("调休 Saturday counted", sh(2026, 2, 13, 17), 2, WH, sh(2026, 2, 14, 9, 30)),
    ("调休 Sunday after 元旦", sh(2026, 1, 3, 10), 1, WH, sh(2026, 1, 4, 9, 30)),
    ("Spring Festival skipped", sh(2026, 2, 14, 10), 1, WD, sh(2026, 2, 24, 10)),
    ("调休 Sunday before 国庆", sh(2026, 9, 18, 17), 2, WH, sh(2026, 9, 20, 9, 30)),
    ("National Day skipped", sh(2026, 9, 30, 17), 2, WH, sh(2026, 10, 8, 9, 30)),
    ("调休 Saturday after 国庆", sh(2026, 10, 9, 17), 2, WH, sh(2026, 10, 10, 9, 30)),
    ("natural time ignores holidays", sh(2026, 4, 30, 17), 2, NH, sh(2026, 4, 30, 19)),
]


@pytest.mark.parametrize(
    "start, amount, unit, expected",
    [c[1:] for c in HOLIDAY_CASES],
    ids=[c[0] for c in HOLIDAY_CASES],
)
def test_add_with_2026_holidays(start, amount, unit, expected):
    assert CAL_2026.add(start, amount, unit) == expected


def test_start_in_utc_or_another_zone_is_converted():
    friday_1730 = datetime(2026, 1, 9, 9, 30, tzinfo=UTC)
    assert PLAIN.add(friday_1730, 2, "working_hours") == sh(2026, 1, 12, 10)
    assert PLAIN.add(friday_1730, 2, "working_hours") == datetime(2026, 1, 12, 2, tzinfo=UTC)
    minus_five = timezone(timedelta(hours=-5))
    same_moment = datetime(2026, 1, 9, 4, 30, tzinfo=minus_five)
    assert PLAIN.add(same_moment, 2, "working_hours") == sh(2026, 1, 12, 10)
    # 20:00 UTC on Sunday is 04:00 Monday in Shanghai: counting starts at 08:30 Monday.
    assert PLAIN.add(datetime(2026, 1, 11, 20, tzinfo=UTC), 1, "working_hours") == sh(
        2026, 1, 12, 9, 30
    )


def test_a_calendar_counts_working_time_on_its_own_zone_s_clock():
    urumqi = ZoneInfo("Asia/Urumqi")  # UTC+6: its 08:30 is Shanghai's 10:30
    calendar = WorkCalendar(zone=urumqi)
    monday_0900_shanghai = sh(2026, 1, 12, 9)
    assert calendar.add(monday_0900_shanghai, 1, WH) == datetime(2026, 1, 12, 9, 30, tzinfo=urumqi)
    assert calendar.add(monday_0900_shanghai, 1, WH).tzinfo is urumqi
    assert not calendar.is_working_time(sh(2026, 1, 12, 10))
    assert PLAIN.is_working_time(sh(2026, 1, 12, 10))


def test_the_district_s_calendar_is_on_its_timezone(app, monkeypatch):
    from app.catalogue import services

    monkeypatch.setitem(app.config, "DISTRICT_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setattr(services, "_cache", {})  # built once per database: build it anew
    with app.test_request_context():
        assert services.calendar().zone == ZoneInfo("Asia/Urumqi")


def test_deadline_uses_the_limit():
    start = sh(2026, 1, 9, 17, 30)
    assert PLAIN.deadline(start, Limit(2, "working_hours")) == sh(2026, 1, 12, 10)
    assert PLAIN.deadline(start, Limit(30, "natural_minutes")) == sh(2026, 1, 9, 18)


@pytest.mark.parametrize(
    "args, error",
    [
        ((datetime(2026, 1, 12, 10), 1, "working_hours"), ValueError),  # naive
        ((sh(2026, 1, 12, 10), -1, "working_hours"), ValueError),
        ((sh(2026, 1, 12, 10), 1.5, "working_hours"), ValueError),
        ((sh(2026, 1, 12, 10), True, "working_hours"), ValueError),
        ((sh(2026, 1, 12, 10), 1, "fortnights"), ValueError),
        ((date(2026, 1, 12), 1, "working_hours"), TypeError),
    ],
)
def test_add_refuses_bad_input(args, error):
    with pytest.raises(error):
        PLAIN.add(*args)


@pytest.mark.parametrize(
    "moment, expected",
    [
        (sh(2026, 1, 12, 8, 29), False),
        (sh(2026, 1, 12, 8, 30), True),
        (sh(2026, 1, 12, 11, 59), True),
        (sh(2026, 1, 12, 12), False),
        (sh(2026, 1, 12, 14, 30), True),
        (sh(2026, 1, 12, 18), False),
        (sh(2026, 1, 10, 10), False),  # Saturday
        (sh(2026, 2, 14, 10), True),  # 调休 Saturday
        (sh(2026, 10, 2, 10), False),  # National Day, a Friday
        (datetime(2026, 1, 12, 2, tzinfo=UTC), True),  # 10:00 in Shanghai
    ],
)
def test_is_working_time(moment, expected):
    assert CAL_2026.is_working_time(moment) is expected


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (sh(2026, 1, 12, 8, 30), sh(2026, 1, 12, 18), 7 * H),
        (sh(2026, 1, 9, 17, 30), sh(2026, 1, 12, 10), 2 * H),
        (sh(2026, 1, 12, 11, 30), sh(2026, 1, 12, 15), H),
        (sh(2026, 1, 12, 12, 10), sh(2026, 1, 12, 14, 20), timedelta(0)),
        (sh(2026, 1, 12, 15), sh(2026, 1, 12, 11, 30), -H),
        (sh(2026, 1, 12), sh(2026, 1, 19), 35 * H),
        (sh(2026, 1, 12, 10, 0), sh(2026, 1, 12, 10, 0), timedelta(0)),
    ],
)
def test_working_time_between(a, b, expected):
    assert CAL_2026.working_time_between(a, b) == expected


def test_working_time_between_counts_holidays_and_adjusted_days():
    # 2/14 (Sat, worked), 2/15-2/23 off, 2/24-2/27, 2/28 (Sat, worked): six working days.
    assert CAL_2026.working_time_between(sh(2026, 2, 14), sh(2026, 3, 1)) == 6 * 7 * H


def test_2026_has_248_working_days():
    # 261 weekdays, 19 of them holidays, 6 weekend days worked.
    year = CAL_2026.working_time_between(sh(2026, 1, 1), sh(2027, 1, 1))
    assert year == 248 * 7 * H
    assert sum(CAL_2026.is_working_day(date(2026, 1, 1) + timedelta(n)) for n in range(365)) == 248


def test_long_spans_are_fast_and_exact():
    start = sh(2026, 3, 2, 9, 17)
    end = CAL_2026.add(start, 250, "working_days")
    assert CAL_2026.working_time_between(start, end) == 250 * 7 * H
    ten_years = PLAIN.working_time_between(sh(2020, 1, 1), sh(2030, 1, 1))
    assert ten_years == ten_years // H * H  # whole hours, nothing lost to rounding


def test_seconds_are_kept():
    start = sh(2026, 1, 12, 11, 59) + timedelta(seconds=30, microseconds=7)
    end = PLAIN.add(start, 1, "working_hours")
    assert end == sh(2026, 1, 12, 15, 29) + timedelta(seconds=30, microseconds=7)


def test_custom_work_periods():
    shifts = WorkCalendar(work_periods=((time(9), time(17)),))
    assert shifts.day_length == 8 * H
    assert shifts.add(sh(2026, 1, 12, 16), 1, "working_days") == sh(2026, 1, 13, 16)
    with pytest.raises(ValueError):
        WorkCalendar(work_periods=((time(14), time(18)), (time(8), time(12))))
    with pytest.raises(ValueError):
        WorkCalendar(work_periods=())
    with pytest.raises(ValueError):
        WorkCalendar(holidays={date(2026, 1, 10)}, workdays={date(2026, 1, 10)})


# -- properties ----------------------------------------------------------------------------

ZONES = st.sampled_from([TZ, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])
MOMENTS = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=ZONES
)
DURATIONS = st.integers(min_value=0, max_value=400 * 60).map(lambda n: n * M)


@settings(max_examples=300, deadline=None)
@given(MOMENTS, DURATIONS)
def test_working_time_between_inverts_add(start, duration):
    end = CAL_2026.add_working(start, duration)
    assert end >= start
    assert CAL_2026.working_time_between(start, end) == duration
    if duration:
        assert CAL_2026.is_working_time(end - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(MOMENTS, st.integers(0, 60), st.integers(1, 60))
def test_working_hours_compose(start, a, b):
    middle = CAL_2026.add(start, a, "working_hours")
    assert CAL_2026.add(middle, b, "working_hours") == CAL_2026.add(start, a + b, "working_hours")


@settings(max_examples=200, deadline=None)
@given(MOMENTS, MOMENTS, st.integers(0, 40), st.sampled_from(["working_hours", "working_days"]))
def test_add_is_monotonic(s1, s2, amount, unit):
    s1, s2 = sorted((s1, s2))
    assert CAL_2026.add(s1, amount, unit) <= CAL_2026.add(s2, amount, unit)
    assert CAL_2026.add(s1, amount, unit) <= CAL_2026.add(s1, amount + 1, unit)


@settings(max_examples=200, deadline=None)
@given(MOMENTS, MOMENTS, MOMENTS)
def test_working_time_between_is_additive(a, b, c):
    between = CAL_2026.working_time_between
    assert between(a, b) + between(b, c) == between(a, c)


@settings(max_examples=100, deadline=None)
@given(MOMENTS, st.integers(0, 10_000))
def test_natural_minutes_are_elapsed_time(start, minutes):
    assert CAL_2026.add(start, minutes, "natural_minutes") - start == minutes * M


# -- due state -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, expected",
    [
        (sh(2026, 1, 12, 10), ON_TIME),  # 3 working days = 21 h; due soon in the last 4 h 12 min
        (sh(2026, 1, 14, 11, 17), ON_TIME),  # 43 min + 3 h 30 min = 4 h 13 min left
        (sh(2026, 1, 14, 11, 18), DUE_SOON),  # 4 h 12 min left
        (sh(2026, 1, 14, 13), DUE_SOON),  # lunch: still 3 h 30 min left
        (sh(2026, 1, 14, 18), DUE_SOON),  # exactly at the deadline
        (sh(2026, 1, 14, 18, 1), OVERDUE),
    ],
)
def test_due_state_on_working_time(now, expected):
    started = sh(2026, 1, 12, 8, 30)
    deadline = CAL_2026.add(started, 3, "working_days")
    assert deadline == sh(2026, 1, 14, 18)  # three full days: Mon, Tue, Wed
    assert due_state(now, deadline, started, CAL_2026) == expected


def test_due_soon_counts_working_time_over_a_weekend():
    started = sh(2026, 1, 5, 10)  # Monday
    deadline = CAL_2026.add(started, 5, "working_days")  # next Monday 10:00
    assert deadline == sh(2026, 1, 12, 10)
    # Friday evening: only 1.5 working hours left, although 62 hours of clock time remain.
    assert time_left(sh(2026, 1, 9, 20), deadline, CAL_2026) == timedelta(hours=1, minutes=30)
    assert due_state(sh(2026, 1, 9, 20), deadline, started, CAL_2026) == DUE_SOON
    assert due_state(sh(2026, 1, 8, 10), deadline, started, CAL_2026) == ON_TIME


@pytest.mark.parametrize(
    "minutes_in, allowed, expected",
    [
        (0, 30, ON_TIME),  # 30 natural minutes: due soon in the last 15
        (14, 30, ON_TIME),
        (15, 30, DUE_SOON),
        (31, 30, OVERDUE),
        (179, 240, ON_TIME),  # 4 natural hours: due soon in the last hour
        (180, 240, DUE_SOON),
        (0, 0, DUE_SOON),
    ],
)
def test_due_state_on_natural_time(minutes_in, allowed, expected):
    started = sh(2026, 1, 10, 23)  # Saturday night: the calendar must not matter
    deadline = CAL_2026.add(started, allowed, "natural_minutes")
    now = started + minutes_in * M
    assert due_state(now, deadline, started, CAL_2026, natural=True) == expected


def test_due_state_short_working_limit_uses_the_last_hour():
    started = sh(2026, 1, 12, 8, 30)
    deadline = CAL_2026.add(started, 2, "working_hours")  # 10:30
    assert due_state(sh(2026, 1, 12, 9, 29), deadline, started, CAL_2026) == ON_TIME
    assert due_state(sh(2026, 1, 12, 9, 30), deadline, started, CAL_2026) == DUE_SOON
    assert time_left(sh(2026, 1, 12, 11), deadline, CAL_2026) == -30 * M


# -- the holiday file ----------------------------------------------------------------------


def test_shipped_holidays_match_the_notice():
    data = load_holidays()
    assert validate_holidays(data) == []
    starts = {h["name"]: date.fromisoformat(h["start"]) for h in data["holidays"]}
    # The notice gives each first day's weekday: 元旦 周四, 春节 周日, 清明 周六, 劳动 周五,
    # 端午 周五, 中秋 周五, 国庆 周四.
    weekdays = {
        "元旦": 3,
        "春节": 6,
        "清明节": 5,
        "劳动节": 4,
        "端午节": 4,
        "中秋节": 4,
        "国庆节": 3,
    }
    assert {name: day.weekday() for name, day in starts.items()} == weekdays
    assert len(CAL_2026.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert len(CAL_2026.workdays) == 6


@pytest.mark.parametrize(
    "edit, path",
    [
        (lambda d: d["holidays"][1].update(end="2026-02-10"), "holidays[1].end"),
        (lambda d: d["holidays"][0].update(start="2026-1-1"), "holidays[0].start"),
        (lambda d: d["holidays"][2].pop("name"), "holidays[2].name"),
        (lambda d: d["workdays"][0].update(date="2026-01-05"), "workdays[0].date"),  # a Monday
        (lambda d: d["workdays"][0].update(date="2026-10-03"), "workdays[0].date"),  # in 国庆
        (lambda d: d["workdays"].append("2026-11-07"), "workdays[6]"),
        (lambda d: d.update(year="2026"), "year"),
        (lambda d: d.update(holiday=[]), "holiday"),
    ],
)
def test_invalid_holidays_name_the_path(edit, path):
    data = load_holidays()
    edit(data)
    problems = validate_holidays(data)
    assert path in [p.path for p in problems], problems


def test_loading_an_invalid_holiday_file_fails(tmp_path):
    data = load_holidays()
    data["workdays"][0]["date"] = "2026-01-05"
    bad = tmp_path / "holidays_2026.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidData) as raised:
        load_calendar([bad])
    assert raised.value.problems[0].path == "workdays[0].date"


def test_holiday_problems_can_carry_a_prefix():
    data = load_holidays()
    data["holidays"][1]["end"] = "2026-02-10"
    paths = [p.path for p in validate_holidays(data, prefix="years[0]")]
    assert paths == ["years[0].holidays[1].end"]
    assert [p.path for p in validate_holidays([], prefix="years[3]")] == ["years[3]"]
