"""Is an interpreter free for a session? Judged with real times, never strings, and failing closed:
a candidate whose check raises, or that the plan checker cannot judge, is not offered.

`Availability(county, sessions)` is built once per request for the sessions that need someone: it
loads the county's interpreters for those languages, their absences, their other sessions on those days
(by assignment or by an active request) and the published plan around them (one county instance for
all the sessions, for the solver's checker). `free(profile, session)` then asks, in order:
the way of interpreting, the working hours (Oslo wall clock on that date), absences, overlap and the
travel between two on-site sessions at different places (`planning.instance.travel_minutes`, the
solver's formula), and finally the independent plan checker (`solver.check`, rule 6 and the others):
the plan with the candidate on the session may break no rule it did not already break.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance.clock import local_date
from guidance.extensions import db
from guidance.models import (
    InterpreterBooking,
    InterpreterLanguage,
    InterpreterProfile,
    Location,
    Session,
    SessionStatus,
    User,
)
from guidance.planning.instance import travel_minutes
from guidance.services import calendar as cal
from guidance.services.absences import away_during, spans_away
from guidance.services.interpreter_bookings.state import ACTIVE

log = logging.getLogger(__name__)


def mode_of(session: Session) -> str:
    return session.interpreter_mode or "onsite"


def within_hours(weekly: dict, start: dt.datetime, end: dt.datetime) -> bool:
    """The whole of start-end (aware instants) lies inside one of the weekly periods of that Oslo
    date ({"1": [["08:00", "16:00"]], ...}, ISO weekdays, Oslo wall clock)."""
    local_start, local_end = start.astimezone(cal.OSLO), end.astimezone(cal.OSLO)
    day = local_start.date()
    for begin, finish in weekly.get(str(day.isoweekday()), []):
        opens = dt.datetime.combine(day, dt.time.fromisoformat(begin), tzinfo=cal.OSLO)
        closes = dt.datetime.combine(day, dt.time.fromisoformat(finish), tzinfo=cal.OSLO)
        if opens <= local_start and local_end <= closes:
            return True
    return False


def _where(session: Session, mode: str, home):
    """Where the interpreter is for a booking: the location on site, their own municipality by video or
    phone (solver/README.md, "an interpreter's journey home")."""
    return session.location.municipality if mode == "onsite" else home


def clashes(session: Session, mode: str, other: Session, other_mode: str, home=None) -> bool:
    """The two bookings overlap, or lie nearer in time (end of the earlier to start of the later) than the
    journey between where the interpreter is for each: two on-site places, or an on-site place and `home`
    (their municipality) for one by video or phone. Two remote bookings need no journey. Only on-site
    pairs were counted, and once other ways were offered a replacement by video 10 minutes after an
    assignment 40 minutes from home was."""
    gap = 0
    if mode == "onsite" or other_mode == "onsite":   # two remote bookings: both from home
        a, b = _where(session, mode, home), _where(other, other_mode, home)
        gap = travel_minutes(a, b) if a is not None and b is not None and a.id != b.id else 0
    margin = dt.timedelta(minutes=gap)
    return other.start < session.end + margin and session.start < other.end + margin


class Availability:
    def __init__(self, county, sessions: list[Session]):
        self.county = county
        self.sessions = list(sessions)
        self.days = sorted({local_date(s.start) for s in self.sessions})
        languages = sorted({s.language for s in self.sessions if s.language})
        self.profiles: list[InterpreterProfile] = db.session.scalars(
            select(InterpreterProfile)
            .join(User, User.id == InterpreterProfile.user_id)
            .join(InterpreterLanguage, InterpreterLanguage.interpreter_id == InterpreterProfile.id)
            .where(User.active.is_(True), User.county_id == county.id,
                   InterpreterLanguage.language.in_(languages or [""]))
            .options(selectinload(InterpreterProfile.languages), selectinload(InterpreterProfile.user),
                     selectinload(InterpreterProfile.municipality))
        ).unique().all() if self.sessions else []
        self._absences = self._load_absences()
        self._commitments = self._load_commitments()
        self._referee: _PlanReferee | None = None

    def _load_absences(self) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
        """user id -> the spans they are away (whole days and part days) on the days concerned."""
        if not self.days or not self.profiles:
            return {}
        return spans_away([p.user_id for p in self.profiles], self.days[0], self.days[-1])

    def _load_commitments(self) -> dict[int, list[tuple[Session, str]]]:
        """interpreter id -> [(booked session, way of interpreting)] on the days concerned (a day's
        margin each side for sessions near midnight), by assignment or by an active request."""
        if not self.days or not self.profiles:
            return {}
        ids = [p.id for p in self.profiles]
        first = dt.datetime.combine(self.days[0] - dt.timedelta(days=1), dt.time(), tzinfo=cal.OSLO)
        last = dt.datetime.combine(self.days[-1] + dt.timedelta(days=2), dt.time(), tzinfo=cal.OSLO)
        in_window = (Session.status == SessionStatus.BOOKED, Session.start < last, Session.end > first)
        eager = (selectinload(Session.location).selectinload(Location.municipality),)
        out: dict[int, dict[int, tuple[Session, str]]] = {}
        for session in db.session.scalars(select(Session).where(Session.interpreter_id.in_(ids), *in_window)
                                          .options(*eager)):
            out.setdefault(session.interpreter_id, {})[session.id] = (session, mode_of(session))
        requested = db.session.execute(
            select(InterpreterBooking.interpreter_id, InterpreterBooking.mode, Session)
            .join(Session, Session.id == InterpreterBooking.session_id)
            .where(InterpreterBooking.interpreter_id.in_(ids), InterpreterBooking.status.in_(ACTIVE), *in_window)
            .options(*eager)).all()
        for interpreter_id, mode, session in requested:
            out.setdefault(interpreter_id, {})[session.id] = (session, mode or mode_of(session))
        return {k: list(v.values()) for k, v in out.items()}

    def candidates_for(self, session: Session) -> list[InterpreterProfile]:
        """The loaded interpreters who speak the session's language."""
        return [p for p in self.profiles if any(l.language == session.language for l in p.languages)]

    def free(self, profile: InterpreterProfile, session: Session, mode: str | None = None) -> bool:
        """Whether `profile` can take `session` (by `mode`, the session's own by default); any error while
        judging refuses (never fails open)."""
        try:
            return self._free(profile, session, mode or mode_of(session))
        except Exception as error:  # noqa: BLE001 - fail closed, whatever went wrong
            log.warning("interpreter %s not offered for session %s: the availability check failed (%s)",
                        profile.id, session.id, type(error).__name__)
            return False

    def _free(self, profile: InterpreterProfile, session: Session, mode: str) -> bool:
        if mode not in (profile.modes or []):
            return False
        if not within_hours(profile.weekly or {}, session.start, session.end):
            return False
        if away_during(self._absences.get(profile.user_id, []), session.start, session.end):
            return False
        for other, other_mode in self._commitments.get(profile.id, []):
            if other.id != session.id and clashes(session, mode, other, other_mode, profile.municipality):
                return False
        return self.referee().accepts(profile, session, mode)

    def referee(self) -> _PlanReferee:
        if self._referee is None:
            self._referee = _PlanReferee(self.county, self.days)
        return self._referee


class _PlanReferee:
    """The published plan on the days concerned, described once (one county instance), to judge each
    candidate with the independent checker (solver.check). It fails closed: a candidate it cannot
    judge is not offered."""

    def __init__(self, county, days: list[dt.date]):
        from guidance.planning.instance import InstanceOptions, build_instance
        from solver.formats import FormatError

        self.instance = self.plan = self.before = None
        if not days:
            return
        weeks = (days[-1] - days[0]).days // 7 + 1
        try:
            instance = build_instance(county, InstanceOptions(today=days[0] - dt.timedelta(days=1),
                                                              horizon_weeks=weeks))
        except (FormatError, ValueError, KeyError) as error:
            log.warning("no replacement offered: county %s has no instance (%s)", county.id, type(error).__name__)
            return
        plan = instance.get("previous_plan")
        if not plan:
            log.warning("no replacement offered: county %s has no published plan on those days", county.id)
            return
        instance["previous_plan"], instance["frozen_until"] = None, None
        self.instance, self.plan = instance, {**plan, "unscheduled": []}
        self.before = self._violations(self.plan)

    def _violations(self, plan) -> set[str] | None:
        from solver.check import check_plan
        from solver.formats import FormatError

        try:
            return {str(v) for v in check_plan(self.instance, plan).violations if v.rule != 0}
        except FormatError:
            log.warning("no replacement offered: the county's instance does not load")
            return None

    def accepts(self, candidate: InterpreterProfile, session: Session, mode: str | None = None) -> bool:
        """The plan with `candidate` on `session` (by `mode`, when another than the session's) breaks no rule
        it did not already break."""
        from guidance.planning import ids

        if self.instance is None or self.before is None:
            return False
        target = ids.session_id(session.id)
        if not any(s["id"] == target for s in self.plan["sessions"]):
            log.warning("no replacement offered: session %s is not in the published plan", session.id)
            return False
        change = {"interpreter": ids.interpreter_id(candidate.id), **({"interpreter_mode": mode} if mode else {})}
        sessions = [{**s, **change} if s["id"] == target else s for s in self.plan["sessions"]]
        after = self._violations({**self.plan, "sessions": sessions})
        return after is not None and after <= self.before
