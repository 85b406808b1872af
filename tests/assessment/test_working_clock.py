"""The assessment's working clock gives the calendar's working time between any two moments
(weekends, holidays, 调休 days, spans inside a day, across years, backwards, before the first
day it kept)."""

import json
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.assessment.facts import WorkingClock
from app.catalogue.calendar import DATA_DIR, WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")


def test_the_working_clock_equals_the_calendar():
    calendar = WorkCalendar.from_data(json.loads((DATA_DIR / "holidays_2026.json").read_text()))
    working = WorkingClock(calendar)
    rng = random.Random(13)
    start = datetime(2026, 3, 1, tzinfo=TZ)
    moments = [start + timedelta(minutes=rng.randrange(60 * 24 * 400)) for _ in range(400)]
    moments += [datetime(2026, 3, 2, 8, 30, tzinfo=TZ), datetime(2026, 3, 2, 12, tzinfo=TZ)]
    moments += [datetime(2025, 12, 31, 17, tzinfo=TZ).astimezone(UTC)]  # the UTC day before
    moments += [datetime(2040, 1, 2, 9, tzinfo=TZ)]  # years away: asked of the calendar
    for _ in range(3000):
        a, b = rng.choice(moments), rng.choice(moments)
        if rng.random() < 0.3:  # a short span, often inside one day
            b = a + timedelta(minutes=rng.randrange(-300, 600))
        assert working.between(a, b) == calendar.working_time_between(a, b), (a, b)
    monday = datetime(2026, 3, 2, 10, tzinfo=TZ)
    assert working.hours(monday, monday + timedelta(days=7)) == 35.0
