"""The one clock: every "now" and Oslo's "today" in the app is read here.

The machine runs on UTC; the domain's dates are Oslo dates. Tests move time for the whole app
with `freeze(instant)` (or `monkeypatch.setattr(clock, "_source", ...)`) in this one place.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def _system_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_source = _system_now


def now() -> dt.datetime:
    """Now, as an aware UTC instant."""
    return _source()


def today(at: dt.datetime | None = None) -> dt.date:
    """Today's date in Europe/Oslo (deadlines, the queue, referral dates).

    Never `date.today()` or `now().date()`: from 23:00 UTC (22:00 in summer) until midnight UTC
    it is already the next day in Oslo."""
    return (at or now()).astimezone(OSLO).date()


def local_date(instant: dt.datetime) -> dt.date:
    """The Europe/Oslo date of an aware instant (the day a referral arrived, for example)."""
    return instant.astimezone(OSLO).date()


def oslo_days(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Oslo dates `first`..`last` (inclusive) as UTC instants [start, end): midnight in Oslo before the
    first, midnight after the last (23 or 25 hours apart on the days the clocks change)."""
    start = dt.datetime.combine(first, dt.time(0), OSLO)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), OSLO)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def year_shown(pattern: str, value: dt.date | dt.datetime) -> str:
    """A date pattern without a year ("EEEE d. MMMM 'kl.' HH:mm") gets one when the date is in
    another year than today's: "tirsdag 30. mars 2027 kl. 09:00" read in December. The month
    (MMM or MMMM) is followed by the year; a pattern with a year, or a named one, is left alone."""
    import re

    unquoted = re.sub(r"'[^']*'", "", pattern)
    if "y" in unquoted or not re.search(r"M{3,4}", unquoted):
        return pattern
    day = local_date(value) if isinstance(value, dt.datetime) else value
    if day.year == today().year:
        return pattern
    return re.sub(r"(M{3,4})", r"\1 y", pattern, count=1)


def pattern_for_language(pattern: str) -> str:
    """The pages' date patterns are Norwegian ("18. desember"); in English the day has no dot."""
    from flask_babel import get_locale

    locale = get_locale()
    return pattern.replace("d. ", "d ") if locale is not None and locale.language == "en" else pattern


def when_text(instant: dt.datetime, pattern: str = "EEEE d. MMMM HH:mm") -> str:
    """An aware instant in words, in Oslo time and the request's language, as the pages write it: the year when
    it is not this year's (`year_shown`), and English without the Norwegian dot ("Thursday 10 December", not
    "10. December", which messages and e-mails built in Python had)."""
    from flask_babel import format_datetime

    if instant.tzinfo is None:
        raise TypeError("naive datetime given to a date formatter; pass an aware instant")
    return format_datetime(instant, year_shown(pattern_for_language(pattern), instant))


def freeze(instant: dt.datetime):
    """Make `now()` answer `instant` (aware) until `unfreeze()`; for tests and the demo seed."""
    global _source
    if instant.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _source = lambda: instant  # noqa: E731


def unfreeze() -> None:
    global _source
    _source = _system_now


@contextmanager
def moved_to(instant: dt.datetime):
    """`now()` answers `instant` inside the block, then whatever it answered before (also a test's
    `travel_to`). For building what happened in the past, such as the demo's quarter."""
    global _source
    if instant.tzinfo is None:
        raise ValueError("moved_to() needs an aware datetime")
    before = _source
    _source = lambda: instant  # noqa: E731
    try:
        yield instant
    finally:
        _source = before
