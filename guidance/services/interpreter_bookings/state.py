"""The interpreter booking state machine:

    requested -> accepted | declined | expired | cancelled
    accepted  -> cancelled | requested (the session changed: asked again)
              | declined (the interpreter withdraws: the lead's alert finds another)

Every transition goes through `transition`, which refuses an illegal one and audits the rest.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import BookingStatus, InterpreterBooking
from guidance.models.types import utcnow
from guidance.services import audit
from guidance.services.errors import DomainError
from guidance.services.unit_of_work import unit_of_work

S = BookingStatus
# event -> (states it may start from, the state it leads to)
EVENTS: dict[str, tuple[frozenset[BookingStatus], BookingStatus]] = {
    "accept": (frozenset({S.REQUESTED}), S.ACCEPTED),
    "decline": (frozenset({S.REQUESTED}), S.DECLINED),
    "withdraw": (frozenset({S.ACCEPTED}), S.DECLINED),
    "expire": (frozenset({S.REQUESTED}), S.EXPIRED),
    "cancel": (frozenset({S.REQUESTED, S.ACCEPTED}), S.CANCELLED),
    "change": (frozenset({S.REQUESTED, S.ACCEPTED}), S.REQUESTED),
}
ACTIVE = (S.REQUESTED, S.ACCEPTED)
# An unanswered request needs the lead once its answer deadline is this near (or passed): before
# that, the interpreter still has their time to answer (the lead's home, the day plan).
ANSWER_SOON = dt.timedelta(hours=24)


def past_answer_deadline(booking: InterpreterBooking, moment: dt.datetime) -> bool:
    """The request is unanswered and its answer deadline has come by `moment`."""
    return (booking.status is S.REQUESTED and booking.answer_deadline is not None
            and booking.answer_deadline <= moment)


def answer_due(booking: InterpreterBooking, now: dt.datetime) -> bool:
    """The request is unanswered and its answer deadline has passed or is within ANSWER_SOON."""
    return past_answer_deadline(booking, now + ANSWER_SOON)


class IllegalTransition(DomainError):
    pass


def transition(actor, booking: InterpreterBooking, event: str, **detail) -> None:
    """Move `booking` by `event` or raise IllegalTransition; audited (ids and states only).
    In the caller's transaction."""
    allowed_from, target = EVENTS[event]
    if booking.status not in allowed_from:
        raise IllegalTransition(_("This booking can no longer be changed that way (it is %(status)s).",
                                  status=status_text(booking.status)))
    before = booking.status
    if event == "cancel" and before is S.ACCEPTED:
        from guidance.services.interpreter_bookings.costs import bill_late_cancellation

        bill_late_cancellation(booking)  # before the status changes: it reads the accepted booking
    booking.status = target
    if event in ("accept", "decline", "expire", "withdraw"):
        booking.answered_at = utcnow()
    if event in ("change", "cancel"):
        booking.sequence = (booking.sequence or 0) + 1
    audit.record(actor, f"booking.{event}", booking, {"from": before.value, "to": target.value, **detail})


def status_text(status: BookingStatus) -> str:
    from guidance.labels import BOOKING_STATUS

    return str(BOOKING_STATUS.get(status.value, status.value)).lower()


def expire_overdue(now: dt.datetime | None = None) -> list[InterpreterBooking]:
    """Use case: requests nobody answered by their deadline become expired (they then alert the lead)."""
    from guidance.services import mail
    from guidance.services.interpreter_bookings.requests import invitation

    with unit_of_work() as uow:
        now = now or utcnow()
        overdue = db.session.scalars(
            select(InterpreterBooking).where(InterpreterBooking.status == S.REQUESTED,
                                             InterpreterBooking.answer_deadline.is_not(None),
                                             InterpreterBooking.answer_deadline < now)
        ).all()
        for booking in overdue:
            transition(None, booking, "expire")
        uow.after_commit(mail.deliver_later, [invitation(b, "CANCEL", ended="expired") for b in overdue])
    return list(overdue)


def withdrawn(booking_ids) -> set[int]:
    """Of these declined bookings, those the interpreter withdrew after accepting (the `withdraw`
    event): the lead reads "withdrew", not "declined"."""
    from guidance.models import AuditEvent

    ids = list(booking_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "booking.withdraw", AuditEvent.object_type == "interpreterbooking",
        AuditEvent.object_id.in_(ids))))
