"""The interpreter's answer to a request: accept, or decline with a reason."""
from __future__ import annotations

from flask_babel import gettext as _

from guidance import clock
from guidance.models import InterpreterBooking, SessionStatus
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.state import IllegalTransition, past_answer_deadline, transition
from guidance.services.unit_of_work import unit_of_work


def answer(actor, booking: InterpreterBooking, accept: bool, reason: str | None = None) -> None:
    """Use case: the interpreter accepts or declines (a reason is required to decline)."""
    with unit_of_work() as uow:
        reason = _reason(reason, _("Say why you decline.") if not accept else None)
        if booking.session.status is not SessionStatus.BOOKED:
            raise IllegalTransition(_("The session is no longer planned; nothing to answer."))
        if _too_late(booking):
            raise IllegalTransition(_("The time to answer has passed, and the centre asks someone else. Call the "
                                      "career centre if you can still come."))
        _record(uow, actor, booking, accept, reason)


def answer_by_phone(lead, booking: InterpreterBooking, accept: bool, reason: str = "") -> None:
    """Use case: the interpreter answered the centre on the phone (a request for tomorrow morning, an
    interpreter who does not read e-mail in time); the lead records it for them. A no takes the
    request out of their calendar, as their own answer would, and the session then asks for another."""
    with unit_of_work() as uow:
        if booking.session.status is not SessionStatus.BOOKED or booking.session.start <= clock.now():
            raise IllegalTransition(_("The session is no longer ahead; nothing to answer."))
        said = _reason(reason, None)   # trimmed; empty when none was given
        _record(uow, lead, booking, accept, _("%(reason)s (said on the phone)", reason=said) if said
                else _("Said no on the phone to the centre."), by="phone")


def _record(uow, actor, booking: InterpreterBooking, accept: bool, reason: str, **detail) -> None:
    """An answer, however it came: a yes tells the counsellor of a new interpreter; a no keeps its reason
    (the interpreter's own words: on the booking, not in the audit trail) and takes the request out of
    the interpreter's calendar."""
    from guidance.services import mail
    from guidance.services.interpreter_bookings.requests import invitation

    transition(actor, booking, "accept" if accept else "decline", **detail)
    if accept:
        _tell_counsellor(uow, [booking])
        if detail.get("by") == "phone":   # they have the request only: the booking goes in their calendar
            uow.after_commit(mail.deliver_later, [invitation(booking, "REQUEST", update="confirmed")])
    else:
        booking.decline_reason = reason
        uow.after_commit(mail.deliver_later, [invitation(booking, "CANCEL", ended="declined")])


def _too_late(booking: InterpreterBooking) -> bool:
    """A request past its answer deadline (the expiry sweep may not have run yet): the lead may already
    be asking someone else, so a late yes would book two interpreters."""
    return past_answer_deadline(booking, clock.now())


def _reason(text: str | None, missing: str | None) -> str:
    """The interpreter's reason, trimmed: required when `missing` says so (declining)."""
    text = (text or "").strip()
    if missing and not text:
        raise DomainError(missing, {"reason": [missing]})
    if len(text) > 1000:
        message = _("Keep the reason under 1000 characters.")
        raise DomainError(message, {"reason": [message]})
    return text


def accept_many(actor, bookings: list[InterpreterBooking]) -> tuple[int, int]:
    """Use case: the interpreter accepts several requests at once (after a plan is published there
    may be dozens). Requests still open are accepted together in one transaction; those that
    changed meanwhile (the session cancelled, the request expired) are left as they are and
    counted, so the page can say so. Returns (accepted, left)."""
    from guidance.models import BookingStatus

    with unit_of_work() as uow:
        open_now = [b for b in bookings if b.status is BookingStatus.REQUESTED and b.session.status is SessionStatus.BOOKED
                    and not _too_late(b)]
        for booking in open_now:
            transition(actor, booking, "accept")
        _tell_counsellor(uow, open_now)
    return len(open_now), len(bookings) - len(open_now)


def _tell_counsellor(uow, accepted: list[InterpreterBooking]) -> None:
    """A replacement's yes reaches the session's counsellor (services/notices.py: interpreter_changed)."""
    from guidance.services import notices

    told = [n for n in (notices.interpreter_changed(b) for b in accepted) if n is not None]
    if told:
        uow.after_commit(notices.dispatch_later, told)


def withdraw(actor, booking: InterpreterBooking, reason: str | None) -> None:
    """Use case: an interpreter who accepted can no longer come. The booking counts as declined (with
    the reason, if given), so the lead's alert offers replacements at once and later plans keep the time free;
    each lead of the county is e-mailed, since the session is near and nobody may look at the home page."""
    from guidance.models.types import utcnow
    from guidance.services import mail
    from guidance.services.calendar import app_url
    from guidance.services.interpreter_bookings.requests import invitation

    with unit_of_work() as uow:
        # Optional, as on the absence form: the usual reason is illness, and the lead needs only to know
        # that the interpreter is not coming. An empty answer is stored as no reason (None).
        reason = _reason(reason, None) or None
        session = booking.session
        if session.status is not SessionStatus.BOOKED or session.start <= utcnow():
            raise DomainError(_("Only a booking ahead can be withdrawn here. Call the career centre."))
        transition(actor, booking, "withdraw")
        booking.decline_reason = reason
        uow.after_commit(mail.deliver_later, [invitation(booking, "CANCEL", ended="withdrawn")])
        from guidance.services import notices

        told = [n for n in [notices.interpreter_gone(actor, booking)] if n is not None]
        uow.after_commit(notices.dispatch_later, told)
        messages = mail.queue_to_leads(session.run.county_id, lambda: (_("An interpreter can no longer come"), _(
            "%(name)s, booked to interpret on %(when)s, has withdrawn after accepting. Find another "
            "interpreter in Veiled: %(link)s", name=booking.interpreter.user.name,
            when=clock.when_text(session.start), link=app_url("interpreting.index") + "#alerts")))
        uow.after_commit(mail.deliver_later, messages)
