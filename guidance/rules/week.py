"""Which week a calendar opens on: this week while a working day of it is left, else the next.

On Saturday and Sunday the week behind is finished: a lead planning Monday, or a counsellor
looking at what comes, wants the coming week (the arrows still lead back)."""
from __future__ import annotations

import datetime as dt


def opens_on_next_week(today: dt.date) -> bool:
    """At the weekend a week view opens on the coming week (its link says so, not "this week")."""
    return today.weekday() >= 5


def opening_monday(today: dt.date) -> dt.date:
    """The Monday of the week a week view opens on for `today` (a local date)."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday + dt.timedelta(weeks=1) if opens_on_next_week(today) else monday


def first_week_ahead(weeks: list[dt.date], today: dt.date) -> dt.date | None:
    """Of a plan's weeks (Mondays, sorted), the one its list opens on: the opening week or the first
    after it; the last week when all are behind; None without weeks."""
    opening = opening_monday(today)
    return next((w for w in weeks if w >= opening), weeks[-1] if weeks else None)
