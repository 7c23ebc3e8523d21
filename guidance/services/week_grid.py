"""Week grids: one counsellor's, room's or location's week laid out as days and quarter hours.

The sessions come from `calendar.sessions_between` (the one home for "sessions of a week"), from
the published plan or from one planning run; free time is the counsellor's working hours (or the
location's opening hours, for a room or a location) that no session of the week takes. Times are
Europe/Oslo wall-clock times. A week of one counsellor, room or location is a handful of queries:
the three choice lists and the sessions with what each block shows.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    CareerCentre,
    County,
    CounsellorProfile,
    InterpreterProfile,
    Location,
    PlanningRun,
    Referral,
    Room,
    Session,
    SessionParticipant,
    User,
)
from guidance.rules import opening
from guidance.services import absences
from guidance.services import calendar as cal

KINDS = ("counsellor", "room", "location")
SLOT_MINUTES = 15
DEFAULT_HOURS = (8, 16)  # the frame of a week with neither sessions nor hours
MAX_LANES = 8  # side-by-side sessions a day column shows (a location's rooms at the same hour)

# What a block's status tag says (the text; the colour only repeats it).
STATUSES = ("draft", "booked", "interpreter_asked", "interpreter_missing", "held", "not_held", "cancelled", "replaced")


@dataclass(frozen=True)
class Choice:
    kind: str  # counsellor | room | location
    id: int
    name: str
    group: str = ""  # a room's location

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass
class Block:
    session: Session
    start: dt.datetime  # aware, Europe/Oslo
    end: dt.datetime
    row: int  # first grid row (1-based) in the day's column
    span: int  # rows it covers
    lane: int = 1
    status: str = "booked"
    counsellor: str = ""
    interpreter: str = ""
    references: list[tuple[int, str]] = field(default_factory=list)  # (referral id, reference)
    is_free: bool = False


@dataclass
class Free:
    start: dt.time
    end: dt.time
    row: int
    span: int
    is_free: bool = True  # not a session (`Block`)
    away: bool = False  # hours of a part-day absence instead of free time
    lane: int = 1  # hours away go beside the sessions they overlap (`_lanes`); free time spans the day

    @property
    def text(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass
class Day:
    date: dt.date
    blocks: list[Block] = field(default_factory=list)
    free: list[Free] = field(default_factory=list)
    away: list[Free] = field(default_factory=list)  # hours of part-day absences
    lanes: int = 1
    unavailable: str = ""  # "closed" (a public holiday, a closure day, a venue not open) or "away" (an absence)

    @property
    def items(self) -> list[Block | Free]:
        """Sessions and free periods in the order of the day (the order a screen reader reads)."""
        return sorted([*self.blocks, *self.free, *self.away], key=lambda item: (item.row, isinstance(item, Block)))


@dataclass
class RoomWeek:
    """One room of a location across the week: a location's week reads as its rooms by days (four rooms
    side by side in five day columns were twenty lanes, most of them off the screen at 1280 px)."""
    name: str
    days: list[list[Block | Free]]  # per day of the grid: the room's sessions and free periods in the day's order


@dataclass
class Grid:
    monday: dt.date
    subject: Choice
    days: list[Day]
    first_hour: int
    last_hour: int
    rooms: list[RoomWeek] = field(default_factory=list)  # a location's grid: its rooms (`room_weeks`)

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // SLOT_MINUTES

    @property
    def hours(self) -> list[tuple[int, int]]:
        """(hour, first row) for the time column's labels."""
        return [(h, (h - self.first_hour) * 60 // SLOT_MINUTES + 1) for h in range(self.first_hour, self.last_hour)]

    @property
    def sessions(self) -> int:
        return sum(len(d.blocks) for d in self.days)


def choices(county_id: int) -> dict[str, list[Choice]]:
    """The county's counsellors, rooms and locations (by name): three column queries."""
    counsellors = db.session.execute(
        select(CounsellorProfile.id, User.name).join(User, User.id == CounsellorProfile.user_id)
        .where(User.county_id == county_id).order_by(User.name, CounsellorProfile.id))
    places = (select(Location.id, Location.name).join(CareerCentre, CareerCentre.id == Location.centre_id)
              .where(CareerCentre.county_id == county_id).order_by(Location.name, Location.id))
    rooms = (select(Room.id, Room.name, Location.name).join(Location, Location.id == Room.location_id)
             .join(CareerCentre, CareerCentre.id == Location.centre_id)
             .where(CareerCentre.county_id == county_id).order_by(Location.name, Room.name, Room.id))
    return {
        "counsellor": [Choice("counsellor", i, n) for i, n in counsellors],
        "room": [Choice("room", i, n, group=g) for i, n, g in db.session.execute(rooms)],
        "location": [Choice("location", i, n) for i, n in db.session.execute(places)],
    }


def find_choice(options: dict[str, list[Choice]], key: str | None) -> Choice | None:
    """The choice named by "counsellor-12" (None for anything not among the county's own)."""
    kind, _sep, number = (key or "").partition("-")
    if kind not in KINDS or not number.isdigit():
        return None
    return next((c for c in options[kind] if c.id == int(number)), None)


def parse_week(value: str | None) -> dt.date | None:
    """Monday of "2026-W49" or of the week of an ISO date ("2026-12-09"); None when unreadable."""
    value = (value or "").strip()
    try:
        if "-W" in value.upper():
            year, week = value.upper().split("-W", 1)
            return dt.date.fromisocalendar(int(year), int(week), 1)
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day - dt.timedelta(days=day.weekday())


def week_key(monday: dt.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


# What a block reads: references (pseudonymous), the interpreter's name, the interpreter requests.
BLOCK_LOADS = (
    selectinload(Session.participants).selectinload(SessionParticipant.referral).load_only(Referral.id, Referral.reference),
    selectinload(Session.interpreter).selectinload(InterpreterProfile.user).load_only(User.id, User.name),
    selectinload(Session.bookings),
    selectinload(Session.location).load_only(Location.id, Location.name, Location.weekly_hours),
    selectinload(Session.room).load_only(Room.id, Room.name),
)


def week_sessions(subject: Choice, monday: dt.date, *, county_id: int | None, run_id: int | None = None) -> list[Session]:
    """The subject's sessions of the week: the published plan, or the run's (a draft)."""
    key = {"counsellor": "counsellor_id", "room": "room_id", "location": "location_id"}[subject.kind]
    return cal.sessions_between(monday, monday + dt.timedelta(days=6), county_id=county_id, run_id=run_id,
                                loads=BLOCK_LOADS, **{key: subject.id})


def busy_counsellors(monday: dt.date, *, county_id: int, run_id: int | None = None) -> set[int]:
    """Counsellors with a session in the week (published plan or run): one query of ids."""
    start, end = clock.oslo_days(monday, monday + dt.timedelta(days=6))
    stmt = (select(Session.counsellor_id).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.start >= start, Session.start < end).distinct())
    stmt = stmt.where(Session.run_id == run_id) if run_id is not None else stmt.where(Session.status.in_(cal.PUBLISHED))
    return set(db.session.scalars(stmt))


def busiest_location(monday: dt.date, *, county_id: int) -> int | None:
    """The location with most published sessions in the week (the lead's week plan opens on it)."""
    start, end = clock.oslo_days(monday, monday + dt.timedelta(days=6))
    return db.session.scalar(
        select(Session.location_id).join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, Session.start >= start, Session.start < end,
               Session.status.in_(cal.PUBLISHED))
        .group_by(Session.location_id).order_by(func.count().desc(), Session.location_id).limit(1))


def status_of(session: Session) -> str:
    """What the block's tag says: a draft, booked, the interpreter asked (or missing), held, cancelled."""
    value = session.status.value
    if value == "planned":
        return "draft"
    if value == "completed":
        return "held" if session.shown_status == "completed" else "not_held"
    if value in ("cancelled", "left_out"):
        return "cancelled"
    if value == "superseded":
        return "replaced"
    if session.interpreter_id and session.bookings:
        if session.interpreter_gone:
            return "interpreter_missing"
        if max(session.bookings, key=lambda b: b.id).status.value == "requested":
            return "interpreter_asked"
    return "booked"


def interpreter_name(session: Session) -> str:
    """Who interprets, as a block says it: the interpreter in Veiled, or the one arranged outside it."""
    if session.outside_interpreter:
        return _("%(name)s (arranged outside Veiled)", name=session.outside_interpreter)
    return session.interpreter.user.name if session.interpreter else ""


def working_hours(subject: Choice) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """ISO weekday -> periods the subject could hold sessions (the free time of the grid)."""
    if subject.kind == "counsellor":
        weekly = db.session.scalar(select(CounsellorProfile.weekly).where(CounsellorProfile.id == subject.id))
    elif subject.kind == "location":
        weekly = db.session.scalar(select(Location.weekly_hours).where(Location.id == subject.id))
    else:
        weekly = db.session.scalar(select(Location.weekly_hours).join(Room, Room.location_id == Location.id)
                                   .where(Room.id == subject.id))
    out: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for day, periods in (weekly or {}).items():
        try:
            out[int(day)] = sorted((dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in periods)
        except (TypeError, ValueError):
            continue
    return out


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def unavailable_days(subject: Choice, monday: dt.date, county_id: int | None) -> dict[dt.date, str]:
    """Days of the week with no free time: the county's holidays and closure days, days a location
    (or a room's location) is not open, and a counsellor's absences. Three small queries at most."""
    sunday = monday + dt.timedelta(days=6)
    out: dict[dt.date, str] = {}
    county = db.session.get(County, county_id) if county_id is not None else None
    if county is not None:
        out.update({day: "closed" for day in opening.closed_days(county, monday, sunday)})
    if subject.kind in ("location", "room"):
        location = (db.session.get(Location, subject.id) if subject.kind == "location" else
                    db.session.scalar(select(Location).join(Room, Room.location_id == Location.id)
                                      .where(Room.id == subject.id)))
        if location is not None and location.outreach:
            open_days = set(opening.open_days(location, monday, sunday, set(out)))
            for offset in range(7):
                day = monday + dt.timedelta(days=offset)
                out.setdefault(day, "" if day in open_days else "closed")
            out = {day: why for day, why in out.items() if why}
    else:
        user_id = db.session.scalar(select(CounsellorProfile.user_id).where(CounsellorProfile.id == subject.id))
        for day in sorted(absences.days_away(user_id, monday, sunday)):
            out.setdefault(day, "away")
    return out


def build(subject: Choice, monday: dt.date, sessions: list[Session], *, names: dict[int, str] | None = None,
          hours: dict[int, list[tuple[dt.time, dt.time]]] | None = None,
          unavailable: dict[dt.date, str] | None = None,
          away: dict[dt.date, list[tuple[dt.time, dt.time]]] | None = None) -> Grid:
    """Lay the week out: Monday to Friday (and a weekend day with sessions), blocks side by side
    where they overlap, free periods where the working or opening hours have no session."""
    hours = hours or {}
    names = names or {}
    local = [(s, s.start.astimezone(cal.OSLO), s.end.astimezone(cal.OSLO)) for s in sessions]
    starts = [_minutes(a.time()) for _s, a, _b in local]
    ends = [_minutes(b.time()) if b.date() == a.date() else 24 * 60 for _s, a, b in local]
    for periods in hours.values():
        starts += [_minutes(a) for a, _b in periods]
        ends += [_minutes(b) for _a, b in periods]
    first_hour = min([DEFAULT_HOURS[0]] + [m // 60 for m in starts])
    last_hour = max([DEFAULT_HOURS[1]] + [math.ceil(m / 60) for m in ends])
    frame_start = first_hour * 60

    def row_of(minute: int) -> int:
        return (minute - frame_start) // SLOT_MINUTES + 1

    days = []
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        day = Day(date)
        for session, start, end in local:
            if start.date() != date:
                continue
            begin = _minutes(start.time())
            finish = _minutes(end.time()) if end.date() == date else 24 * 60
            span = max(1, math.ceil((finish - frame_start) / SLOT_MINUTES) + 1 - row_of(begin))
            day.blocks.append(Block(
                session, start, end, row_of(begin), span, status=status_of(session),
                counsellor=names.get(session.counsellor_id, ""),
                interpreter=interpreter_name(session),
                references=[(p.referral_id, p.referral.reference) for p in session.participants]))
        day.unavailable = (unavailable or {}).get(date, "")
        not_before = _not_before(date)
        away_periods = [] if day.unavailable else (away or {}).get(date, [])
        day.away = [Free(a, b, row_of(_minutes(a)), max(1, math.ceil((_minutes(b) - _minutes(a)) / SLOT_MINUTES)),
                         away=True) for a, b in away_periods]
        _lanes(day)
        day.free = [] if day.unavailable else _free(day, hours.get(date.isoweekday(), []), row_of, not_before,
                                                    away_periods)
        if offset < 5 or day.blocks:
            days.append(day)
    return Grid(monday, subject, days, first_hour, last_hour)


def _not_before(date: dt.date) -> int:
    """The minute of `date` free time starts at: time gone by is not free (Monday's morning read "Free" on
    Monday afternoon)."""
    now = clock.now().astimezone(cal.OSLO)
    if date != now.date():
        return 24 * 60 if date < now.date() else 0
    return -(-(now.hour * 60 + now.minute) // SLOT_MINUTES) * SLOT_MINUTES


def room_weeks(grid: Grid, location_id: int, hours: dict[int, list[tuple[dt.time, dt.time]]]) -> list[RoomWeek]:
    """The location's active rooms (and any other room its sessions use) by days: each room's sessions and its
    own free time within the opening hours, so "free" says which room is free."""
    rooms = db.session.scalars(select(Room).where(Room.location_id == location_id, Room.active)
                               .order_by(Room.name)).all()
    used = {b.session.room_id: b.session.room for d in grid.days for b in d.blocks}
    known = {r.id for r in rooms}
    rooms = [*rooms, *sorted((r for i, r in used.items() if i not in known), key=lambda r: r.name)]
    frame_start = grid.first_hour * 60

    def row_of(minute: int) -> int:
        return (minute - frame_start) // SLOT_MINUTES + 1

    not_before = {day.date: _not_before(day.date) for day in grid.days}   # the same for every room
    out = []
    for room in rooms:
        cells = []
        for day in grid.days:
            own = Day(day.date, blocks=[b for b in day.blocks if b.session.room_id == room.id])
            free = [] if day.unavailable else _free(own, hours.get(day.date.isoweekday(), []), row_of,
                                                    not_before[day.date])
            cells.append(sorted([*own.blocks, *free], key=lambda item: (item.row, isinstance(item, Block))))
        out.append(RoomWeek(room.name, cells))
    return out


def _lanes(day: Day) -> None:
    """Overlapping blocks and hours away go side by side: each takes the first lane free at its start."""
    lane_ends: list[int] = []  # last row + 1 per lane
    for block in sorted([*day.blocks, *day.away], key=lambda b: (b.row, -b.span)):
        for index, free_from in enumerate(lane_ends):
            if free_from <= block.row:
                block.lane = index + 1
                lane_ends[index] = block.row + block.span
                break
        else:
            if len(lane_ends) < MAX_LANES:
                lane_ends.append(block.row + block.span)
                block.lane = len(lane_ends)
            else:
                block.lane = MAX_LANES
    day.lanes = max(1, len(lane_ends))


def _free(day: Day, periods: list[tuple[dt.time, dt.time]], row_of, not_before: int = 0,
          away: list[tuple[dt.time, dt.time]] = ()) -> list[Free]:
    """Working or opening periods of the day minus its sessions (a cancelled one's time too: its block
    stays in the grid), minus the hours away and minus what has gone by (before minute `not_before`),
    periods of at least a quarter hour."""
    taken = sorted([(_minutes(b.start.time()), _minutes(b.end.time()) if b.end.date() == day.date else 24 * 60)
                    for b in day.blocks] + [(_minutes(a), _minutes(b)) for a, b in away])
    out = []
    for a, b in periods:
        cursor, stop = max(_minutes(a), not_before), _minutes(b)
        for s, e in taken:
            if e <= cursor or s >= stop:
                continue
            if s - cursor >= SLOT_MINUTES:
                out.append((cursor, s))
            cursor = max(cursor, e)
        if stop - cursor >= SLOT_MINUTES:
            out.append((cursor, stop))
    return [Free(dt.time(s // 60, s % 60), dt.time(e // 60, e % 60), row_of(s),
                 max(1, math.ceil((e - s) / SLOT_MINUTES))) for s, e in out]


def week(subject: Choice, monday: dt.date, *, county_id: int | None, run_id: int | None = None,
         counsellor_names: dict[int, str] | None = None, closures_of: int | None = None) -> Grid:
    """The grid of one counsellor's, room's or location's week (published plan or one run);
    `closures_of`: the county whose holidays and closure days leave no free time (default `county_id`)."""
    sessions = week_sessions(subject, monday, county_id=county_id, run_id=run_id)
    hours = working_hours(subject)
    grid = build(subject, monday, sessions, names=counsellor_names, hours=hours,
                 unavailable=unavailable_days(subject, monday, closures_of or county_id),
                 away=away_hours(subject, monday))
    if subject.kind == "location":
        grid.rooms = room_weeks(grid, subject.id, hours)
    return grid


def away_hours(subject: Choice, monday: dt.date) -> dict[dt.date, list[tuple[dt.time, dt.time]]]:
    """A counsellor's part-day absences in the week, as Oslo times by day (the dentist 10:00-12:00):
    the grid shows them instead of free time."""
    if subject.kind != "counsellor":
        return {}
    user_id = db.session.scalar(select(CounsellorProfile.user_id).where(CounsellorProfile.id == subject.id))
    out: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
    for absence in absences.hours_away(user_id, monday, monday + dt.timedelta(days=6)):
        start, end = absence.away_from.astimezone(cal.OSLO), absence.away_until.astimezone(cal.OSLO)
        out.setdefault(start.date(), []).append((start.time(), end.time()))
    return out
