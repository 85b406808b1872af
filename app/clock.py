"""The server's clock, in one place so that tests can move time instead of sleeping, and how
a message tells a time to people of the district."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def now():
    return datetime.now(UTC)


def zone():
    """The district's zone (DISTRICT_TIMEZONE): its days are the calendar's days."""
    return ZoneInfo(current_app.config["DISTRICT_TIMEZONE"])


def today():
    """Today on the district's clock (not the server's: after 16:00 UTC it is tomorrow there)."""
    return now().astimezone(zone()).date()


def day_bounds(day):
    """[start, end) of a day of the district's calendar, as aware moments."""
    start = datetime.combine(day, time(), zone())
    return start, start + timedelta(days=1)


def told(at):
    """A moment as a sentence for people tells it: on the district's clock (DISTRICT_TIMEZONE)
    with its offset, and with the date unless it is today there: "05:26 (UTC+8)",
    "2026-12-01 21:26 (UTC+8)". Structured fields stay ISO 8601 in UTC."""
    local = at.astimezone(zone())
    offset = int(local.utcoffset().total_seconds()) // 60
    hours, minutes = divmod(abs(offset), 60)
    zone_name = f"UTC{'-' if offset < 0 else '+'}{hours}" + (f":{minutes:02d}" if minutes else "")
    same_day = local.date() == today()
    return f"{local:{'%H:%M' if same_day else '%Y-%m-%d %H:%M'}} ({zone_name})"
