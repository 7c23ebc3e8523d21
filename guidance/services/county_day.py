"""One day at the county's locations: every published session of an Oslo date, by location, with what
the lead must act on before it starts.

The week grid shows one counsellor, room or location; on a normal morning the lead needs the whole
county at once (who is ill, which interpreter said no, which participant cannot come) and a move or
cancel link beside each. What is marked on a session (`PROBLEMS`, in the order they are listed):
- its counsellor is registered away then (`Absence`: that day, or hours of it that the session overlaps);
- its interpreter is registered away, declined, or the request expired or was withdrawn;
- the interpreter has not answered, and the answer deadline has passed or is near (`answer_due`);
- a referrer said a participant cannot come (`cannot_come.waiting`), until it is moved or cancelled;
- it has ended and a participant has no outcome.
The status tag is the week grid's (`week_grid.status_of`), so both pages read a session alike.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    OPEN_STATUSES,
    CounsellorProfile,
    InterpreterProfile,
    Location,
    Participant,
    Referral,
    Room,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.services import calendar as cal
from guidance.services import absences, cannot_come, readiness, week_grid
from guidance.services.interpreter_bookings.state import answer_due

PROBLEMS = ("counsellor_away", "interpreter_away", "interpreter_missing", "interpreter_asked", "cannot_come",
            "outcome_missing")

LOADS = (
    selectinload(Session.participants).selectinload(SessionParticipant.referral)
    .load_only(Referral.id, Referral.reference, Referral.participant_id)
    .selectinload(Referral.participant).load_only(Participant.id, Participant.name, Participant.language,
                                                  Participant.needs_interpreter),
    selectinload(Session.interpreter).selectinload(InterpreterProfile.user).load_only(User.id, User.name),
    selectinload(Session.bookings),
    selectinload(Session.location).load_only(Location.id, Location.name),
    selectinload(Session.room).load_only(Room.id, Room.name),
)


@dataclass
class DayParticipant:
    referral_id: int
    reference: str
    name: str
    language: str
    outcome: str | None  # the recorded outcome's value
    cannot_come: str | None  # the referrer's words, while the request waits
    still_open: bool = False  # the referral is open (a cancelled session's participant may need a new time)


@dataclass
class DaySession:
    session: Session
    status: str  # week_grid.STATUSES
    counsellor: str
    interpreter: str
    participants: list[DayParticipant]
    problems: list[str] = field(default_factory=list)  # PROBLEMS, in their order
    changeable: bool = False  # booked and not yet started: it can be moved or cancelled
    # Why a session has no interpreter when none is missing: "norwegian" (nobody in it needs one) or "speaks"
    # (the counsellor speaks the language of those who do). A bare "–" read as a missing interpreter.
    no_interpreter_needed: str = ""
    under_way: bool = False  # booked, started and not yet ended

    @property
    def anchor(self) -> str:
        return f"session-{self.session.id}"


@dataclass
class LocationDay:
    location_id: int
    name: str
    sessions: list[DaySession]

    @property
    def going_ahead(self) -> int:
        return sum(s.status not in ("cancelled", "replaced") for s in self.sessions)


@dataclass
class CountyDay:
    date: dt.date
    locations: list[LocationDay]
    counsellors_away: list[str]  # names of counsellors registered away that day who hold sessions on it
    staff_away: list[str] = field(default_factory=list)  # every counsellor and interpreter of the county away that day, with the hours of a part-day absence

    @property
    def sessions(self) -> list[DaySession]:
        return [s for place in self.locations for s in place.sessions]

    @property
    def problem_counts(self) -> dict[str, int]:
        counts = Counter(problem for s in self.sessions for problem in s.problems)
        return {problem: counts[problem] for problem in PROBLEMS if counts[problem]}

    @property
    def going_ahead(self) -> int:
        """Sessions of the day not cancelled (the lead's home and the day plan count them)."""
        return sum(place.going_ahead for place in self.locations)

    @property
    def to_act_on(self) -> list[DaySession]:
        return [s for s in self.sessions if s.problems]


def day(county_id: int, date: dt.date, *, now: dt.datetime | None = None, waiting: list | None = None) -> CountyDay:
    """The county's published sessions starting on `date` (Oslo), by location (by name), each in time order.
    `waiting`: the county's `cannot_come.waiting` when the caller has read it already (the lead's home)."""
    now = now or clock.now()
    sessions = cal.sessions_between(date, date, county_id=county_id, loads=LOADS)
    counsellors = db.session.execute(
        select(CounsellorProfile.id, User.id, User.name, CounsellorProfile.languages)
        .join(User, User.id == CounsellorProfile.user_id)
        .where(CounsellorProfile.id.in_({s.counsellor_id for s in sessions}))).all()
    counsellor_names = {profile_id: name for profile_id, _user_id, name, _languages in counsellors}
    counsellor_users = {profile_id: user_id for profile_id, user_id, _name, _languages in counsellors}
    counsellor_languages = {profile_id: set(languages or []) for profile_id, _u, _n, languages in counsellors}
    staff_away, away = absences.away_on(
        county_id, date, also=set(counsellor_users.values()) | {s.interpreter.user_id for s in sessions if s.interpreter})
    waiting = {(w.session_id, w.referral_id): w.note
               for w in (cannot_come.waiting(county_id, now) if waiting is None else waiting)}

    # A cancelled session's participant booked again since (same kind of session) needs no "Find a time" on its row.
    from guidance.services.referral_reading import next_booked_sessions

    rebooked = next_booked_sessions(list({sp.referral_id for s in sessions if s.status is SessionStatus.CANCELLED
                                          for sp in s.participants}), by_type=True)
    places: dict[int, LocationDay] = {}
    away_names: set[str] = set()
    for session in sessions:
        item = DaySession(
            session, week_grid.status_of(session), counsellor_names.get(session.counsellor_id, ""),
            session.interpreter.user.name if session.interpreter else "",
            [DayParticipant(sp.referral_id, sp.referral.reference, sp.referral.participant.name,
                            sp.referral.participant.language, sp.outcome.value if sp.outcome else None,
                            waiting.get((session.id, sp.referral_id)),
                            sp.referral.status in OPEN_STATUSES and (sp.referral_id, session.type) not in rebooked)
             for sp in session.participants],
            changeable=session.status is SessionStatus.BOOKED and session.start > now,
            under_way=session.status is SessionStatus.BOOKED and session.start <= now < session.end)
        if session.interpreter is None and session.outside_interpreter is None:
            needing = readiness.uninterpreted(session)   # the broken-session check's own reading
            item.no_interpreter_needed = "norwegian" if not needing else \
                "speaks" if needing <= counsellor_languages.get(session.counsellor_id, set()) else ""
        if session.status is SessionStatus.BOOKED:
            item.problems = _problems(item, away, counsellor_users, now)
            if "counsellor_away" in item.problems:
                away_names.add(item.counsellor)
        places.setdefault(session.location_id, LocationDay(session.location_id, session.location.name, []))
        places[session.location_id].sessions.append(item)
    return CountyDay(date, sorted(places.values(), key=lambda p: p.name), sorted(away_names), staff_away)


def _problems(item: DaySession, away: dict[int, list], counsellor_users: dict[int, int], now: dt.datetime) -> list[str]:
    session = item.session
    found = set()

    def away_then(user_id: int | None) -> bool:
        return absences.away_during(away.get(user_id, []), session.start, session.end)

    if away_then(counsellor_users.get(session.counsellor_id)):
        found.add("counsellor_away")
    if session.interpreter is not None and away_then(session.interpreter.user_id):
        found.add("interpreter_away")
    elif item.status == "interpreter_missing":
        found.add("interpreter_missing")
    elif item.status == "interpreter_asked" and answer_due(max(session.bookings, key=lambda b: b.id), now):
        found.add("interpreter_asked")  # not while the interpreter still has time to answer
    if any(p.cannot_come is not None for p in item.participants):
        found.add("cannot_come")
    if session.end <= now and any(p.outcome is None for p in item.participants):
        found.add("outcome_missing")
    return [problem for problem in PROBLEMS if problem in found]
