"""Build a county's guidance-instance/1 from the database.

Participants are the county's open referrals (one solver participant per referral, needs
minus the sessions already held); the published plan inside the horizon is the
``previous_plan``, so a re-plan moves as little as possible.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance.extensions import db
from guidance.models import (
    OPEN_STATUSES,
    Absence,
    BookingStatus,
    InterpreterBooking,
    CareerCentre,
    County,
    CounsellorProfile,
    InterpreterProfile,
    Location,
    Municipality,
    Outcome,
    Participant,
    PlanningRun,
    Referral,
    Role,
    Session,
    SessionStatus,
    User,
)
from guidance.planning import ids
from guidance.planning.cannot_come import days_they_cannot_come
from guidance.planning.wish import Wish
from guidance.rules.access import COUNSELLING_ROLES
from guidance.rules.deadlines import is_working_day, working_day_after
from guidance.rules.notice import first_new_day
from guidance.rules.opening import closed_days, common_hours, has_hours, open_days

INSTANCE_FORMAT = "guidance-instance/1"
PLAN_FORMAT = "guidance-plan/1"
HORIZON_WEEKS = 13
# The defaults of a county's settings (County.individual_minutes, ...); plans read the county's own.
SESSION_TYPES = {
    "individual": {"minutes": 90},
    "group": {"minutes": 90, "min_size": 3, "max_size": 8},
}
TRAVEL = {"road_factor": 1.3, "speed_kmh": 60}
MAX_PARTICIPANT_TRAVEL_MINUTES = 150
# Sessions that count as held (or about to be) and are not planned again.
LIVE_SESSION_STATUSES = (SessionStatus.BOOKED, SessionStatus.COMPLETED)
NOT_HELD_OUTCOMES = (Outcome.NO_SHOW, Outcome.CANCELLED_LATE)


def session_types(county: County | None) -> dict:
    """The county's session types in the planning format (lengths and group sizes from its settings)."""
    if county is None:
        return SESSION_TYPES
    return {
        "individual": {"minutes": county.individual_minutes},
        "group": {"minutes": county.group_minutes, "min_size": county.group_min_size,
                  "max_size": county.group_max_size},
    }


@dataclass
class InstanceOptions:
    """What a run is asked to plan: the horizon and how much of the published plan is locked."""

    today: dt.date
    horizon_weeks: int = HORIZON_WEEKS
    # Published sessions up to and including this date are kept exactly (rule 10);
    # None: the next working day (participants have already been told).
    keep_until: dt.date | None = None
    name: str = ""
    extra: dict = field(default_factory=dict)
    # New sessions not before this date (the county's minimum notice, rules/notice.py); None: no limit.
    earliest_new: dt.date | None = None
    # The horizon starts today (a working day) instead of the next working day: a change to one of
    # today's sessions that have not started (its counsellor fell ill this morning) is checked too.
    from_today: bool = False
    # Re-plan only what is already in the published plan (after an absence or a change): each
    # participant's needs that have a published session in the horizon, nobody from the queue. The
    # full re-plan also books every waiting referral, which after a sick day sent a county 171 new
    # interpreter requests and its budget to 122 % when the lead only meant to mend one day.
    repair_only: bool = False

    @classmethod
    def for_one_booking(cls, county: County, today: dt.date) -> "InstanceOptions":
        """A single booking or a move keeps the county's minimum notice as a published plan does:
        letters reach the participant and the interpreter can answer before the session."""
        return cls(today=today, earliest_new=first_new_day(county, today))

    @property
    def horizon_start(self) -> dt.date:
        if self.from_today and is_working_day(self.today):
            return self.today
        return working_day_after(self.today, 1)

    @property
    def horizon_end(self) -> dt.date:
        return self.horizon_start + dt.timedelta(weeks=self.horizon_weeks) - dt.timedelta(days=1)

    @property
    def frozen_until(self) -> dt.datetime:
        keep = self.keep_until or self.horizon_start
        return dt.datetime.combine(keep + dt.timedelta(days=1), dt.time(0, 0))


def build_instance(county: County, options: InstanceOptions) -> dict:
    """The county's planning instance as a JSON-ready dict in guidance-instance/1."""
    start, end = options.horizon_start, options.horizon_end
    name = options.name or f"county-{county.number}-{start.isoformat()}"
    closed = closed_days(county, start, end)
    locations = _locations(county, start, end, closed)
    counsellors = _counsellors(county, locations, start, end)
    interpreters = _interpreters(county, start, end)
    counsellors_busy, interpreters_busy = said_no(county, start, end)
    for profile_id, counsellor in counsellors.items():
        counsellor["busy"] = _merged(counsellor["busy"], counsellors_busy.get(profile_id, []))
    published = published_sessions(county)
    # One stand-in per calendar uid (a uid is one appointment, however many rows it has had).
    outside = list({s.uid: s for s in published if s.status is SessionStatus.BOOKED and s.outside_interpreter
                    and s.language and start <= ids.to_local(s.start).date() <= end}.values())
    referrals = _open_referrals(county)
    held = _held_needs(published, start)
    types = session_types(county)
    in_plan = _needs_in_plan(published, start) if options.repair_only else None
    participants = []
    for referral in referrals:
        needs = [n for n in referral.needs if (referral.id, n) not in held
                 and (in_plan is None or (referral.id, n) in in_plan)]
        if needs:
            participants.append(_participant(referral, needs, start, end, counsellors, types))
    if options.earliest_new is not None:
        _respect_notice(participants, published, start, options.earliest_new)
    _booked_past_deadline(participants, published, start)
    _cannot_come(county, participants)
    known = {p["id"] for p in participants}
    previous = _previous_plan(published, start, end, known, name)
    place_ids = {loc.municipality_id for loc, _days in locations} | {p.participant.municipality_id for p in referrals} \
        | {i.municipality_id for i in interpreters} | {s.location.municipality_id for s in outside}
    places = list(db.session.scalars(select(Municipality).where(Municipality.id.in_(place_ids)).order_by(Municipality.number)))
    place_numbers = {m.number for m in places}
    return {
        "format": INSTANCE_FORMAT,
        "name": name,
        "timezone": ids.TIMEZONE,
        "horizon": {"start": start.isoformat(), "end": end.isoformat()},
        "slot_minutes": 15,
        "calendar": {"workdays": [1, 2, 3, 4, 5], "holidays": [d.isoformat() for d in closed]},
        "session_types": types,
        "travel": {**TRAVEL, "overrides": [[a, b, minutes] for (a, b), minutes in sorted(known_travel_pairs(county).items())
                                           if a in place_numbers and b in place_numbers]},
        "max_participant_travel_minutes": county.max_travel_minutes,
        "category_step_nok": county.category_step_nok,
        "places": [{"id": m.number, "name": m.name, "lat": m.lat, "lon": m.lon} for m in places],
        "locations": [_location(loc, days, start, end, closed) for loc, days in locations],
        "counsellors": [c for c in counsellors.values()],
        "interpreters": [{**_interpreter(i, start, end), "busy": _merged(i._hours_away, interpreters_busy.get(i.id, []))}
                         for i in interpreters] + [outside_stand_in(s, start, end) for s in outside],
        "participants": participants,
        "previous_plan": previous,
        "frozen_until": _frozen_until(options).strftime("%Y-%m-%dT%H:%M") if previous else None,
        **({"new_sessions_from": options.earliest_new.isoformat()} if options.earliest_new is not None else {}),
    }


def _frozen_until(options: InstanceOptions) -> dt.datetime:
    """Published sessions inside the minimum notice are kept as they are: moving one there would be a
    change the notice forbids (and publishing would refuse it)."""
    if options.earliest_new is None:
        return options.frozen_until
    return max(options.frozen_until, dt.datetime.combine(options.earliest_new, dt.time(0, 0)))


def data_fingerprint(instance: dict) -> str:
    """A hash of what a plan depends on; a different one for the same horizon means the plan is stale."""
    relevant = {k: v for k, v in instance.items() if k != "name"}
    text = json.dumps(relevant, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def published_sessions(county: County) -> list[Session]:
    """The county's published plan: booked and held sessions of every published run."""
    stmt = (
        select(Session)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county.id, Session.status.in_(LIVE_SESSION_STATUSES))
        .options(selectinload(Session.participants))
        .order_by(Session.start, Session.id)
    )
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------------------- parts


def _locations(county: County, start: dt.date, end: dt.date, closed: list[dt.date]) -> list[tuple[Location, list]]:
    """Active locations with an active room and an open day in the horizon, with those days."""
    stmt = (
        select(Location)
        .join(CareerCentre, CareerCentre.id == Location.centre_id)
        .where(CareerCentre.county_id == county.id, Location.active.is_(True))
        .options(selectinload(Location.rooms), selectinload(Location.municipality))
        .order_by(Location.id)
    )
    out = []
    for loc in db.session.scalars(stmt):
        days = open_days(loc, start, end, closed)
        if days and has_hours(loc.weekly_hours, {d.isoweekday() for d in days}) and any(r.active for r in loc.rooms):
            out.append((loc, days))
    return out


def _location(loc: Location, days: list[dt.date], start: dt.date, end: dt.date, closed: list[dt.date]) -> dict:
    """The opening hours (those every open weekday shares, and each weekday's own when they differ: a
    short Monday no longer shortened every day of the plan), and the open dates unless the location
    is open on every working day of the horizon."""
    every_workday = [d for d in (start + dt.timedelta(days=k) for k in range((end - start).days + 1))
                     if d.isoweekday() <= 5 and d not in set(closed)]
    weekdays = sorted({d.isoweekday() for d in days})
    own = {str(wd): [list(span) for span in loc.weekly_hours.get(str(wd), [])] for wd in weekdays}
    out = {
        "id": ids.location_id(loc.id),
        "name": loc.name,
        "place": loc.municipality.number,
        "opening": common_hours(loc.weekly_hours, set(weekdays)),
        "open_dates": None if days == every_workday else [d.isoformat() for d in days],
        "rooms": [{"id": ids.room_id(r.id), "capacity": r.capacity, "video": r.video} for r in loc.rooms if r.active],
        "step_free": bool(loc.step_free),
    }
    if any(spans != own[str(weekdays[0])] for spans in own.values()):
        out["weekly_opening"] = own
    return out


def _absences(user_ids: list[int], start: dt.date, end: dt.date) -> tuple[dict[int, list], dict[int, list]]:
    """(user id -> whole days away as [first, last] dates, user id -> part-day absences as the solver's
    `busy` times [from, until]): the dentist 10:00-12:00 keeps the rest of the day plannable."""
    stmt = (
        select(Absence)
        .where(Absence.user_id.in_(user_ids), Absence.end_date >= start, Absence.start_date <= end)
        .order_by(Absence.start_date, Absence.away_from, Absence.id)
    )
    days: dict[int, list[list[str]]] = {}
    hours: dict[int, list[list[str]]] = {}
    for a in db.session.scalars(stmt):
        if a.part_day:
            hours.setdefault(a.user_id, []).append([ids.plan_minute(a.away_from), ids.plan_minute(a.away_until)])
        else:
            days.setdefault(a.user_id, []).append([a.start_date.isoformat(), a.end_date.isoformat()])
    return days, hours


def _counsellors(county: County, locations: list[tuple[Location, list]], start: dt.date, end: dt.date) -> dict[int, dict]:
    stmt = (
        select(CounsellorProfile)
        .join(User, User.id == CounsellorProfile.user_id)
        # A user whose role was changed away from counsellor keeps the profile but is not planned (a lead
        # with a profile is: rules.access.counsels).
        .where(User.county_id == county.id, User.active.is_(True), User.role.in_(COUNSELLING_ROLES),
               CounsellorProfile.active.is_(True))
        .options(selectinload(CounsellorProfile.locations), selectinload(CounsellorProfile.user))
        .order_by(CounsellorProfile.id)
    )
    # Counsellors whose employment lies wholly outside the horizon are not in the plan at all.
    profiles = [p for p in db.session.scalars(stmt)
                if not (p.employment_end and p.employment_end < start) and not (p.employment_start and p.employment_start > end)]
    absences, hours_away = _absences([p.user_id for p in profiles], start, end)
    usable = {loc.id for loc, _days in locations}
    return {
        p.id: {
            "id": ids.counsellor_id(p.id),
            "name": p.user.name,
            "locations": [ids.location_id(loc.id) for loc in p.locations if loc.id in usable],
            "multicultural": p.multicultural,
            "languages": list(p.languages or []),
            "weekly": p.weekly or {},
            "absences": _with_employment(absences.get(p.user_id, []), p, start, end),
            "busy": hours_away.get(p.user_id, []),
            "max_sessions_per_day": p.max_sessions_per_day,
            # the weekdays at a location when the lead named them (solver/README.md "location_days")
            **({"location_days": named} if (named := _location_days(p, usable)) else {}),
        }
        for p in profiles
    }


def _location_days(p: CounsellorProfile, usable) -> dict[str, list[int]]:
    """The counsellor's named weekdays per location in the instance, by the plan's location ids."""
    mine = {loc.id for loc in p.locations if loc.id in usable}
    return {ids.location_id(int(loc_id)): sorted(days) for loc_id, days in (p.location_days or {}).items()
            if str(loc_id).isdigit() and int(loc_id) in mine and days}


def _with_employment(absences: list[list[str]], p: CounsellorProfile, start: dt.date, end: dt.date) -> list[list[str]]:
    """The absences plus the days of the horizon before employment starts and after it ends."""
    out = list(absences)
    if p.employment_start and p.employment_start > start:
        out.append([start.isoformat(), (p.employment_start - dt.timedelta(days=1)).isoformat()])
    if p.employment_end and p.employment_end < end:
        out.append([(p.employment_end + dt.timedelta(days=1)).isoformat(), end.isoformat()])
    return sorted(out)


def _interpreters(county: County, start: dt.date, end: dt.date) -> list[InterpreterProfile]:
    stmt = (
        select(InterpreterProfile)
        .join(User, User.id == InterpreterProfile.user_id)
        .where(User.county_id == county.id, User.active.is_(True), User.role == Role.INTERPRETER,
               InterpreterProfile.active.is_(True))
        .options(selectinload(InterpreterProfile.languages), selectinload(InterpreterProfile.user),
                 selectinload(InterpreterProfile.municipality))
        .order_by(InterpreterProfile.id)
    )
    profiles = [p for p in db.session.scalars(stmt) if p.languages and p.modes]
    absences, hours_away = _absences([p.user_id for p in profiles], start, end)
    for p in profiles:
        # carried to _interpreter and build_instance without a second query
        p._absences, p._hours_away = absences.get(p.user_id, []), hours_away.get(p.user_id, [])
    return profiles


def _merged(*lists: list[list[str]]) -> list[list[str]]:
    """Busy times from several sources (part-day absences, times said no to), sorted, each once."""
    return [list(t) for t in sorted({tuple(t) for times in lists for t in times})]


# Why a session was cancelled that says its counsellor, or its interpreter, could not hold it then.
COUNSELLOR_COULD_NOT = "counsellor_unavailable"
INTERPRETER_COULD_NOT = "interpreter_unavailable"


def said_no(county: County, start: dt.date, end: dt.date) -> tuple[dict[int, list], dict[int, list]]:
    """(counsellor profile id -> busy times, interpreter profile id -> busy times) in the horizon: the
    times of requests an interpreter declined, and of sessions a lead cancelled because their
    counsellor or interpreter could not hold them. Later plans, suggestions and moves keep them
    free then (the solver's `busy`, solver/README.md), so nobody is asked again for a time they
    said no to. A time the lead has booked the same person for again since (a booked session of the
    counsellor, an interpreter's request or acceptance then) is theirs again: the lead knows better.
    Local 'YYYY-MM-DDTHH:MM' pairs, sorted."""
    first, last = ids.to_utc(dt.datetime.combine(start, dt.time())), ids.to_utc(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    in_horizon = (Session.start >= first, Session.start < last)
    centre_ids = select(CareerCentre.id).where(CareerCentre.county_id == county.id)
    of_county = Session.location_id.in_(select(Location.id).where(Location.centre_id.in_(centre_ids)))
    counsellors: dict[int, set] = {}
    interpreters: dict[int, set] = {}

    def span(s_start: dt.datetime, s_end: dt.datetime) -> tuple[str, str]:
        return tuple(ids.plan_minute(t) for t in (s_start, s_end))

    cancelled = db.session.execute(
        select(Session.counsellor_id, Session.interpreter_id, Session.cancel_reason, Session.start, Session.end)
        .where(Session.status == SessionStatus.CANCELLED, Session.cancel_reason.in_(
            [COUNSELLOR_COULD_NOT, INTERPRETER_COULD_NOT]), of_county, *in_horizon))
    for counsellor_id, interpreter_id, reason, s_start, s_end in cancelled:
        if reason == COUNSELLOR_COULD_NOT:
            counsellors.setdefault(counsellor_id, set()).add(span(s_start, s_end))
        elif interpreter_id is not None:
            interpreters.setdefault(interpreter_id, set()).add(span(s_start, s_end))
    declined = db.session.execute(
        select(InterpreterBooking.interpreter_id, Session.start, Session.end)
        .join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.status == BookingStatus.DECLINED, of_county, *in_horizon))
    for interpreter_id, s_start, s_end in declined:
        interpreters.setdefault(interpreter_id, set()).add(span(s_start, s_end))
    booked_again = {("C", c, span(a, b)) for c, a, b in db.session.execute(
        select(Session.counsellor_id, Session.start, Session.end)
        .where(Session.status == SessionStatus.BOOKED, Session.counsellor_id.in_(list(counsellors) or [0]),
               of_county, *in_horizon))}
    booked_again |= {("I", i, span(a, b)) for i, a, b in db.session.execute(
        select(InterpreterBooking.interpreter_id, Session.start, Session.end)
        .join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.status.in_([BookingStatus.REQUESTED, BookingStatus.ACCEPTED]),
               InterpreterBooking.interpreter_id.in_(list(interpreters) or [0]), of_county, *in_horizon))}

    def still_no(kind: str, people: dict[int, set]) -> dict[int, list]:
        kept = {k: sorted(t for t in v if (kind, k, t) not in booked_again) for k, v in people.items()}
        return {k: [list(t) for t in v] for k, v in kept.items() if v}

    return still_no("C", counsellors), still_no("I", interpreters)


def usable_modes(p: InterpreterProfile) -> list[str]:
    """The interpreter's ways of working the plan may use: phone only with a number to call (the
    counsellor calls the interpreter; the readiness check asks for the missing number)."""
    return [m for m in (p.modes or []) if m != "phone" or p.user.phone]


def _interpreter(p: InterpreterProfile, start: dt.date, end: dt.date) -> dict:
    return {
        "id": ids.interpreter_id(p.id),
        "name": p.user.name,
        "languages": {lang.language: lang.category for lang in p.languages},
        "modes": usable_modes(p),
        "place": p.municipality.number,
        "weekly": p.weekly or {},
        "absences": getattr(p, "_absences", []),
        # The database keeps money in øre; the formats speak NOK.
        "hourly_rate": p.hourly_rate_ore / 100,
        "min_billed_minutes": p.min_billed_minutes,
        "travel_rate": p.travel_rate_ore / 100,
    }


def outside_stand_in(s: Session, start: dt.date, end: dt.date, *, at: tuple[dt.datetime, dt.datetime] | None = None,
                     place: str | None = None, anytime: bool = False) -> dict:
    """A stand-in for the interpreter the lead arranged outside Veiled for the published session `s`
    (services/interpreter_bookings/outside.py), in a horizon `start`-`end`: the session's language and
    way of taking part, free at its time only (that weekday's hours are the session's, every other day
    of the horizon away), at its place, at the agreed price (none: free). So the plan keeps the session
    with them, as it keeps a booked interpreter, nobody else is given them, and the session's need reads
    as covered; the bridge also pins the session (services/planning.py `_pins`). The register category
    is unknown; the best is given so the objective never prefers undoing the lead's arrangement.
    `at` and `place`: the time and place a move would give the session (the arrangement goes with it);
    `anytime`: free at any time of the horizon, for the times a move could suggest (the lead asks them)."""
    begin, finish = at or (s.start, s.end)
    first, last = ids.to_local(begin), ids.to_local(finish)
    day = first.date()
    minutes = max(1, int((finish - begin).total_seconds() // 60))
    away = []
    if day > start:
        away.append([start.isoformat(), min(end, day - dt.timedelta(days=1)).isoformat()])
    if day < end:
        away.append([max(start, day + dt.timedelta(days=1)).isoformat(), end.isoformat()])
    weekly = {str(day.isoweekday()): [[first.strftime("%H:%M"), last.strftime("%H:%M")]]}
    if anytime:
        weekly, away = {str(d): [["00:00", "23:45"]] for d in range(1, 8)}, []
    return {
        "id": ids.outside_interpreter_id(s.uid),
        "name": s.outside_interpreter,
        "languages": {s.language: 1},
        "modes": [s.outside_interpreter_mode],
        "place": place or s.location.municipality.number,
        "weekly": weekly,
        "absences": away,
        "busy": [],
        # The price is for the session: as an hourly rate over its length, the plan's cost formula gives it back.
        "hourly_rate": (s.outside_interpreter_price_ore or 0) / 100 * 60 / minutes,
        "min_billed_minutes": 0,
        "travel_rate": 0,
    }


def with_stand_in(instance: dict, stand_in: dict) -> None:
    """Put `stand_in` into `instance` in place of the one with its id (a move gives it the new time)."""
    instance["interpreters"] = [i for i in instance["interpreters"] if i["id"] != stand_in["id"]] + [stand_in]


def _open_referrals(county: County) -> list[Referral]:
    stmt = (
        select(Referral)
        .where(Referral.county_id == county.id, Referral.status.in_(OPEN_STATUSES))
        .options(selectinload(Referral.participant).selectinload(Participant.municipality))
        .order_by(Referral.id)
    )
    return list(db.session.scalars(stmt))


def _held_needs(published: list[Session], horizon_start: dt.date) -> set[tuple[int, str]]:
    """(referral id, type) of published sessions before the horizon that the participant attended
    or is about to attend: these are not planned again."""
    held = set()
    for s in published:
        if ids.to_local(s.start).date() >= horizon_start:
            continue
        for sp in s.participants:
            if sp.outcome not in NOT_HELD_OUTCOMES:
                held.add((sp.referral_id, s.type))
    return held


def _needs_in_plan(published: list[Session], horizon_start: dt.date) -> set[tuple[int, str]]:
    """(referral id, type) of published sessions in the horizon: what a repair re-plans."""
    return {(sp.referral_id, s.type) for s in published if ids.to_local(s.start).date() >= horizon_start
            for sp in s.participants}


def _participant(referral: Referral, needs: list[str], horizon_start: dt.date, horizon_end: dt.date, counsellors: dict,
                 types: dict) -> dict:
    person = referral.participant
    deadline = referral.deadline
    overdue_since = None
    # An already missed deadline must not hide the participant from the plan: they are
    # planned as soon as possible and first of all, the longest overdue first (the solver's
    # overdue_since; the dashboard counts the miss).
    if deadline is not None and deadline < horizon_start:
        deadline, overdue_since = None, deadline
    preferred = referral.preferred_counsellor_id
    return {
        "id": ids.participant_id(referral.id),
        "place": person.municipality.number,
        "legal_basis": str(referral.legal_basis),
        "needs": [n for n in needs if n in types],
        "earliest": referral.earliest_date.isoformat() if referral.earliest_date else None,
        "deadline": deadline.isoformat() if deadline else None,
        "language": person.language,
        "needs_interpreter": person.needs_interpreter,
        "video_ok": person.video_ok,
        "needs_step_free": person.needs_step_free,
        "preferred_counsellor": ids.counsellor_id(preferred) if preferred in counsellors else None,
        "overdue_since": overdue_since.isoformat() if overdue_since else None,
        # When the referral says they can come (weekdays, part of the day): the other times are busy.
        "busy": [list(t) for t in Wish.of_referral(referral).busy(horizon_start, horizon_end)],
    }


def _cannot_come(county: County, participants: list[dict]) -> None:
    """A referrer's word that the participant cannot come to a session, while it stands
    (planning/cannot_come.py), makes that day the participant's `busy` time (solver/README.md): a re-plan or a
    suggested time moves them instead of keeping them there. Once the lead has moved the session to another time
    that day, the lead's choice stands; a day they were moved or taken out of stays busy."""
    busy: dict[str, set] = {}
    for referral_id, date in days_they_cannot_come(county.id):
        # The whole day, not only the session's hours: a participant who cannot come at 13:30 has a job, an
        # appointment or a sick child that day, and "Best fit" had been 12:00 the same day elsewhere.
        day = date.isoformat()
        busy.setdefault(ids.participant_id(referral_id), set()).add((f"{day}T00:00", f"{day}T23:59"))
    for p in participants:
        if p["id"] in busy:
            p["busy"] = [list(t) for t in sorted(busy[p["id"]] | {tuple(t) for t in p.get("busy", [])})]


def overdue_from_deadline(participant: dict) -> None:
    """A participant dict whose deadline can no longer bind (it is missed, or the lead booked past it): overdue from
    that deadline, as the solver reads a missed one (`overdue_since`, no `deadline`)."""
    participant["deadline"], participant["overdue_since"] = None, participant["deadline"]


def _respect_notice(participants: list[dict], published: list[Session], horizon_start: dt.date,
                    earliest_new: dt.date) -> None:
    """New sessions only after the notice (the instance's `new_sessions_from`, which the planner and the
    checker keep for every session but the published ones frozen inside the notice).

    Participants with nothing published in the horizon also get it as their earliest date; those with
    a published session keep their dates, which that session must stay within. A deadline inside the
    notice can no longer be met, so such a participant is planned as soon as the notice allows, as overdue
    from that deadline (the solver's `overdue_since`)."""
    booked = {ids.participant_id(sp.referral_id) for s in published
              if s.status is SessionStatus.BOOKED and ids.to_local(s.start).date() >= horizon_start
              for sp in s.participants}
    first = earliest_new.isoformat()
    for p in participants:
        if p["deadline"] is not None and p["deadline"] < first:
            # Missed for certain: as urgent as an overdue participant (the plan's figures count them there;
            # with no deadline at all they counted nowhere, and "every deadline kept" hid them).
            overdue_from_deadline(p)
        if p["id"] not in booked and (p["earliest"] or "") < first:
            p["earliest"] = first


def _booked_past_deadline(participants: list[dict], published: list[Session], horizon_start: dt.date) -> None:
    """A participant the lead booked after their deadline (they could not come before it, or nothing sooner was
    free: the move asks the lead to confirm it when it is their first guidance) keeps that booking in every later
    run: with the deadline still binding, the next plan could not keep it, and publishing would have cancelled the
    session. A participant whose first guidance is in time has the deadline stretched to that day; one whose first
    guidance it is, is overdue from the deadline (the solver's `overdue_since`)."""
    by_id = {p["id"]: p for p in participants if p["deadline"] is not None}
    late: dict[str, str] = {}   # participant -> the latest day the lead booked them after their deadline
    for s in published:
        if s.status is not SessionStatus.BOOKED or ids.to_local(s.start).date() < horizon_start:
            continue
        day = ids.to_local(s.start).date().isoformat()
        for sp in s.participants:
            p = by_id.get(ids.participant_id(sp.referral_id))
            if p is not None and day > p["deadline"]:
                late[p["id"]] = max(day, late.get(p["id"], day))
    # Whose first guidance is in time (held, or booked on or before the deadline): their deadline is kept, and the
    # later session only stretches it (not "overdue", which the run's figures count as a missed deadline).
    in_time = {ids.participant_id(sp.referral_id) for s in published for sp in s.participants
               if ids.participant_id(sp.referral_id) in late and sp.outcome not in NOT_HELD_OUTCOMES
               and ids.to_local(s.start).date().isoformat() <= by_id[ids.participant_id(sp.referral_id)]["deadline"]}
    for pid, day in late.items():
        p = by_id[pid]
        if pid in in_time:
            p["deadline"] = day
        else:
            overdue_from_deadline(p)


def session_dict(s: Session, participants: list[str] | None = None) -> dict:
    """A database session in the guidance-plan/1 session shape. An interpreter arranged outside Veiled
    is its stand-in (`outside_stand_in`), so the session reads as interpreted."""
    outside = bool(s.outside_interpreter and s.language)
    return {
        "id": ids.session_id(s.id),
        "type": s.type,
        "participants": participants if participants is not None
        else [ids.participant_id(sp.referral_id) for sp in sorted(s.participants, key=lambda sp: sp.referral_id)],
        "counsellor": ids.counsellor_id(s.counsellor_id),
        "location": ids.location_id(s.location_id),
        "room": ids.room_id(s.room_id),
        "start": ids.plan_minute(s.start),
        "end": ids.plan_minute(s.end),
        "mode": s.mode,
        "language": s.language,
        "interpreter": ids.outside_interpreter_id(s.uid) if outside
        else ids.interpreter_id(s.interpreter_id) if s.interpreter_id else None,
        "interpreter_mode": s.outside_interpreter_mode if outside else s.interpreter_mode,
    }


def _previous_plan(published: list[Session], start: dt.date, end: dt.date, known: set[str], name: str) -> dict | None:
    """Published sessions inside the horizon, without participants who left the queue."""
    sessions = []
    for s in published:
        day = ids.to_local(s.start).date()
        if not start <= day <= end or s.status is not SessionStatus.BOOKED:
            continue
        members = sorted((ids.participant_id(sp.referral_id) for sp in s.participants), key=lambda p: int(p[1:]))
        members = [m for m in members if m in known]
        if members:
            sessions.append(session_dict(s, members))
    if not sessions:
        return None
    return {"format": PLAN_FORMAT, "instance": name, "sessions": sessions, "unscheduled": [],
            "stats": {"status": "PUBLISHED"}}


def travel_minutes(place_a: Municipality, place_b: Municipality) -> int:
    """One-way travel minutes between two municipalities by the plans' own rule: the county's known travel
    time for the pair when it gave one (a ferry), else TRAVEL and the solver's formula. What
    `max_travel_minutes` is compared with, and what an interpreter's journey is priced at."""
    from solver.travel import travel_minutes as solver_travel

    key = tuple(sorted((place_a.number, place_b.number)))
    for county in {place_a.county, place_b.county} - {None}:
        known = known_travel_pairs(county)
        if key in known:
            return known[key]
    return solver_travel({"id": place_a.number, "lat": place_a.lat, "lon": place_a.lon},
                         {"id": place_b.number, "lat": place_b.lat, "lon": place_b.lon},
                         TRAVEL["road_factor"], TRAVEL["speed_kmh"])


def instance_travel(instance: dict):
    """`minutes(place_a, place_b)`: one-way travel between two place ids of a built instance by the plans' own
    rule (its known travel times, else the formula); None when a place is not in it."""
    from solver.travel import known_minutes
    from solver.travel import travel_minutes as solver_travel

    places = {p["id"]: p for p in instance.get("places", [])}
    travel = instance.get("travel") or TRAVEL
    known = known_minutes(travel.get("overrides"))

    def minutes(place_a: str, place_b: str) -> int | None:
        a, b = places.get(place_a), places.get(place_b)
        if a is None or b is None:
            return None
        key = (place_a, place_b) if place_a <= place_b else (place_b, place_a)
        return known[key] if key in known else solver_travel(a, b, travel["road_factor"], travel["speed_kmh"])

    return minutes


def known_travel_pairs(county: County) -> dict[tuple[str, str], int]:
    """The county's known travel times by sorted pair of municipality numbers."""
    return {tuple(sorted((t["from"], t["to"]))): int(t["minutes"]) for t in county.known_travel or []}
