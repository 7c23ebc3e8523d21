"""The legal deadline for career guidance, and working days under Norwegian holidays.

Integration Act (2021): guidance within three months after settlement and before the
programme decision; the effective deadline is the earlier of the two. Temporary act:
a needs-based window set by the referrer (three months by default). Ordinary: no deadline.
"""
from __future__ import annotations

import datetime as dt
import functools

import holidays
from dateutil.relativedelta import relativedelta

INTEGRATION_ACT_MONTHS = 3
INTEGRATION_ACT_IN_FORCE = dt.date(2021, 1, 1)  # the act applies to those settled from this day
TEMPORARY_ACT_DEFAULT_MONTHS = 3
AT_RISK_WORKING_DAYS = 15
SHORT_DEADLINE_WORKING_DAYS = 10


def effective_deadline(
    legal_basis: str,
    *,
    settlement_date: dt.date | None,
    programme_decision_date: dt.date | None = None,
    referral_date: dt.date | None = None,
    window_months: int | None = None,
) -> dt.date | None:
    """The last date guidance may take place, or None when the law sets no deadline."""
    basis = str(legal_basis)
    if basis == "integration_act":
        candidates = []
        if settlement_date is not None:
            candidates.append(settlement_date + relativedelta(months=INTEGRATION_ACT_MONTHS))
        if programme_decision_date is not None:
            candidates.append(programme_decision_date - dt.timedelta(days=1))
        return min(candidates) if candidates else None
    if basis == "temporary_act":
        start = referral_date or settlement_date
        if start is None:
            return None
        return start + relativedelta(months=window_months or TEMPORARY_ACT_DEFAULT_MONTHS)
    return None


@functools.cache
def norwegian_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("NO", years=year).keys())


@functools.lru_cache(maxsize=64)
def _named_holidays(year: int, language: str):
    return holidays.country_holidays("NO", years=year, language=language)


def holiday_name(day: dt.date, page_language: str | None = None) -> str | None:
    """The public holiday's name in the page's language ("Langfredag", "Good Friday"), None on another day:
    "the centres are closed on Friday 26 March" did not say why, in an Easter week."""
    name = _named_holidays(day.year, "en_US" if page_language == "en" else "no").get(day)
    return name.replace(";", ",") if name else None


def is_working_day(day: dt.date) -> bool:
    return day.isoweekday() <= 5 and day not in norwegian_holidays(day.year)


def _dates(closed) -> frozenset[dt.date]:
    """A county's closure days (dates or ISO strings) as dates."""
    return frozenset(d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in closed or ())


def working_days_between(start: dt.date, end: dt.date, closed=()) -> int:
    """Working days from the day after `start` up to and including `end` (0 if end <= start); `closed`: a county's
    closure days, which are not working days for its centres."""
    count, day, shut = 0, start, _dates(closed)
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day) and day not in shut
    return count


def holidays_between(start: dt.date, end: dt.date) -> list[dt.date]:
    years = range(start.year, end.year + 1)
    return sorted(d for y in years for d in norwegian_holidays(y) if start <= d <= end)


def working_days_left(deadline: dt.date | None, today: dt.date, closed=()) -> int | None:
    """Working days from tomorrow up to and including the deadline; None when there is no deadline. `closed`: the
    county's closure days (the centres are shut: New Year's Eve, a summer closure) do not count."""
    if deadline is None:
        return None
    return working_days_between(today, deadline, closed)


def deadline_passed(deadline: dt.date | None, today: dt.date) -> bool:
    """True once the deadline's day is over: show "passed", never "0 working days left"."""
    return deadline is not None and deadline < today


def guided_in_time(deadline: dt.date | None, first_held: dt.date | None) -> bool:
    """Guided within the deadline: the first session held for the participant (not a no-show) was on
    or before it (the dashboard's compliance and the referral page both read this)."""
    return deadline is not None and first_held is not None and first_held <= deadline


def is_short_deadline(deadline: dt.date | None, today: dt.date) -> bool:
    """True when the deadline leaves fewer than SHORT_DEADLINE_WORKING_DAYS: the form warns, never blocks."""
    left = working_days_left(deadline, today)
    return left is not None and left < SHORT_DEADLINE_WORKING_DAYS


@functools.lru_cache(maxsize=256)  # a pure function of its arguments, asked once per referral in lists
def working_day_after(day: dt.date, n: int, closed=()) -> dt.date:
    """The `n`-th working day after `day` (`day` itself for n = 0); `closed`: more days that do not count (a
    county's closure days, as dates or ISO strings)."""
    shut = _dates(closed)
    count = 0
    while count < n:
        day += dt.timedelta(days=1)
        count += is_working_day(day) and day not in shut
    return day


def at_risk_cutoff(today: dt.date, working_days: int = AT_RISK_WORKING_DAYS, closed=()) -> dt.date:
    """The last date that is still within `working_days` working days of today (the county's closure days not
    counted: a summer closure leaves fewer days to book in).

    A deadline on or before this date is "at risk" (the queue filter), so the filter is one
    date comparison in SQL instead of a holiday calculation per row.
    """
    return working_day_after(today, working_days, tuple(closed or ()))


# An interpreter's answer is due at the end of an office day, never at night or over a weekend.
ANSWER_DUE_AT = dt.time(16, 0)


def answer_due(now: dt.datetime, hours: int) -> dt.datetime:
    """When an interpreter's answer to a request sent at `now` (Oslo wall clock, naive) is due,
    for a county's answer time of `hours`: a day or more is counted in working days (48 hours: the
    second working day after today), due at ANSWER_DUE_AT; less than a day stays `hours` (a
    county that asks for quick answers gets them)."""
    if hours < 24:
        return now + dt.timedelta(hours=hours)
    return dt.datetime.combine(working_day_after(now.date(), -(-hours // 24)), ANSWER_DUE_AT)
