"""After a session: outcomes per participant, and follow-up sessions.

A no-show or late cancellation puts the referral back in the queue with its deadline and the
counsellor as preferred, so the next planning run books the same counsellor again (the
planning bridge does not count such a session as held).

A follow-up is a new referral linked to the first (`follow_up_of_id`) rather than an extra
need on the same one: the planning format gives a participant each need at most once, and a
follow-up has its own, later deadline and shows up as its own line in the statistics.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import (
    OPEN_STATUSES,
    Outcome,
    Referral,
    ReferralStatus,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.models.types import utcnow
from guidance.planning import ids
from guidance.planning.ids import local_today
from guidance.services import audit
from guidance.services.errors import DomainError
from guidance.services.referral_reference import new_reference

REQUEUE = {Outcome.NO_SHOW: ReferralStatus.NO_SHOW, Outcome.CANCELLED_LATE: ReferralStatus.RECEIVED}


def record_outcomes(actor, session: Session, outcomes: dict[int, Outcome]) -> None:
    """Record attended / no-show / cancelled late for the session's participants (by referral id)."""
    if session.status not in (SessionStatus.BOOKED, SessionStatus.COMPLETED):
        raise DomainError(_("Outcomes can only be recorded for a held session."))
    if session.start > utcnow():
        raise DomainError(_("Outcomes can be recorded when the session has started."))
    members = {sp.referral_id: sp for sp in session.participants}
    if not outcomes or not set(outcomes) <= set(members):
        raise DomainError(_("Choose an outcome for a participant of this session."))
    for referral_id, outcome in outcomes.items():
        member = members[referral_id]
        if member.outcome == outcome:
            continue
        member.outcome, member.outcome_recorded_at = outcome, utcnow()
        audit.record(actor, "session.outcome", session, {"referral_id": referral_id, "outcome": outcome.value})
        _update_referral(member.referral, session, outcome)
    if all(sp.outcome is not None for sp in session.participants):
        session.status = SessionStatus.COMPLETED
    db.session.commit()


def _update_referral(referral: Referral, session: Session, outcome: Outcome) -> None:
    if referral.status in (ReferralStatus.WITHDRAWN, ReferralStatus.NOTE_SHARED):
        return
    if outcome in REQUEUE:
        # Back in the queue with the same deadline; the next run keeps the same counsellor.
        referral.status = REQUEUE[outcome]
        referral.preferred_counsellor_id = session.counsellor_id
        audit.record(None, "referral.requeued", referral, {"session_id": session.id, "outcome": outcome.value,
                                                           "at": ids.plan_minute(session.start)})
        return
    if _guided(referral, session):
        _close(referral)
    elif referral.status is ReferralStatus.NO_SHOW:
        referral.status = ReferralStatus.BOOKED


def _guided(referral: Referral, just_held: Session | None = None) -> bool:
    """Every session the referral needs has been held (`just_held` counted as held) and no other booked
    one waits for its outcome: the guidance is done."""
    pending = db.session.scalar(
        select(SessionParticipant.session_id).join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id == referral.id, Session.status == SessionStatus.BOOKED,
               Session.id != (just_held.id if just_held is not None else -1),
               SessionParticipant.outcome.is_(None)).limit(1))
    held = {s.type for s in _held_sessions(referral.id)} | ({just_held.type} if just_held is not None else set())
    return pending is None and set(referral.needs) <= held


def _close(referral: Referral) -> None:
    # A note shared before the last session already went to the municipality.
    referral.status = ReferralStatus.NOTE_SHARED if _note_shared(referral.id) else ReferralStatus.COMPLETED
    referral.closed_at = utcnow()


def close_if_guided(referral: Referral) -> bool:
    """In the caller's transaction: close the referral when its guidance is done (its needs changed:
    one it was waiting for was taken off). True when closed."""
    if referral.status in OPEN_STATUSES and _guided(referral):
        _close(referral)
        return True
    return False


def has_session_ahead(referral: Referral) -> bool:
    """The participant has a booked session that has not started yet."""
    return db.session.scalar(
        select(SessionParticipant.session_id).join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id == referral.id, Session.status == SessionStatus.BOOKED,
               Session.start > utcnow()).limit(1)) is not None


def _note_shared(referral_id: int) -> bool:
    from guidance.models import GuidanceNote

    return db.session.scalar(select(GuidanceNote.id).where(GuidanceNote.referral_id == referral_id,
                                                           GuidanceNote.status == "shared").limit(1)) is not None


def _held_sessions(referral_id: int) -> list[Session]:
    return list(db.session.scalars(
        select(Session).join(SessionParticipant, SessionParticipant.session_id == Session.id)
        .where(SessionParticipant.referral_id == referral_id, SessionParticipant.outcome == Outcome.ATTENDED)))


def request_follow_up(actor, session: Session, referral: Referral, weeks: int) -> Referral:
    """A follow-up individual session with the same counsellor within `weeks` weeks: a new
    referral in the queue, linked to the first."""
    if referral.id not in {sp.referral_id for sp in session.participants}:
        raise DomainError(_("Choose a participant of this session."), {"referral_id": [_("Choose a participant of this session.")]})
    if session.start > utcnow():
        # Guidance is a process: the counsellor asks for more after meeting the participant, not before.
        raise DomainError(_("A follow-up can be asked for once the session has started."))
    if not 1 <= weeks <= 26:
        raise DomainError(_("Choose between 1 and 26 weeks."), {"weeks": [_("Choose between 1 and 26 weeks.")]})
    existing = db.session.scalar(select(Referral.id).where(Referral.follow_up_of_id == referral.id,
                                                           Referral.status.in_(OPEN_STATUSES)).limit(1))
    if existing is not None:
        raise DomainError(_("A follow-up for this participant is already waiting to be planned."),
                          {"referral_id": [_("A follow-up for this participant is already waiting to be planned.")]})
    today = local_today()
    follow_up = Referral(
        reference=new_reference(), participant_id=referral.participant_id, county_id=referral.county_id,
        referring_municipality_id=referral.referring_municipality_id, legal_basis=referral.legal_basis,
        settlement_date=referral.settlement_date, needs=["individual"],
        earliest_date=today + dt.timedelta(days=1), deadline=today + dt.timedelta(weeks=weeks),
        adviser_attends=referral.adviser_attends, status=ReferralStatus.RECEIVED,
        preferred_counsellor_id=session.counsellor_id, follow_up_of_id=referral.id,
    )
    db.session.add(follow_up)
    db.session.flush()
    audit.record(actor, "referral.follow_up_requested", follow_up, {"follow_up_of": referral.id, "weeks": weeks})
    db.session.commit()
    return follow_up
