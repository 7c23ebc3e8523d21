"""Whether a published session still fits the data it was planned on: the location's and the
counsellor's hours, the rooms and people in use, the interpreter's languages; and whether an
interpreter's register entry is due a new look. The readiness check and the pages that save such
changes ask here."""
from __future__ import annotations

import datetime as dt

from guidance.rules.opening import minutes, open_days


def covers(weekly: dict | None, start: dt.datetime, end: dt.datetime) -> bool:
    """Does one period of the weekly map ({"1": [["08:00", "16:00"]]}) hold the wall-clock span start-end
    (both on the same local day)?"""
    spans = (weekly or {}).get(str(start.isoweekday()), [])
    first = start.hour * 60 + start.minute
    last = end.hour * 60 + end.minute if end.date() == start.date() else 24 * 60
    return any(minutes(a) <= first and last <= minutes(b) for a, b in spans)


def location_open(location, closed: set[dt.date], start: dt.datetime, end: dt.datetime) -> bool:
    """Is the location open for the whole wall-clock span (its open days, closures and weekly hours)?"""
    day = start.date()
    return bool(open_days(location, day, day, closed)) and covers(location.weekly_hours, start, end)


def days_with_time(weekly: dict | None, location, open_dates: list[dt.date], length: int) -> list[dt.date]:
    """The location's open dates on which a person with these weekly hours is there for a session of
    `length` minutes: their hours and the location's overlap that long that weekday (a counsellor who
    works Tuesdays at a venue open on Wednesdays has none, and no plan can give them a session)."""
    out = []
    for day in open_dates:
        weekday = str(day.isoweekday())
        mine = [(minutes(a), minutes(b)) for a, b in (weekly or {}).get(weekday, [])]
        theirs = [(minutes(a), minutes(b)) for a, b in (location.weekly_hours or {}).get(weekday, [])]
        if any(min(b, d) - max(a, c) >= length for a, b in mine for c, d in theirs):
            out.append(day)
    return out


# A register entry is looked at again after a year: categories change (an interpreter passes the
# authorisation exam, or is removed), and the plans prefer the better category the centre recorded.
REGISTER_CHECK_DAYS = 365


def register_check_due(checked_on: dt.date | None, today: dt.date) -> bool:
    """Has the centre never checked this interpreter in the national interpreter register, or not
    for a year or more?"""
    return checked_on is None or (today - checked_on).days >= REGISTER_CHECK_DAYS
