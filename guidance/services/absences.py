"""Absences of counsellors and interpreters, registered by the lead, and the published
sessions they hit (listed at once so the lead can re-plan)."""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import or_, select

from guidance import clock
from guidance.extensions import db
from guidance.models import Absence, PlanningRun, Role, Session, SessionStatus, User
from guidance.planning import ids
from guidance.services import audit
from guidance.services.errors import DomainError

# A lead registers sick leave after the fact or planned leave ahead; further is a typing slip.
EARLIEST_BACK = relativedelta(years=1)
LATEST_AHEAD = relativedelta(years=2)


def staff_of_county(county_id: int) -> list[User]:
    """Counsellors and interpreters of a county, by name."""
    return list(db.session.scalars(
        select(User).where(User.county_id == county_id, User.role.in_([Role.COUNSELLOR, Role.INTERPRETER]),
                           User.active.is_(True)).order_by(User.name)))


def days_away(user_id: int, first: dt.date, last: dt.date) -> set[dt.date]:
    """The days from `first` to `last` (inclusive) that the person is registered away."""
    out: set[dt.date] = set()
    for start, end in db.session.execute(select(Absence.start_date, Absence.end_date).where(
            Absence.user_id == user_id, Absence.start_date <= last, Absence.end_date >= first)):
        day = max(start, first)
        while day <= min(end, last):
            out.add(day)
            day += dt.timedelta(days=1)
    return out


def register_absence(lead: User, *, user_id: int, start: dt.date, end: dt.date, reason: str | None) -> Absence:
    """Record an absence (inclusive dates) of one of the county's counsellors or interpreters."""
    person = db.session.get(User, user_id)
    if person is None or person.county_id != lead.county_id or person.role not in (Role.COUNSELLOR, Role.INTERPRETER):
        message = _("Choose a counsellor or interpreter of your county.")
        raise DomainError(message, {"user_id": [message]})
    from guidance.services import mail

    absence = _new_absence(lead, person, start, end, reason, "absence.registered")
    messages = _release_interpreter_bookings(lead, absence)
    db.session.commit()
    mail.deliver_later(messages)
    return absence


def report_own_absence(person: User, *, start: dt.date, end: dt.date) -> tuple[Absence, int]:
    """A counsellor or interpreter reports their own absence (ill, a course, another assignment):
    recorded at once (later plans and replacements keep them free) and e-mailed to the county's leads
    with the booked sessions it hits, so nobody has to reach the lead by phone first. No reason is
    asked (it may be health information). Returns the absence and the sessions hit."""
    from guidance.services import mail
    from guidance.services.unit_of_work import unit_of_work

    if person.role not in (Role.COUNSELLOR, Role.INTERPRETER) or person.county_id is None:
        raise DomainError(_("Only a counsellor or an interpreter can report their own absence here."))
    if end < ids.local_today():
        message = _("These days are over, so there is nothing to re-plan. Tell the lead if they must be recorded.")
        raise DomainError(message, {"end_date": [message]})
    overlap = db.session.scalar(select(Absence).where(Absence.user_id == person.id, Absence.start_date <= end,
                                                      Absence.end_date >= start).order_by(Absence.start_date).limit(1))
    if overlap is not None:
        message = _("An absence from %(first)s to %(last)s is already registered for you. Report only the days "
                    "not covered yet.", first=format_date(overlap.start_date, "long"), last=format_date(overlap.end_date, "long"))
        raise DomainError(message, {"start_date": [message]})
    with unit_of_work() as uow:
        absence = _new_absence(person, person, start, end, None, "absence.reported")
        hit = len(affected_sessions(absence))
        messages = mail.queue_to_leads(person.county_id, lambda: _lead_mail(absence, hit))
        uow.after_commit(mail.deliver_later, messages + _release_interpreter_bookings(person, absence))
    return absence, hit


def _new_absence(actor: User, person: User, start: dt.date, end: dt.date, reason: str | None, action: str) -> Absence:
    today = ids.local_today()
    for name, day in (("start_date", start), ("end_date", end)):
        if not today - EARLIEST_BACK <= day <= today + LATEST_AHEAD:
            message = _("Enter a date from %(first)s to %(last)s.", first=format_date(today - EARLIEST_BACK, "long"),
                        last=format_date(today + LATEST_AHEAD, "long"))
            raise DomainError(message, {name: [message]})
    if end < start:
        message = _("The last day cannot be before the first day.")
        raise DomainError(message, {"end_date": [message]})
    absence = Absence(user_id=person.id, start_date=start, end_date=end, reason=(reason or "").strip() or None)
    db.session.add(absence)
    db.session.flush()
    # The reason may be health information: it stays out of the audit trail.
    audit.record(actor, action, absence, {"user": person.id, "days": (end - start).days + 1})
    return absence


def _release_interpreter_bookings(actor: User, absence: Absence) -> list:
    """An interpreter away on some days keeps no request or booking ahead on them: an open request is
    declined and an accepted booking withdrawn (the reason says they are away), so the lead's alert
    offers another interpreter at once, the request can no longer be accepted by mistake, and the
    interpreter's calendar loses them (a CANCEL each). Returns those e-mails, to send after the commit."""
    from guidance.models import BookingStatus, InterpreterBooking
    from guidance.services.interpreter_bookings.requests import invitation
    from guidance.services.interpreter_bookings.state import transition

    person = absence.user
    if person.interpreter is None:
        return []
    first, last = _absent_span(absence)
    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.interpreter_id == person.interpreter.id,
               InterpreterBooking.status.in_((BookingStatus.REQUESTED, BookingStatus.ACCEPTED)),
               Session.status == SessionStatus.BOOKED, Session.start >= max(first, clock.now()), Session.start < last)
        .order_by(Session.start)).all()
    messages = []
    for booking in bookings:
        withdrawn = booking.status is BookingStatus.ACCEPTED
        transition(actor, booking, "withdraw" if withdrawn else "decline", by="absence")
        booking.decline_reason = _("Away on this day (absence registered).")
        messages.append(invitation(booking, "CANCEL", ended="withdrawn"))  # "you can no longer interpret then"
    return messages


def end_absence(actor: User, absence: Absence, *, back_on: dt.date) -> Absence | None:
    """Use case: the person is back earlier than registered (better sooner, the course cancelled). The
    absence ends the day before `back_on`, or is removed when they are back by its first day; from
    then on plans and replacements may book them again. Sessions already moved or given to a colleague
    stay as they are. Told to the leads when the person does it themself. Returns the absence, or None
    when it was removed."""
    from guidance.services import mail
    from guidance.services.calendar import app_url
    from guidance.services.unit_of_work import unit_of_work

    today = ids.local_today()
    if back_on < today:
        message = _("Enter today or a later day.")
        raise DomainError(message, {"back_on": [message]})
    if back_on > absence.end_date:
        message = _("The absence ends on %(last)s already: enter a day up to then.",
                    last=format_date(absence.end_date, "long"))
        raise DomainError(message, {"back_on": [message]})
    person = absence.user
    with unit_of_work() as uow:
        removed = back_on <= absence.start_date
        audit.record(actor, "absence.ended", absence, {"user": person.id, "back_on": back_on.isoformat(),
                                                        "removed": removed})
        if removed:
            db.session.delete(absence)
        else:
            absence.end_date = back_on - dt.timedelta(days=1)
        if actor.id == person.id:
            def lead_mail() -> tuple[str, str]:
                return (_("Back earlier than reported"),
                        " ".join([_("%(name)s is back on %(day)s, earlier than the absence they reported.",
                                    name=person.name, day=format_date(back_on, "long")),
                                  _("Plans may book them again from then on. See the absences in Veiled: %(link)s",
                                    link=app_url("planning.absences"))]))

            uow.after_commit(mail.deliver_later, mail.queue_to_leads(person.county_id, lead_mail))
    return None if removed else absence


def _lead_mail(absence: Absence, hit: int) -> tuple[str, str]:
    """(subject, body) of the e-mail that tells a lead of a reported absence, in the current locale."""
    from flask_babel import ngettext

    from guidance.services.calendar import app_url

    days = _("%(first)s to %(last)s", first=format_date(absence.start_date, "long"),
             last=format_date(absence.end_date, "long"))
    subject = _("Absence reported by a counsellor") if absence.user.role is Role.COUNSELLOR \
        else _("Absence reported by an interpreter")
    body = " ".join([
        _("%(name)s has reported an absence, %(days)s.", name=absence.user.name, days=days),
        (ngettext("%(num)d booked session is hit and needs a new counsellor or time.",
                  "%(num)d booked sessions are hit and need a new counsellor or time.", hit)
         if absence.user.role is Role.COUNSELLOR else
         ngettext("%(num)d booked session is hit and needs another interpreter.",
                  "%(num)d booked sessions are hit and need another interpreter.", hit)) if hit
        else _("No booked session is hit."),
        _("See it and re-plan in Veiled: %(link)s", link=app_url("planning.absence", absence_id=absence.id)),
    ])
    return subject, body


def _absent_span(absence: Absence) -> tuple[dt.datetime, dt.datetime]:
    """The absence as UTC instants: from the start of its first Oslo day to the start of the day after
    its last. Clamped: an absence stored before dates had bounds may end on 9999-12-31."""
    first_day = max(absence.start_date, dt.date(1900, 1, 1))
    last_day = min(absence.end_date, dt.date(9000, 1, 1))
    return (ids.to_utc(dt.datetime.combine(first_day, dt.time(0, 0))),
            ids.to_utc(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0))))


def affected_sessions(absence: Absence) -> list[Session]:
    """Published (booked) sessions the absent person holds or interprets on the absent days."""
    person = absence.user
    first, last = _absent_span(absence)
    who = []
    if person.counsellor is not None:
        who.append(Session.counsellor_id == person.counsellor.id)
    if person.interpreter is not None:
        who.append(Session.interpreter_id == person.interpreter.id)
    if not who:
        return []
    stmt = (select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == person.county_id, Session.status == SessionStatus.BOOKED,
                   Session.start >= first, Session.start < last, or_(*who))
            .order_by(Session.start))
    return list(db.session.scalars(stmt))
