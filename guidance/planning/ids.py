"""Solver ids <-> database ids, and local wall-clock times <-> aware UTC instants."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from guidance import clock as _clock

TIMEZONE = "Europe/Oslo"
OSLO = ZoneInfo(TIMEZONE)


def participant_id(referral_id: int) -> str:
    return f"R{referral_id}"


def counsellor_id(profile_id: int) -> str:
    return f"C{profile_id}"


def interpreter_id(profile_id: int) -> str:
    return f"I{profile_id}"


def outside_interpreter_id(session_uid: str) -> str:
    """The stand-in for an interpreter arranged outside Veiled for one session (planning/instance.py):
    named by the session's calendar uid, which the session keeps through re-plans and publishing, so a
    run's draft of it names the same stand-in as its instance."""
    return f"X{session_uid}"


def is_outside_interpreter(solver_id: str | None) -> bool:
    """Is this plan interpreter the stand-in for one arranged outside Veiled (no interpreter profile)?"""
    return bool(solver_id) and solver_id.startswith("X")


def location_id(location_id_: int) -> str:
    return f"L{location_id_}"


def room_id(room_id_: int) -> str:
    return f"room{room_id_}"


def session_id(session_id_: int) -> str:
    return f"S{session_id_}"


def db_id(solver_id: str, prefix: str) -> int:
    """The database id inside a solver id (``db_id("C12", "C") == 12``); ValueError otherwise."""
    if not solver_id.startswith(prefix) or not solver_id[len(prefix):].isdigit():
        raise ValueError(f"{solver_id!r} is not a {prefix!r} id")
    return int(solver_id[len(prefix):])


def to_utc(local: dt.datetime) -> dt.datetime:
    """A naive Europe/Oslo wall-clock time as an aware UTC instant."""
    return local.replace(tzinfo=OSLO).astimezone(dt.timezone.utc)


def to_local(instant: dt.datetime) -> dt.datetime:
    """An aware instant as a naive Europe/Oslo wall-clock time (the solver's formats)."""
    return instant.astimezone(OSLO).replace(tzinfo=None)


# A minute in the plan format (and in audit details): Oslo wall-clock time, "2027-03-17T09:30".
PLAN_MINUTE = "%Y-%m-%dT%H:%M"


def plan_minute(instant: dt.datetime) -> str:
    """An aware instant as the plan format writes it (Oslo wall-clock time to the minute)."""
    return to_local(instant).strftime(PLAN_MINUTE)


def from_plan_minute(text: str) -> dt.datetime:
    """A plan-format minute (Oslo wall-clock time) as an aware UTC instant."""
    return to_utc(dt.datetime.strptime(text, PLAN_MINUTE))


def clock() -> dt.datetime:
    """Now, as an aware UTC instant (reads `guidance.clock`, the one clock)."""
    return _clock.now()


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Europe/Oslo: the domain's "today" (deadlines, the queue, referral dates).

    Never `date.today()` or `utcnow().date()`: the machine runs on UTC, and from 23:00 UTC
    (22:00 in summer) until midnight UTC it is already the next day in Oslo."""
    return _clock.today(now)


def local_date(instant: dt.datetime) -> dt.date:
    """The Europe/Oslo date of an instant (the day a referral arrived, for example)."""
    return to_local(instant).date()
