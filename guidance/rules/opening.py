"""When a location is open: its weekly hours, an outreach venue's weekly pattern and single dates,
and the county's closed days. The planning bridge and the set-up pages both ask here."""
from __future__ import annotations

import datetime as dt

from guidance.rules.deadlines import holidays_between

WEEKS = ("every", "even", "odd")  # an outreach pattern's weeks: every week, even or odd ISO weeks


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def in_pattern(day: dt.date, pattern: list[dict] | None) -> bool:
    """Does `day` match one of the pattern's entries ({"weekday": 2, "weeks": "even"})?"""
    week = day.isocalendar().week
    for entry in pattern or []:
        if day.isoweekday() != int(entry["weekday"]):
            continue
        weeks = entry.get("weeks", "every")
        if weeks == "every" or (weeks == "even") == (week % 2 == 0):
            return True
    return False


def closed_days(county, start: dt.date, end: dt.date) -> list[dt.date]:
    """Norway's public holidays and the county's own closure days between start and end (inclusive)."""
    own = {dt.date.fromisoformat(d) for d in (county.closure_days or [])}
    return sorted(set(holidays_between(start, end)) | {d for d in own if start <= d <= end})


def closed_on(county, day: dt.date) -> bool:
    """The county's centres are closed on `day`: a weekend, a public holiday or one of its closure days."""
    return day.weekday() >= 5 or bool(closed_days(county, day, day))


def open_day_after(county, day: dt.date, step: int = 1) -> dt.date:
    """The county's next open day after `day` (step 1), or the last before it (step -1): the lead's "next
    working day", the day plan's pager and the sessions a plan keeps by default skip weekends, public holidays
    and the county's closure days (on Maundy Thursday, Good Friday had been "the next working day"). Legal
    deadlines count national working days instead (`rules.deadlines`)."""
    day += dt.timedelta(days=step)
    window = sorted((day, day + dt.timedelta(days=31 * step)))
    closed = set(closed_days(county, *window))
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=step)
    return day


def open_days(location, start: dt.date, end: dt.date, closed: set[dt.date] | list[dt.date]) -> list[dt.date]:
    """The dates from start to end (inclusive) the location is open: a weekday with hours, not
    closed, and for an outreach venue a date of its weekly pattern or one of its single dates."""
    closed = set(closed)
    hours = location.weekly_hours or {}
    extra = set(location.open_dates or []) if location.outreach else set()
    days, day = [], start
    while day <= end:
        if hours.get(str(day.isoweekday())) and day not in closed and (
                not location.outreach or in_pattern(day, location.open_pattern) or day.isoformat() in extra):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def has_hours(weekly_hours: dict, weekdays: set[int]) -> bool:
    """Is the location open some time on one of `weekdays` (each weekday's own hours reach the plan)."""
    return any(weekly_hours.get(str(weekday)) for weekday in weekdays)


def common_hours(weekly_hours: dict, weekdays: set[int]) -> list[list[str]]:
    """The opening intervals every one of `weekdays` shares (the planning format's one set of opening
    hours per location; where the weekdays differ, each weekday's own go along, `weekly_opening`)."""
    common: list[tuple[int, int]] | None = None
    for weekday in sorted(weekdays):
        spans = [(minutes(a), minutes(b)) for a, b in weekly_hours.get(str(weekday), [])]
        if common is None:
            common = sorted(spans)
            continue
        common = sorted((max(a, c), min(b, d)) for a, b in common for c, d in spans if max(a, c) < min(b, d))
    return [[hhmm(a), hhmm(b)] for a, b in common or []]
