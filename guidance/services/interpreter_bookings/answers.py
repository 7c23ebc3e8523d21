"""The interpreter's answer to a request: accept, or decline with a reason."""
from __future__ import annotations

from flask_babel import gettext as _

from guidance.models import InterpreterBooking, SessionStatus
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.state import IllegalTransition, transition
from guidance.services.unit_of_work import unit_of_work


def answer(actor, booking: InterpreterBooking, accept: bool, reason: str | None = None) -> None:
    """Use case: the interpreter accepts or declines (a reason is required to decline)."""
    with unit_of_work():
        reason = (reason or "").strip()
        if not accept and not reason:
            raise DomainError(_("Say why you decline."), {"reason": [_("Say why you decline.")]})
        if len(reason) > 1000:
            raise DomainError(_("Keep the reason under 1000 characters."), {"reason": [_("Keep the reason under 1000 characters.")]})
        if booking.session.status is not SessionStatus.BOOKED:
            raise IllegalTransition(_("The session is no longer planned; nothing to answer."))
        transition(actor, booking, "accept" if accept else "decline")
        if not accept:
            # The reason is the interpreter's own words: kept on the booking, not in the audit trail.
            booking.decline_reason = reason


def accept_many(actor, bookings: list[InterpreterBooking]) -> tuple[int, int]:
    """Use case: the interpreter accepts several requests at once (after a plan is published there
    may be dozens). Requests still open are accepted together in one transaction; those that
    changed meanwhile (the session cancelled, the request expired) are left as they are and
    counted, so the page can say so. Returns (accepted, left)."""
    from guidance.models import BookingStatus

    with unit_of_work():
        open_now = [b for b in bookings if b.status is BookingStatus.REQUESTED and b.session.status is SessionStatus.BOOKED]
        for booking in open_now:
            transition(actor, booking, "accept")
    return len(open_now), len(bookings) - len(open_now)
