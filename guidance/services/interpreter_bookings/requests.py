"""Asking an interpreter: a new request (costed, with its answer deadline), the invitation e-mails
(METHOD:REQUEST, or METHOD:CANCEL), the signed answer link, and the county's answer time."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance import labels
from guidance.extensions import db
from guidance.models import InterpreterBooking, InterpreterProfile, OutboxMessage, Session
from guidance.models.types import utcnow
from guidance.rules.language import for_recipient as language_for
from guidance.services import audit, mail
from guidance.services import calendar as cal
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.costs import planned_cost
from guidance.services.interpreter_bookings.state import S
from guidance.services.unit_of_work import unit_of_work

DEFAULT_ANSWER_HOURS = 48
# An interpreter's answer is due at least this long before the session starts.
ANSWER_LEAD_HOURS = 24
SALT = "booking-answer"


def new_booking(session: Session, interpreter: InterpreterProfile | None = None, mode: str | None = None) -> InterpreterBooking:
    """A requested booking for the session's interpreter (or `interpreter`), costed, in the
    current transaction. Publishing a plan calls this per session with an interpreter."""
    interpreter = interpreter or session.interpreter
    mode = mode or session.interpreter_mode or "onsite"
    billed, travel, cost = planned_cost(session, interpreter, mode)
    booking = InterpreterBooking(session=session, interpreter=interpreter, status=S.REQUESTED, mode=mode,
                                 language=session.language or "", billed_minutes=billed, travel_minutes=travel,
                                 cost_ore=cost, answer_deadline=answer_deadline(session))
    db.session.add(booking)
    return booking


def answer_deadline(session: Session) -> dt.datetime:
    """When an unanswered request expires: the earlier of the county's answer time (in working days,
    at the end of an office day: rules.deadlines.answer_due) and ANSWER_LEAD_HOURS before the session,
    so the lead has time to find someone else. A session closer than that gets half the time that is
    left: the deadline always ends before the session."""
    from guidance.planning import ids
    from guidance.rules.deadlines import answer_due

    now = utcnow()
    hours = getattr(session.run.county, "booking_answer_hours", None) or DEFAULT_ANSWER_HOURS
    due = ids.to_utc(answer_due(ids.to_local(now), hours))
    deadline = min(due, session.start - dt.timedelta(hours=ANSWER_LEAD_HOURS))
    if deadline <= now:
        deadline = now + (session.start - now) / 2
    return deadline


def send_booking_requests(bookings: list[InterpreterBooking], actor=None) -> list[OutboxMessage]:
    """Use case: e-mail each booking's invitation (METHOD:REQUEST) with its signed answer link; the
    delivery is queued after the commit (sent by the job queue, never inside the request)."""
    with unit_of_work() as uow:
        messages = request_messages(bookings, actor)
        uow.after_commit(mail.deliver_later, messages)
    return messages


def request_messages(bookings: list[InterpreterBooking], actor=None) -> list[OutboxMessage]:
    """The invitations (METHOD:REQUEST) for `bookings`, audited, in the caller's transaction;
    the caller commits and then hands them to `mail.deliver_later`."""
    messages, summarised = [], {}
    for booking in bookings:
        if booking.answer_deadline is None:
            booking.answer_deadline = answer_deadline(booking.session)
        audit.record(actor, "booking.request_sent", booking, {"sequence": booking.sequence})
        if booking.interpreter.request_mail == SUMMARY:
            summarised.setdefault(booking.interpreter_id, []).append(booking)
        else:
            messages.append(invitation(booking, "REQUEST"))
    messages += [summary(group) for group in summarised.values()]
    return messages


# An interpreter's choice (InterpreterProfile.request_mail): one e-mail listing the requests of a
# publication, without calendar invitations; what they accept reaches their calendar subscription.
EACH, SUMMARY = "each", "summary"


def set_request_mail(interpreter: InterpreterProfile, choice: str) -> None:
    """Use case: the interpreter chooses how new requests reach them by e-mail."""
    with unit_of_work():
        if choice not in (EACH, SUMMARY):
            message = _("Choose one of the ways.")
            raise DomainError(message, {"request_mail": [message]})
        interpreter.request_mail = choice
        audit.record(interpreter.user, "interpreter.request_mail", interpreter, {"choice": choice})


def summary(bookings: list[InterpreterBooking]) -> OutboxMessage:
    """One e-mail for several requests to one interpreter (one publication), earliest first: each with
    its time, place, language, way of taking part, answer deadline and own answer link. No calendar
    attachment (one invitation may hold only one event, RFC 5546); the subject names no one."""
    from flask_babel import ngettext

    from guidance.labels import LANGUAGE

    bookings = sorted(bookings, key=lambda b: (b.session.start, b.id))
    person = bookings[0].interpreter.user
    with force_locale(language_for(person)):
        subject = ngettext("%(num)d interpreting request", "%(num)d interpreting requests", len(bookings))
        lines = [ngettext("You are asked to interpret at %(num)d session. Please answer by the time given.",
                          "You are asked to interpret at %(num)d sessions. Please answer each by the time given.",
                          len(bookings))]
        for booking in bookings:
            session = booking.session
            start, end = session.start.astimezone(cal.OSLO), session.end.astimezone(cal.OSLO)
            lines.append("\n".join([
                _("%(when)s–%(end)s, %(place)s: %(language)s, %(mode)s", when=start.strftime("%d.%m.%Y %H:%M"),
                  end=end.strftime("%H:%M"), place=session.location.name,
                  language=str(LANGUAGE.get(booking.language, booking.language)),
                  mode=cal.interpreter_mode_label(booking.mode)),
                _("Please answer by %(deadline)s.", deadline=booking.answer_deadline.astimezone(cal.OSLO).strftime(
                    "%d.%m.%Y %H:%M") if booking.answer_deadline else "–"),
                _("Please accept or decline here: %(link)s",
                  link=cal.app_url("interpreter.confirm", token=answer_token(booking))),
            ]))
        lines.append(_("Or log in, tick the requests you can take and accept them together: %(link)s",
                       link=cal.app_url("interpreter.index")))
        lines.append(_("What you accept appears in your calendar subscription: %(link)s",
                       link=cal.app_url("interpreter.calendar")))
        body = "\n\n".join(lines)
    return mail.queue(person, subject, body)


def set_answer_hours(actor, county, hours: int) -> None:
    """Use case: how long an interpreter has to answer a request before it expires (lead's setting)."""
    with unit_of_work():
        if not 1 <= hours <= 336:
            raise DomainError(_("Enter between 1 and 336 hours."), {"hours": [_("Enter between 1 and 336 hours.")]})
        county.booking_answer_hours = hours
        audit.record(actor, "county.booking_answer_hours", county, {"hours": hours})


def answer_token(booking: InterpreterBooking) -> str:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT).dumps([booking.id, booking.sequence])


def booking_for_token(token: str) -> InterpreterBooking:
    """The booking a signed answer link is for; DomainError when it is forged, expired or outdated."""
    max_age = current_app.config.get("BOOKING_LINK_MAX_AGE", 14 * 24 * 3600)
    try:
        booking_id, sequence = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(_("The link has expired. Log in to answer the request.")) from None
    except (BadSignature, ValueError, TypeError):
        raise DomainError(_("The link is not valid.")) from None
    booking = db.session.get(InterpreterBooking, booking_id)
    if booking is None:
        raise DomainError(_("The link is not valid."))
    # A switched-off account (or interpreter) answers nothing, whatever links it was sent before.
    if not (booking.interpreter.active and booking.interpreter.user.active):
        raise DomainError(_("The link is not valid."))
    if booking.sequence != sequence:
        raise DomainError(_("The request has changed since this e-mail. Use the link in the newest e-mail."))
    return booking


def invitation(booking: InterpreterBooking, method: str, update: str | None = None, ended: str | None = None,
               moved_from: dt.datetime | None = None) -> OutboxMessage:
    """The e-mail for a request (METHOD:REQUEST) or cancellation (METHOD:CANCEL), in the
    interpreter's language (rules.language.for_recipient); `update` ("joined", "left"): a new version of a request
    whose time and place stand, the group having one participant more or fewer;
    `ended` ("declined", "expired", "withdrawn"): the CANCEL that takes a request the interpreter
    will not take out of their calendar (their mail program put it there when the request came);
    `moved_from`: the request is the same assignment moved from that time (asked again); `update` "confirmed":
    the booking the lead recorded as accepted on the phone, for the interpreter's calendar.
    Subject and calendar carry references, never names."""
    from guidance.labels import LANGUAGE

    session, person = booking.session, booking.interpreter.user
    if moved_from is not None and method == "REQUEST":
        # The time the interpreter has from us: a request moved again before it left was never sent (the new one
        # replaces it), and "the assignment on 11.12 is moved" named a time they had not heard of.
        known = mail.event_start_known(person.email, session.uid)
        moved_from = known if known is not None and known != session.start else None
    locale = language_for(person)
    with force_locale(locale):
        when = session.start.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")
        language = str(LANGUAGE.get(booking.language, booking.language))
        if method == "CANCEL" and ended:
            subject = _("Removed from your calendar: interpreting %(when)s", when=when)
            body = {"declined": _("You declined the interpreting request on %(when)s at %(place)s (%(language)s). "
                                  "It is taken out of your calendar.", when=when, place=session.location.name,
                                  language=language),
                    "expired": _("The interpreting request on %(when)s at %(place)s (%(language)s) was not answered "
                                 "in time, and the centre asks someone else. It is taken out of your calendar.",
                                 when=when, place=session.location.name, language=language),
                    "withdrawn": _("You can no longer interpret on %(when)s at %(place)s (%(language)s); the centre "
                                   "is told. It is taken out of your calendar.", when=when,
                                   place=session.location.name, language=language)}[ended]
        elif method == "CANCEL":
            subject = _("Cancelled: interpreting %(when)s", when=when)
            body = _("The interpreting assignment on %(when)s at %(place)s (%(language)s) is cancelled.",
                     when=when, place=session.location.name, language=language)
            if booking.actual_cost_ore is not None:  # cancelled late (costs.bill_late_cancellation)
                body += "\n\n" + _("It is cancelled late: you are paid for the booked time, %(cost)s.",
                                    cost=labels.money(booking.actual_cost_ore))
            elif booking.answered_at is not None and session.run.county.interpreter_late_cancel_hours:
                # Said either way: only the late one said anything of pay, and the interpreter was left to wonder.
                body += "\n\n" + _("It is cancelled more than %(hours)d hours before the session, so it is not paid.",
                                    hours=session.run.county.interpreter_late_cancel_hours)
        elif update == "confirmed":
            # A yes the lead recorded from the phone: the interpreter had only the request, "answer by".
            subject = _("Booked: interpreting %(when)s", when=when)
            body = "\n\n".join([
                _("You said yes on the phone to the career centre: you interpret (%(language)s, %(mode)s) on %(when)s "
                  "at %(place)s. This e-mail puts it in your calendar in place of the request.", language=language,
                  mode=cal.interpreter_mode_label(booking.mode), when=when, place=session.location.name),
                where_to_be(booking, session)])
        elif update:
            subject = _("Changed: interpreting %(when)s", when=when)
            lines = [_("The group session on %(when)s at %(place)s (%(language)s) has one participant more. "
                       "The time, the place and your booking are unchanged.",
                       when=when, place=session.location.name, language=language) if update == "joined" else
                     _("The group session on %(when)s at %(place)s (%(language)s) has one participant fewer. "
                       "The time, the place and your booking are unchanged.",
                       when=when, place=session.location.name, language=language)]
            if booking.status is S.REQUESTED:
                lines.append(_("Please accept or decline here: %(link)s",
                               link=cal.app_url("interpreter.confirm", token=answer_token(booking))))
            body = "\n\n".join(lines)
        else:
            subject = _("Interpreting request %(when)s", when=when) if moved_from is None else \
                _("Moved: interpreting %(when)s", when=when)
            link = cal.app_url("interpreter.confirm", token=answer_token(booking))
            span = f"{when}–{session.end.astimezone(cal.OSLO):%H:%M}"  # how long they are booked: their day's plan
            body = "\n\n".join(([_("The assignment on %(old)s is moved. Please answer again for the new time.",
                                   old=moved_from.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M"))]
                                 if moved_from is not None else []) + [
                _("You are asked to interpret (%(language)s, %(mode)s) on %(when)s at %(place)s, %(room)s.",
                  language=language, mode=cal.interpreter_mode_label(booking.mode), when=span,
                  place=session.location.name, room=session.room.name) if booking.mode == "onsite" else
                _("You are asked to interpret (%(language)s, %(mode)s) on %(when)s, in a session held at %(place)s. "
                  "You take part from where you are.", language=language, mode=cal.interpreter_mode_label(booking.mode),
                  when=span, place=session.location.name),
                where_to_be(booking, session),
                _("Please answer by %(deadline)s.",
                  deadline=booking.answer_deadline.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")
                  if booking.answer_deadline else "–"),
                _("Please accept or decline here: %(link)s", link=link),
                _("The link works until %(deadline)s. You can also answer after logging in to Veiled.",
                  deadline=booking.answer_deadline.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")
                  if booking.answer_deadline else "–"),
            ])
        # An ended request's CANCEL comes after the request it ends (a calendar ignores an older one).
        sequence = (booking.sequence or 0) + (1 if ended or update == "confirmed" else 0)
        ics = cal.build_calendar([session], lambda s: cal.app_url("interpreter.show", booking_id=booking.id),
                                 language=locale, method=method, sequence=sequence,
                                 organizer=current_app.config["MAIL_SENDER"], attendee=person.email, interpreter=True)
    message = mail.queue(person, subject, body, ics)
    if method == "REQUEST" and not update:
        mail.note_request_held(message)   # a request to answer, which no e-mail may carry (web/outbox.py)
    return message


def where_to_be(booking: InterpreterBooking, session: Session) -> str:
    """The interpreter's practical details: the address on site, how a video or phone session reaches them."""
    if booking.mode == "video":
        if link := session.counsellor.video_link:  # the booking's mode is video, whatever the session's
            return _("By video: join the counsellor's meeting room when the session starts: %(link)s", link=link)
        return _("By video: the counsellor sends you the meeting link before the session.")
    if booking.mode == "phone":
        said = _("By phone: the counsellor calls you on the phone number in your Veiled profile when the session starts.")
        # A number to call back: the interpreter had none if the call did not come.
        back = session.counsellor.user.phone or session.location.centre.phone
        if back:
            said += " " + _("If nobody has called five minutes after the start, call %(phone)s.", phone=back)
        return said
    location = session.location
    lines = [_("Address: %(address)s", address=location.address or location.name)]
    if location.directions:
        lines.append(_("How to get there: %(directions)s", directions=location.directions))
    return "\n".join(lines)


def moved_from(bookings: list[InterpreterBooking]) -> dict[int, dt.datetime]:
    """For each booking whose session the centre moved after the interpreter was asked: the time they were first
    asked for (aware UTC). The request showed only the new time, and the day they had accepted was gone from their
    pages with no word of a move. The session's moves as the letters read them (`letters.move_events`: every row of
    its calendar UID)."""
    import json

    from guidance.planning import ids
    from guidance.services.letters import move_events

    by_session = {b.session_id: b for b in bookings}
    out: dict[int, dt.datetime] = {}
    for session_id, events in move_events(list(by_session)).items():
        booking = by_session[session_id]
        for event in events:
            detail = json.loads(event.detail) if event.detail else {}
            if booking.id in out or event.at < booking.created_at or not isinstance(detail.get("from"), str):
                continue
            first = ids.from_plan_minute(detail["from"])
            if first != booking.session.start:
                out[booking.id] = first
    return out


class InterpreterWork:
    """One interpreter's bookings as they see them: requests to answer, accepted bookings ahead, the rest."""

    def __init__(self, bookings: list[InterpreterBooking], now: dt.datetime):
        self.requests = [b for b in bookings if b.status is S.REQUESTED and b.session.end > now]
        self.upcoming = [b for b in bookings if b.status is S.ACCEPTED and b.session.end > now]
        waiting = {b.id for b in self.requests} | {b.id for b in self.upcoming}
        # The latest first: a booking given back for next week matters more than one held in the spring.
        self.other = sorted((b for b in bookings if b.id not in waiting), key=lambda b: (b.session.start, b.id),
                            reverse=True)
        # Requests and bookings given back because the interpreter is away then (work_of fills it): they read
        # "Declined" beside "Away on this day", and an interpreter who reported days away had declined nothing.
        self.given_back: set[int] = set()
        # Accepted, then withdrawn by the interpreter: their own list said "Declined" (the lead reads "withdrew").
        self.withdrawn: set[int] = set()


def work_of(interpreter: InterpreterProfile) -> InterpreterWork:
    """The interpreter's own bookings, earliest session first (their list and their home)."""
    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.interpreter_id == interpreter.id)
        .options(selectinload(InterpreterBooking.session).selectinload(Session.location))
        .order_by(Session.start, InterpreterBooking.id)).all()
    work = InterpreterWork(list(bookings), utcnow())
    ended = [b for b in work.other if b.status is S.DECLINED]   # "withdraw" after accepting ends declined too
    if ended:
        from guidance.services.absences import away_during, spans_away

        first = min(b.session.start for b in ended).astimezone(cal.OSLO).date()
        last = max(b.session.end for b in ended).astimezone(cal.OSLO).date()
        spans = spans_away([interpreter.user_id], first, last).get(interpreter.user_id, [])
        work.given_back = {b.id for b in ended if away_during(spans, b.session.start, b.session.end)}
        from guidance.services.interpreter_bookings.state import withdrawn

        work.withdrawn = withdrawn(b.id for b in ended)
    return work
