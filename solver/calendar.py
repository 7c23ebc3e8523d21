"""Derived calendar data: working days, the slot grid, availability windows.

Windows are lists of (start_minute, end_minute) after midnight, half-open [start, end).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable

from .formats import Counsellor, Instance, Interpreter, Location, Participant, clock_minutes

Windows = list[tuple[int, int]]


def horizon_dates(instance: Instance) -> list[date]:
    """Every date of the horizon, inclusive."""
    first, last = instance.horizon.start, instance.horizon.end
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def working_days(instance: Instance) -> list[date]:
    """Horizon dates on a workday that are not holidays (rule 1), in order."""
    workdays = set(instance.calendar.workdays)
    holidays = set(instance.calendar.holidays)
    return [d for d in horizon_dates(instance) if d.isoweekday() in workdays and d not in holidays]


def to_windows(pairs: Iterable[tuple[str, str]]) -> Windows:
    """'HH:MM' pairs as sorted, merged minute windows."""
    return merge_windows((clock_minutes(a), clock_minutes(b)) for a, b in pairs)


def merge_windows(windows: Iterable[tuple[int, int]]) -> Windows:
    """Sort and merge overlapping or touching windows."""
    out: Windows = []
    for start, end in sorted(windows):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def intersect_windows(a: Windows, b: Windows) -> Windows:
    """Intersection of two sorted, merged window lists."""
    out: Windows = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def contains(windows: Windows, start: int, end: int) -> bool:
    """True when [start, end) lies inside one window."""
    return any(ws <= start and end <= we for ws, we in windows)


def is_absent(absences: list[tuple[date, date]], day: date) -> bool:
    """True when the date falls in an inclusive absence range."""
    return any(first <= day <= last for first, last in absences)


def opening_on(location: Location, weekday: int) -> list:
    """The opening hours (as written) of a location on an ISO weekday: its weekday's own when the hours
    differ between days, else the one set of hours."""
    if location.weekly_opening is not None:
        return location.weekly_opening.get(str(weekday), [])
    return location.opening


def location_windows(location: Location, day: date) -> Windows:
    """Opening windows of a location on a date ([] when not open that date)."""
    if location.open_dates is not None and day not in location.open_dates:
        return []
    return to_windows(opening_on(location, day.isoweekday()))


def subtract_windows(windows: Windows, blocks: Iterable[tuple[int, int]]) -> Windows:
    """Windows minus blocked intervals (in any order; the windows' order is kept)."""
    out = list(windows)
    for bs, be in blocks:
        nxt = []
        for ws, we in out:
            if be <= ws or bs >= we:
                nxt.append((ws, we))
                continue
            if ws < bs:
                nxt.append((ws, bs))
            if be < we:
                nxt.append((be, we))
        out = nxt
    return out


def busy_windows(person: Counsellor | Interpreter | Participant, day: date) -> Windows:
    """The minutes of a date the person's `busy` times take (solver/README.md: "busy")."""
    day_start = datetime(day.year, day.month, day.day)
    return merge_windows((max(0, int((first - day_start).total_seconds()) // 60),
                          min(24 * 60, -(-int((last - day_start).total_seconds()) // 60)))
                         for first, last in person.busy if first.date() <= day <= last.date())


def weekly_windows(person: Counsellor | Interpreter, day: date) -> Windows:
    """Weekly hours of a counsellor or interpreter on a date, [] when absent, without their busy times."""
    if is_absent(person.absences, day):
        return []
    windows = to_windows(person.weekly.get(str(day.isoweekday()), []))
    return subtract_windows(windows, busy_windows(person, day)) if person.busy else windows


def weekly_windows_for(person: Counsellor | Interpreter, days: list[date]) -> list[Windows]:
    """weekly_windows for each of ``days``, each weekday's hours parsed once (an instance's
    interpreters x working days are thousands of calls when a plan is prepared)."""
    by_weekday: dict[int, Windows] = {}
    out = []
    for day in days:
        if is_absent(person.absences, day):
            out.append([])
            continue
        weekday = day.isoweekday()
        if weekday not in by_weekday:
            by_weekday[weekday] = to_windows(person.weekly.get(str(weekday), []))
        windows = list(by_weekday[weekday])
        out.append(subtract_windows(windows, busy_windows(person, day)) if person.busy else windows)
    return out


def location_windows_for(location: Location, days: list[date]) -> list[Windows]:
    """location_windows for each of ``days``, the opening hours parsed once."""
    opening = {weekday: to_windows(opening_on(location, weekday)) for weekday in range(1, 8)}
    open_dates = set(location.open_dates) if location.open_dates is not None else None
    return [list(opening[day.isoweekday()]) if open_dates is None or day in open_dates else [] for day in days]


def grid_starts(windows: Windows, duration: int, slot_minutes: int, step: int | None = None) -> list[int]:
    """Start minutes on the slot grid (multiples of slot_minutes after midnight) such that
    [start, start+duration) fits inside a window; ``step`` (a multiple of the slot) thins them."""
    step = step or slot_minutes
    out: list[int] = []
    for ws, we in windows:
        first = -(-ws // slot_minutes) * slot_minutes
        start = first
        while start + duration <= we:
            if (start - first) % step == 0:
                out.append(start)
            start += slot_minutes
    return out


def numbered_grid_starts(windows: Windows, duration: int, slot_minutes: int) -> list[tuple[int, int]]:
    """(start, k) for every grid start of ``grid_starts``, k counting the starts of its window
    from 0: the starts ``grid_starts`` keeps with ``step`` are those with k % (step / slot) == 0."""
    out: list[tuple[int, int]] = []
    for ws, we in windows:
        start = -(-ws // slot_minutes) * slot_minutes
        k = 0
        while start + duration <= we:
            out.append((start, k))
            start += slot_minutes
            k += 1
    return out


def at_minute(day: date, minute: int) -> datetime:
    """The local datetime at a minute after midnight of a date."""
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minute)


def minute_of_day(moment: datetime) -> int:
    """Minutes after midnight of a local datetime."""
    return moment.hour * 60 + moment.minute
