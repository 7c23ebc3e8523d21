"""Minimum notice: how soon after publishing a new or changed session may take place.

People need time to arrange their day: a plan published today may book new sessions from the
county's `publish_notice_days`-th working day after today on (3 by default: published on a
Thursday, the first new session is on the next Tuesday). Sessions already published keep their
time; the notice is about what publishing changes.
"""
from __future__ import annotations

import datetime as dt

from guidance.rules.deadlines import working_day_after

DEFAULT_NOTICE_WORKING_DAYS = 3


def first_day_after_notice(today: dt.date, working_days: int | None, closed=()) -> dt.date:
    """The first date a newly published session may be on (`today` + that many working days). `closed`: the
    county's closure days, which are not working days either: the notice ran out on New Year's Eve, a day the
    centres (and the municipalities that hand the letters on) are closed, and a summer closure would have counted
    three weeks of it."""
    left = DEFAULT_NOTICE_WORKING_DAYS if working_days is None else max(0, working_days)
    if left == 0:
        return today + dt.timedelta(days=1)
    return working_day_after(today, left, tuple(closed))   # hashable: working_day_after is memoised


def first_new_day(county, today: dt.date) -> dt.date:
    """`first_day_after_notice` for a county: its notice and its closure days."""
    return first_day_after_notice(today, county.publish_notice_days, county.closure_days or ())


def sooner_than_county_notice(county, day: dt.date, today: dt.date) -> bool:
    """A change on `day` (a new time, or the time a participant's letter gives) comes before a letter sent today
    reaches them, by the county's notice and closure days: they hear of it by phone."""
    return day < first_new_day(county, today)
