"""A booked session changes under its interpreter: it moved (asked again), its details changed (a new
calendar version, the answer stands), a booking or the whole session is cancelled."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import InterpreterBooking, OutboxMessage, Session, SessionStatus
from guidance.models.types import utcnow
from guidance.planning import ids
from guidance.services import audit, mail, sms
from guidance.services import calendar as cal
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.costs import planned_cost
from guidance.services.interpreter_bookings.requests import answer_deadline, invitation
from guidance.services.interpreter_bookings.state import ACTIVE, transition
from guidance.services.unit_of_work import unit_of_work

# Why a lead cancels a session: codes, so the reason can be audited without free text.
CANCEL_REASONS = ("participant_cancelled", "counsellor_unavailable", "interpreter_unavailable",
                  "room_unavailable", "other")
# Reasons the app itself gives when a use case cancels a session along the way.
SYSTEM_CANCEL_REASONS = ("referral_withdrawn", "booked_by_mistake")
# Cancellations the participant knows of already (they said they cannot come), or that no letter went out for: the
# others must reach them (the referrer's home, the text message).
KNOWN_TO_PARTICIPANT = ("participant_cancelled", *SYSTEM_CANCEL_REASONS)


def session_changed(actor, session: Session, moved_from=None) -> list[OutboxMessage]:
    """Use case (or part of the caller's, e.g. a lead moving a published session): the session moved
    or changed, so its active booking is asked again with the new details (`moved_from`: its start
    before, named in the e-mail). The e-mails are handed to the queue after the commit."""
    with unit_of_work() as uow:
        messages = []
        for booking in session.bookings:
            if booking.status in ACTIVE:
                ask_again(actor, booking, session)
                messages.append(invitation(booking, "REQUEST", moved_from=moved_from))
        uow.after_commit(mail.deliver_later, messages)
    return messages


def ask_again(actor, booking: InterpreterBooking, session: Session) -> None:
    """The booking follows its session to a new time, place or way of taking part: asked again with the
    new details and cost (a lead's move, a published plan that moved the session). Not a cancellation:
    nothing is paid for the old time."""
    transition(actor, booking, "change")
    booking.answered_at = None
    booking.mode = session.interpreter_mode or booking.mode
    booking.answer_deadline = answer_deadline(session)
    booking.billed_minutes, booking.travel_minutes, booking.cost_ore = planned_cost(session, booking.interpreter,
                                                                                    booking.mode)


def session_updated(actor, session: Session, joined: bool = False) -> list[OutboxMessage]:
    """Part of the caller's use case: the session keeps its time, place and interpreter but its
    group changed (a member left, or `joined`): calendars get a new version, an interpreter's answer
    stands. Returns the e-mails for the caller to deliver after its commit."""
    cal.bump_sequence(session)
    messages = []
    for booking in session.bookings:
        if booking.status in ACTIVE:
            # A new SEQUENCE for the interpreter's calendar; the state (and the answer) is kept.
            booking.sequence = (booking.sequence or 0) + 1
            audit.record(actor, "booking.updated", booking, {"sequence": booking.sequence})
            messages.append(invitation(booking, "REQUEST", update="joined" if joined else "left"))
    return messages


def cancel_booking(actor, booking: InterpreterBooking, reason: str = "") -> OutboxMessage:
    """Use case: cancel one booking; the interpreter gets a cancellation (METHOD:CANCEL)."""
    with unit_of_work() as uow:
        transition(actor, booking, "cancel")
        message = invitation(booking, "CANCEL")
        uow.after_commit(mail.deliver_later, [message])
    return message


def cancel_session(actor, session: Session, reason: str | None = None) -> list[OutboxMessage]:
    """Use case (or part of the caller's, e.g. a withdrawal): cancel a published session. Calendars
    show it cancelled, its interpreter is told, its participants with nothing else booked go back to
    the queue; the e-mails and notices go out after the commit."""
    from guidance.services import notices, to_tell

    with unit_of_work() as uow:
        if reason is not None and reason not in CANCEL_REASONS + SYSTEM_CANCEL_REASONS:
            raise DomainError(_("Choose why the session is cancelled."), {"reason": [_("Choose why the session is cancelled.")]})
        if session.start <= utcnow():
            raise DomainError(_("The session has started, so it cannot be cancelled. Record the outcome instead."))
        if session.status is not SessionStatus.BOOKED:
            raise DomainError(_("Only a booked session can be cancelled."))
        session.status = SessionStatus.CANCELLED
        session.cancel_reason = reason
        cal.bump_sequence(session)
        audit.record(actor, "session.cancel", session, {"reason": reason} if reason else None)
        notices.session_event(actor, session, notices.CANCELLED)
        from guidance.services.referrals import booking_changed

        booking_changed(sp.referral_id for sp in session.participants)
        if reason in SYSTEM_CANCEL_REASONS:  # withdrawn by the municipality, or a booking taken back at once
            to_tell.forget(session)
        else:  # nobody may tell the participant in Veiled: the lead does
            to_tell.session_changed(actor, session, to_tell.CANCELLED)
        messages = []
        for booking in session.bookings:
            if booking.status in ACTIVE:
                transition(actor, booking, "cancel")
                messages.append(invitation(booking, "CANCEL"))
        _requeue_participants(session)
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later)
        uow.after_commit(sms.cancellation_later, session)   # their letter gives this time: a text when opted in
    return messages


def _requeue_participants(session: Session) -> None:
    """Booked participants left with no other booked session wait in the queue again."""
    for member in session.participants:
        requeue(member.referral, session, "session_cancelled")


def requeue(referral, session: Session, cause: str) -> None:
    """In the caller's transaction: a booked referral with no booked session ahead but `session` (which it
    leaves) waits in the queue again."""
    from guidance.models import ReferralStatus, SessionParticipant

    if referral.status is not ReferralStatus.BOOKED:
        return  # withdrawn, closed, or already waiting
    other = db.session.scalar(
        select(SessionParticipant.session_id).join(Session, Session.id == SessionParticipant.session_id)
        .where(SessionParticipant.referral_id == referral.id, Session.id != session.id,
               Session.status == SessionStatus.BOOKED, Session.start > utcnow()).limit(1))
    if other is None:
        referral.status = ReferralStatus.RECEIVED
        audit.record(None, "referral.requeued", referral, {"session_id": session.id, "cause": cause,
                                                           "at": ids.plan_minute(session.start)})
