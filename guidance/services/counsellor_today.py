"""The counsellor's home: today's sessions, the next day with sessions, what still needs them.

One read of the counsellor's own published sessions, returned as plain data for the template:
- today's sessions (Oslo date), in time order, cancelled ones marked;
- the next day after today (within LOOK_AHEAD) that has sessions, so Friday shows Monday;
- sessions that have ended within OUTCOME_LOOK_BACK with a participant whose outcome is not recorded
  (the same outcome that the lead's home asks for, seen from the one who records it);
- participants who attended a session with the counsellor within NOTE_LOOK_BACK and have no shared
  guidance note yet (a draft counts as not shared: the municipality has nothing until it is).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    CounsellorProfile,
    GuidanceNote,
    Outcome,
    Participant,
    Referral,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.services import absences
from guidance.services import calendar as cal

SHOWN = 5
LOOK_AHEAD = dt.timedelta(days=14)
OUTCOME_LOOK_BACK = dt.timedelta(days=28)
NOTE_LOOK_BACK = dt.timedelta(days=60)


@dataclass
class NoteToWrite:
    referral_id: int
    reference: str
    name: str
    attended_on: dt.date  # Oslo date of the latest session with this counsellor they attended
    draft: bool  # a draft exists, not yet shared


@dataclass
class CounsellorDay:
    today: dt.date
    sessions_today: list[Session]
    next_day: dt.date | None
    sessions_next_day: list[Session]
    missing_outcomes: list[Session]  # ended, a participant without an outcome; at most SHOWN unless all asked
    missing_outcomes_total: int
    notes: list[NoteToWrite]  # at most SHOWN unless all asked
    notes_total: int
    away: set[dt.date] = field(default_factory=set)  # of today and the next day: those the counsellor is away
    away_hours: dict[dt.date, list[str]] = field(default_factory=dict)  # of those days: hours away ("10:00–12:00")
    under_way_id: int | None = None  # today's session going on now
    next_id: int | None = None  # today's next session to start (where to go after this one)
    # Participants the referrer says cannot come, by session: the counsellor's week and home showed nothing of it
    # (only the session's own page), and they waited for someone the centre was moving.
    cannot_come: dict[int, int] = field(default_factory=dict)

    @property
    def week(self) -> int:
        return self.today.isocalendar()[1]


def overview(counsellor_id: int, everything: bool = False) -> CounsellorDay:
    """The home's cards; `everything` lists every outcome and note to write ("And 4 more." opens them)."""
    shown = None if everything else SHOWN
    now = clock.now()
    today = clock.today(now)
    coming = cal.counsellor_sessions(counsellor_id, today, clock.local_date(now + LOOK_AHEAD))
    sessions_today = [s for s in coming if clock.local_date(s.start) == today]
    later = [s for s in coming if clock.local_date(s.start) > today and s.status is not SessionStatus.CANCELLED]
    next_day = clock.local_date(later[0].start) if later else None
    sessions_next_day = [s for s in later if clock.local_date(s.start) == next_day]
    missing, missing_total = _missing_outcomes(counsellor_id, now, shown)
    notes, notes_total = _notes_to_write(counsellor_id, now, shown)
    held = [s for s in sessions_today if s.status is not SessionStatus.CANCELLED]
    under_way = next((s.id for s in held if s.start <= now < s.end), None)
    upcoming = next((s.id for s in held if s.start > now), None)
    away, away_hours = _away(counsellor_id, {today, next_day} - {None})
    return CounsellorDay(today, sessions_today, next_day, sessions_next_day, missing, missing_total, notes, notes_total,
                         away, away_hours, under_way, upcoming, cannot_come_by_session(counsellor_id, now))


def cannot_come_by_session(counsellor_id: int, now: dt.datetime | None = None) -> dict[int, int]:
    """How many participants of each of the counsellor's sessions cannot come, by the referrer's waiting word."""
    profile = db.session.get(CounsellorProfile, counsellor_id)
    return dict(Counter(session_id for session_id, _referral_id in
                        cannot_come_pairs(profile.user.county_id if profile is not None else None, now)))


def cannot_come_pairs(county_id: int | None, now: dt.datetime | None = None) -> set[tuple[int, int]]:
    """(session id, referral id) of the county's participants whose referrer says they cannot come."""
    from guidance.services.cannot_come import waiting

    return {(w.session_id, w.referral_id) for w in waiting(county_id, now)} if county_id else set()


def _away(counsellor_id: int, days: set[dt.date]) -> tuple[set[dt.date], dict[dt.date, list[str]]]:
    """Which of `days` the counsellor registered themselves (or was registered) away the whole day, and the
    hours away on the others: the home said "Next: Thursday, 1 session" on a day they had reported sick,
    or away for the dentist in the middle of it."""
    user_id = db.session.scalar(select(CounsellorProfile.user_id).where(CounsellorProfile.id == counsellor_id))
    first, last = min(days), max(days)
    hours: dict[dt.date, list[str]] = {}
    for absence in absences.hours_away(user_id, first, last):
        if absence.start_date in days:
            hours.setdefault(absence.start_date, []).append(absences.hours_text(absence))
    return days & absences.days_away(user_id, first, last), hours


def _missing_outcomes(counsellor_id: int, now: dt.datetime, shown: int | None) -> tuple[list[Session], int]:
    missing = exists().where(SessionParticipant.session_id == Session.id, SessionParticipant.outcome.is_(None))
    stmt = (select(Session)
            .where(Session.counsellor_id == counsellor_id, Session.status == SessionStatus.BOOKED,
                   Session.end <= now, Session.start >= now - OUTCOME_LOOK_BACK, missing)
            .options(selectinload(Session.participants), selectinload(Session.location))
            .order_by(Session.start, Session.id))
    sessions = list(db.session.scalars(stmt))
    return sessions[:shown], len(sessions)


def _notes_to_write(counsellor_id: int, now: dt.datetime, shown: int | None) -> tuple[list[NoteToWrite], int]:
    shared = exists().where(GuidanceNote.referral_id == Referral.id, GuidanceNote.status == "shared")
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Participant.name, Session.start)
        .join(SessionParticipant, SessionParticipant.referral_id == Referral.id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .join(Participant, Participant.id == Referral.participant_id)
        .where(Session.counsellor_id == counsellor_id, SessionParticipant.outcome == Outcome.ATTENDED,
               Session.start >= now - NOTE_LOOK_BACK, ~shared)
        .order_by(Session.start.desc())).all()
    latest: dict[int, tuple] = {}
    for row in rows:
        latest.setdefault(row.id, row)
    drafts = set(db.session.scalars(select(GuidanceNote.referral_id).where(
        GuidanceNote.referral_id.in_(list(latest)[:shown]), GuidanceNote.status == "draft")))
    items = [NoteToWrite(r.id, r.reference, r.name, clock.local_date(r.start), r.id in drafts) for r in list(latest.values())[:shown]]
    return items, len(latest)
