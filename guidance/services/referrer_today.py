"""The referrer's home: what the municipality's participants have coming, and what came back.

One read of the municipality's own referrals (`rules.access.referral_filter`), as plain data:
- participants with a booked session within LOOK_AHEAD (earliest first): the letters to hand over;
- guidance notes shared within NOTES_LOOK_BACK (newest first);
- participants who did not come (or cancelled late) within MISSED_LOOK_BACK, with their new time if one is booked;
- participants whose booked session ahead the centre moved to another time within MOVED_LOOK_BACK: the
  letter they were given has the old time, so the referrer hands over the new one;
- open referrals without a booked session still to be held, and how many of them are past their deadline
  (`rules.deadlines`: a passed deadline is still owed guidance).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.labels import participant_place
from guidance.models import (
    MISSED,
    OPEN_STATUSES,
    AuditEvent,
    County,
    GuidanceNote,
    Location,
    Participant,
    PlanningRun,
    Referral,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.planning.ids import to_local
from guidance.rules.access import referral_filter
from guidance.rules.notice import sooner_than_county_notice
from guidance.services import cannot_come, letters
from guidance.services.interpreter_bookings.changes import KNOWN_TO_PARTICIPANT
from guidance.services.referral_reading import MOVES, next_booked_sessions, with_session_to_hold

SHOWN = 5
LOOK_AHEAD = dt.timedelta(days=14)
NOTES_LOOK_BACK = dt.timedelta(days=30)
MISSED_LOOK_BACK = dt.timedelta(days=14)
MOVED_LOOK_BACK = dt.timedelta(days=14)


@dataclass
class ComingSession:
    referral_id: int
    reference: str
    name: str
    start: dt.datetime  # aware UTC
    location: str
    # The participant's language when their letter is in Norwegian only (no catalogue for it yet).
    no_letter_in: str | None = None
    cannot_come: bool = False  # the referrer said the participant cannot come: the centre moves it


@dataclass
class SharedNote:
    note_id: int
    reference: str
    name: str
    shared_at: dt.datetime  # aware UTC


@dataclass
class Missed:
    """A session a participant did not come to (or cancelled too late), lately: the referrer follows it up."""

    referral_id: int
    reference: str
    name: str
    start: dt.datetime  # aware UTC
    outcome: str  # no_show | cancelled_late
    # The participant's next booked session, when the centre has booked one since: the referrer still
    # talks with them about the missed one, but they are no longer waiting in the queue.
    new_start: dt.datetime | None = None  # aware UTC


@dataclass
class Moved:
    """A booked session ahead that the centre moved to another time lately: the participant's letter
    has the old time (the first one they were given)."""

    referral_id: int
    reference: str
    name: str
    start: dt.datetime  # aware UTC, the time now
    was: dt.datetime  # aware, the time in the first letter
    location: str
    session_id: int = 0
    # The old time is still ahead and sooner than a letter reaches the participant: they hear of it today,
    # from the referrer who sees them or from the centre's call (services.to_tell), not by the new letter.
    tell_now: bool = False


@dataclass
class Cancelled:
    """A session ahead the centre cancelled lately: the participant's letter still gives its time, and they come
    unless someone tells them (a participant travelled from Sogndal for a session cancelled a week before)."""

    referral_id: int
    reference: str
    name: str
    was: dt.datetime  # aware UTC, the cancelled session's start
    location: str
    new_start: dt.datetime | None = None  # the session booked instead, when there is one
    new_location: str | None = None  # where it is (the same hour in another town read as the cancelled one)
    # The old time is sooner than a letter reaches them: they hear of it today.
    tell_now: bool = False


@dataclass
class ReferrerOverview:
    coming: list[ComingSession]
    coming_total: int
    notes: list[SharedNote]
    notes_total: int
    waiting: int  # open referrals without a booked session ahead
    waiting_overdue: int  # of those, past their deadline
    missed: list[Missed] = field(default_factory=list)  # the last MISSED_LOOK_BACK, newest first
    missed_total: int = 0
    moved: list[Moved] = field(default_factory=list)  # moved within MOVED_LOOK_BACK, soonest first
    moved_total: int = 0
    cancelled: list[Cancelled] = field(default_factory=list)  # cancelled sessions ahead, soonest first
    letter_parts: list = field(default_factory=list)  # every booked session ahead's letters, as downloads
    not_printed: int = 0  # letters for booked sessions ahead nobody in the municipality has downloaded yet
    not_printed_mine: int = 0  # of those, the letters of this referrer's own referrals


def overview(referrer: User, everything: bool = False) -> ReferrerOverview:
    """The home's cards; `everything` lists every participant who did not come ("And 4 more.")."""
    now = clock.now()
    today = clock.today(now)
    own = referral_filter(referrer)
    coming_rows = db.session.execute(
        select(Referral.id, Referral.reference, Participant.name, Session.start, Session.location_id,
               Participant.language, Session.id.label("session_id"), Session.mode)
        .join(Participant, Participant.id == Referral.participant_id)
        .join(SessionParticipant, SessionParticipant.referral_id == Referral.id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(own, Session.status == SessionStatus.BOOKED, Session.start >= now, Session.start < now + LOOK_AHEAD)
        .order_by(Session.start, Referral.id)).all()
    places = dict(db.session.execute(select(Location.id, Location.name).where(
        Location.id.in_({r.location_id for r in coming_rows[:SHOWN]}))).all())
    told = {(w.session_id, w.referral_id) for w in cannot_come.waiting(referrer.municipality.county_id, now)} \
        if referrer.municipality is not None else set()
    coming = [ComingSession(r.id, r.reference, r.name, r.start, participant_place(r.mode, places.get(r.location_id, "")),
                            letters.untranslated(r.language), (r.session_id, r.id) in told)
              for r in coming_rows[:SHOWN]]
    note_rows = db.session.execute(
        select(GuidanceNote.id, Referral.reference, Participant.name, GuidanceNote.shared_at)
        .join(Referral, Referral.id == GuidanceNote.referral_id)
        .join(Participant, Participant.id == Referral.participant_id)
        .where(own, GuidanceNote.status == "shared", GuidanceNote.shared_at >= now - NOTES_LOOK_BACK)
        .order_by(GuidanceNote.shared_at.desc(), GuidanceNote.id.desc())).all()
    # A session that is over but has no outcome yet is not "no session booked": the centre has not said
    # whether it was held (referral_reading, as the readiness page counts those who wait).
    waiting = select(func.count(), func.count().filter(Referral.deadline < today)).where(
        own, Referral.status.in_(OPEN_STATUSES), Referral.id.not_in(with_session_to_hold()))
    waiting_total, waiting_overdue = db.session.execute(waiting).one()
    # The municipality's adviser follows a no-show up with the participant (nobody told them before).
    missed_rows = db.session.execute(
        select(Referral.id, Referral.reference, Participant.name, Session.start, SessionParticipant.outcome,
               Session.type)
        .join(Participant, Participant.id == Referral.participant_id)
        .join(SessionParticipant, SessionParticipant.referral_id == Referral.id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(own, SessionParticipant.outcome.in_(MISSED), Session.start >= now - MISSED_LOOK_BACK,
               Session.start < now)
        .order_by(Session.start.desc(), Referral.id)).all()
    moved = _moved(own, now)
    cancelled = _cancelled(own, now)
    missed_shown = missed_rows[:None if everything else SHOWN]
    rebooked = next_booked_sessions([r.id for r in missed_shown], by_type=True)   # the same kind of session
    return ReferrerOverview(coming, len(coming_rows),
                            [SharedNote(*r) for r in note_rows[:SHOWN]], len(note_rows),
                            waiting_total, waiting_overdue,
                            [Missed(r.id, r.reference, r.name, r.start, r.outcome.value,
                                    rebooked[r.id, r.type].start if (r.id, r.type) in rebooked else None)
                             for r in missed_shown],
                            len(missed_rows), moved[:None if everything else SHOWN], len(moved), cancelled,
                            letters.parts_for_municipality(referrer.municipality) if referrer.municipality else [],
                            letters.not_printed_count(referrer.municipality) if referrer.municipality else 0,
                            letters.not_printed_count(referrer.municipality, referrer.id) if referrer.municipality
                            else 0)


def _cancelled(own, now: dt.datetime) -> list[Cancelled]:
    """The municipality's participants whose session ahead the centre cancelled, soonest old time first: until that
    time has passed, or the letter of the session booked instead (which says it replaces the cancelled one) is
    printed."""
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Participant.name, Session.start, Session.type, Session.mode,
               Location.name.label("location"), PlanningRun.county_id)
        .join(Participant, Participant.id == Referral.participant_id)
        .join(SessionParticipant, SessionParticipant.referral_id == Referral.id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .join(Location, Location.id == Session.location_id)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(own, Session.status == SessionStatus.CANCELLED, Session.start > now,
               func.coalesce(Session.cancel_reason, "").not_in(KNOWN_TO_PARTICIPANT))
        .order_by(Session.start, Referral.id)).all()
    if not rows:
        return []
    instead = next_booked_sessions(list({r.id for r in rows}), by_type=True)
    printed = letters.printed(r.id for r in rows)
    counties = {}
    out = []
    for r in rows:
        new = instead.get((r.id, r.type))
        if new is not None and (r.id, new.uid, new.start) in printed:
            continue   # their new letter is handed over, and it says it replaces the cancelled one
        if r.county_id not in counties:
            counties[r.county_id] = db.session.get(County, r.county_id)
        county = counties[r.county_id]
        tell_now = sooner_than_county_notice(county, to_local(r.start).date(), to_local(now).date())
        out.append(Cancelled(r.id, r.reference, r.name, r.start, participant_place(r.mode, r.location),
                             new.start if new is not None else None,
                             participant_place(new.mode, new.location.name) if new is not None else None, tell_now))
    return sorted(out, key=lambda c: (not c.tell_now, c.was, c.referral_id))


def moved(user: User) -> list[Moved]:
    """Every participant of the user's own referrals whose booked session ahead was moved lately (the home's
    "New times" card, all of it): whose new letters to print in one go."""
    return _moved(referral_filter(user), clock.now())


def _moved(own, now: dt.datetime) -> list[Moved]:
    """The municipality's participants whose booked session ahead was moved to another time within
    MOVED_LOOK_BACK (by the lead, or by a re-plan for the participants it moved there), soonest first."""
    events = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.action, AuditEvent.detail)
        .join(Session, Session.id == AuditEvent.object_id)
        .where(AuditEvent.object_type == "session", AuditEvent.action.in_(MOVES),
               AuditEvent.at >= now - MOVED_LOOK_BACK, Session.status == SessionStatus.BOOKED,
               Session.start >= now)).all()
    if not events:
        return []
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Participant.name, Session.id.label("session_id"))
        .join(Participant, Participant.id == Referral.participant_id)
        .join(SessionParticipant, SessionParticipant.referral_id == Referral.id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(own, Session.id.in_({e.object_id for e in events}))).all()
    # Whom each move concerns: a re-plan's event names the participants it moved there (the others of
    # the group kept their time); a lead's move, every member.
    concerns: dict[int, list] = {}
    for e in events:
        named = (json.loads(e.detail) if e.detail else {}).get("referrals")
        concerns.setdefault(e.object_id, []).append(named)
    # The sessions and all their move events in two queries, however many a re-plan moved.
    # A participant whose new letter the municipality has downloaded is handed over: the card had stayed.
    printed = letters.printed(r.id for r in rows)
    sessions = {s.id: s for s in db.session.scalars(
        select(Session).where(Session.id.in_({r.session_id for r in rows}))
        .options(selectinload(Session.location), selectinload(Session.run).selectinload(PlanningRun.county)))}
    history = letters.move_events(sessions)
    out = []
    for r in rows:
        if not any(named is None or r.id in named for named in concerns[r.session_id]):
            continue
        session = sessions[r.session_id]
        if (r.id, session.uid, session.start) in printed:
            continue
        was = letters.moved_from(session, r.id, history.get(session.id, []))
        if was is not None:
            tell_now = was > now and sooner_than_county_notice(session.run.county, to_local(was).date(),
                                                               to_local(now).date())
            out.append(Moved(r.id, r.reference, r.name, session.start, was,
                             participant_place(session.mode, session.location.name), session.id, tell_now))
    # Those whose letter gives a time sooner than a new letter reaches them first, by that time.
    return sorted(out, key=lambda m: (not m.tell_now, m.was if m.tell_now else m.start, m.referral_id))
