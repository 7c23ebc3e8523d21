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


def sooner_than_a_letter(day: dt.date, today: dt.date, working_days: int | None) -> bool:
    """A change on `day` (a new time, or the time a participant's letter gives) comes before a letter sent today
    reaches them: they hear of it by phone."""
    return day < first_day_after_notice(today, working_days)


def first_day_after_notice(today: dt.date, working_days: int | None) -> dt.date:
    """The first date a newly published session may be on (`today` + that many working days)."""
    left = DEFAULT_NOTICE_WORKING_DAYS if working_days is None else max(0, working_days)
    if left == 0:
        return today + dt.timedelta(days=1)
    return working_day_after(today, left)
