"""Absences of counsellors and interpreters, registered by the lead, and the published
sessions they hit (listed at once so the lead can re-plan)."""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import or_, select

from guidance import clock
from guidance.extensions import db
from guidance.models import Absence, CounsellorProfile, PlanningRun, Role, Session, SessionStatus, User
from guidance.planning import ids
from guidance.rules.access import COUNSELLING_ROLES, counsels
from guidance.services import audit, notices
from guidance.services.errors import DomainError

# A lead registers sick leave after the fact or planned leave ahead; further is a typing slip.
EARLIEST_BACK = relativedelta(years=1)
LATEST_AHEAD = relativedelta(years=2)


def staff_of_county(county_id: int) -> list[User]:
    """Counsellors (a lead who counsels among them) and interpreters of a county, by name."""
    counselling = User.role.in_(COUNSELLING_ROLES) & User.id.in_(select(CounsellorProfile.user_id))
    return list(db.session.scalars(
        select(User).where(User.county_id == county_id, counselling | (User.role == Role.INTERPRETER),
                           User.active.is_(True)).order_by(User.name)))


def days_away(user_id: int, first: dt.date, last: dt.date) -> set[dt.date]:
    """The days from `first` to `last` (inclusive) that the person is registered away the whole day
    (a part-day absence leaves the rest of its day free: `hours_away`)."""
    out: set[dt.date] = set()
    for start, end in db.session.execute(select(Absence.start_date, Absence.end_date).where(
            Absence.user_id == user_id, Absence.start_date <= last, Absence.end_date >= first,
            Absence.away_from.is_(None))):
        day = max(start, first)
        while day <= min(end, last):
            out.add(day)
            day += dt.timedelta(days=1)
    return out


def hours_away(user_id: int, first: dt.date, last: dt.date) -> list[Absence]:
    """The person's part-day absences on the days from `first` to `last` (inclusive), in time order."""
    return list(db.session.scalars(select(Absence).where(
        Absence.user_id == user_id, Absence.start_date <= last, Absence.end_date >= first,
        Absence.away_from.is_not(None)).order_by(Absence.away_from)))


def spans_away(user_ids, first: dt.date, last: dt.date) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """user id -> the UTC spans they are away (whole days and part days alike) that touch the days from
    `first` to `last`: for the questions "is this person free at this time?"."""
    out: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for absence in db.session.scalars(select(Absence).where(
            Absence.user_id.in_(list(user_ids)), Absence.start_date <= last, Absence.end_date >= first)):
        out.setdefault(absence.user_id, []).append(absent_span(absence))
    return out


def away_on(county_id: int, date: dt.date, also=()) -> tuple[list[str], dict[int, list[tuple[dt.datetime, dt.datetime]]]]:
    """Who of the county is away on `date`, in one read: the counsellors and interpreters by name ("Kari
    Nordmann", or "Kari Nordmann (10:00–12:00)" when away part of the day), and user id -> the UTC spans
    away of them and of the users in `also` (those holding the day's sessions)."""
    staff = {person.id: person.name for person in staff_of_county(county_id)}
    found: dict[int, list[Absence]] = {}
    for absence in db.session.scalars(select(Absence).where(
            Absence.user_id.in_(set(staff) | set(also)), Absence.start_date <= date, Absence.end_date >= date)
            .order_by(Absence.away_from)):
        found.setdefault(absence.user_id, []).append(absence)
    names = []
    for user_id, found_absences in found.items():
        if user_id not in staff:
            continue
        parts = [hours_text(a) for a in found_absences if a.part_day]
        whole = len(parts) < len(found_absences)
        names.append(staff[user_id] if whole else _("%(name)s (%(hours)s)", name=staff[user_id], hours=", ".join(parts)))
    return sorted(names), {user_id: [absent_span(a) for a in mine] for user_id, mine in found.items()}


def away_during(spans: list[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime) -> bool:
    """Whether one of the spans overlaps the time from `start` to `end`."""
    return any(first < end and start < last for first, last in spans)


Hours = tuple[dt.time, dt.time]


def register_absence(lead: User, *, user_id: int, start: dt.date, end: dt.date, reason: str | None,
                     hours: Hours | None = None) -> Absence:
    """Record an absence of one of the county's counsellors or interpreters: whole days (inclusive dates),
    or with `hours` (from, until; Oslo times) part of one day."""
    person = db.session.get(User, user_id)
    if person is None or person.county_id != lead.county_id or not (counsels(person) or person.role is Role.INTERPRETER):
        message = _("Choose a counsellor or interpreter of your county.")
        raise DomainError(message, {"user_id": [message]})
    from guidance.services import mail

    from guidance.services.unit_of_work import unit_of_work

    with unit_of_work() as uow:
        absence = _new_absence(lead, person, start, end, reason, "absence.registered", hours)
        messages, told = _release_interpreter_bookings(lead, absence)
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later, told)
    return absence


def report_own_absence(person: User, *, start: dt.date, end: dt.date,
                       hours: Hours | None = None) -> tuple[Absence, int]:
    """A counsellor or interpreter reports their own absence (ill, a course, another assignment):
    recorded at once (later plans and replacements keep them free) and e-mailed to the county's leads
    with the booked sessions it hits, so nobody has to reach the lead by phone first. No reason is
    asked (it may be health information). Returns the absence and the sessions hit."""
    from guidance.services import mail
    from guidance.services.unit_of_work import unit_of_work

    if not (counsels(person) or person.role is Role.INTERPRETER) or person.county_id is None:
        raise DomainError(_("Only a counsellor or an interpreter can report their own absence here."))
    if end < ids.local_today():
        message = _("These days are over, so there is nothing to re-plan. Tell the lead if they must be recorded.")
        raise DomainError(message, {"end_date": [message]})
    with unit_of_work() as uow:
        absence = _new_absence(person, person, start, end, None, "absence.reported", hours)
        hit = len(affected_sessions(absence))
        messages = mail.queue_to_leads(person.county_id, lambda: _lead_mail(absence, hit), but=person)
        released, told = _release_interpreter_bookings(person, absence)
        uow.after_commit(mail.deliver_later, messages + released)
        uow.after_commit(notices.dispatch_later, told)
    return absence, hit


def span_problems(start: dt.date, end: dt.date) -> dict[str, list[str]]:
    """What is wrong with an absence's first and last day, per field: each within the window registered,
    the last not before the first. The forms ask it too when another field stopped them, so that every
    problem shows in one round."""
    today = ids.local_today()
    problems: dict[str, list[str]] = {}
    for name, day in (("start_date", start), ("end_date", end)):
        if not today - EARLIEST_BACK <= day <= today + LATEST_AHEAD:
            problems[name] = [_("Enter a date from %(first)s to %(last)s.",
                                first=format_date(today - EARLIEST_BACK, "long"),
                                last=format_date(today + LATEST_AHEAD, "long"))]
    if end < start and "end_date" not in problems:
        problems["end_date"] = [_("The last day cannot be before the first day.")]
    return problems


def _new_absence(actor: User, person: User, start: dt.date, end: dt.date, reason: str | None, action: str,
                 hours: Hours | None = None) -> Absence:
    problems = span_problems(start, end)
    if problems:
        raise DomainError(next(iter(problems.values()))[0], problems)
    absence = Absence(user_id=person.id, start_date=start, end_date=end, reason=(reason or "").strip() or None,
                      **_instants(start, end, hours))
    db.session.add(absence)
    db.session.flush()
    _refuse_overlap(actor, person, absence)
    # The reason may be health information: it stays out of the audit trail.
    audit.record(actor, action, absence, {"user": person.id, "days": (end - start).days + 1,
                                          **({"hours": [t.strftime("%H:%M") for t in hours]} if hours else {})})
    return absence


def _refuse_overlap(actor: User, person: User, absence: Absence) -> None:
    """Two absences of one person never overlap: the second would be listed, mailed and ended apart from
    the first, and ending one would seem to bring the person back. Checked on the new absence, flushed
    (its span is read the one way, `absent_span`); the caller's unit of work takes it back."""
    wanted = absent_span(absence)
    overlap = next((other for other in db.session.scalars(
        select(Absence).where(Absence.user_id == person.id, Absence.id != absence.id,
                              Absence.start_date <= absence.end_date, Absence.end_date >= absence.start_date)
        .order_by(Absence.start_date, Absence.away_from))
        if away_during([absent_span(other)], *wanted)), None)
    if overlap is None:
        return
    if actor.id == person.id:
        message = _("An absence, %(when)s, is already registered for you. Report only the time not covered "
                    "yet.", when=period_text(overlap))
    else:
        message = _("An absence, %(when)s, is already registered for %(name)s. Register only the time not "
                    "covered yet, or end that absence first.", when=period_text(overlap), name=person.name)
    raise DomainError(message, {"start_date": [message]})


def _instants(start: dt.date, end: dt.date, hours: Hours | None) -> dict:
    """The UTC instants of a part-day absence (nothing for whole days), after checking the hours: on one
    day, and the end after the start."""
    if hours is None:
        return {}
    if end != start:
        message = _("An absence of some hours lies within one day: give the same first and last day, or "
                    "leave the times empty for whole days.")
        raise DomainError(message, {"end_date": [message]})
    away_from, away_until = hours
    if away_until <= away_from:
        message = _("The absence must end after it starts.")
        raise DomainError(message, {"until_time": [message]})
    for field, time in (("from_time", away_from), ("until_time", away_until)):
        # The night summer time starts, 02:00-02:59 is no time at all: it was kept as an hour later, unsaid.
        local = dt.datetime.combine(start, time)
        if ids.to_local(ids.to_utc(local)).replace(tzinfo=None) != local:
            message = _("There is no %(time)s on %(day)s: the clocks go forward an hour that night.",
                        time=time.strftime("%H:%M"), day=format_date(start, "long"))
            raise DomainError(message, {field: [message]})
    return {"away_from": ids.to_utc(dt.datetime.combine(start, away_from)),
            "away_until": ids.to_utc(dt.datetime.combine(start, away_until))}


def _release_interpreter_bookings(actor: User, absence: Absence) -> tuple[list, list]:
    """An interpreter away on some days keeps no request or booking ahead on them: an open request is
    declined and an accepted booking withdrawn (the reason says they are away), so the lead's alert
    offers another interpreter at once, the request can no longer be accepted by mistake, and the
    interpreter's calendar loses them (a CANCEL each). The counsellor of a withdrawn booking hears it
    (notices.interpreter_gone). Returns those e-mails and notices, to hand on after the commit."""
    from guidance.models import BookingStatus, InterpreterBooking
    from guidance.services.interpreter_bookings.requests import invitation
    from guidance.services.interpreter_bookings.state import transition

    person = absence.user
    if person.interpreter is None:
        return [], []
    first, last = absent_span(absence)
    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.interpreter_id == person.interpreter.id,
               InterpreterBooking.status.in_((BookingStatus.REQUESTED, BookingStatus.ACCEPTED)),
               Session.status == SessionStatus.BOOKED, Session.start >= clock.now(), Session.start < last,
               Session.end > first)
        .order_by(Session.start)).all()
    messages, told = [], []
    for booking in bookings:
        withdrawn = booking.status is BookingStatus.ACCEPTED
        transition(actor, booking, "withdraw" if withdrawn else "decline", by="absence")
        booking.decline_reason = _("Away at this time (absence registered).") if absence.part_day \
            else _("Away on this day (absence registered).")
        messages.append(invitation(booking, "CANCEL", ended="withdrawn"))  # "you can no longer interpret then"
        if withdrawn:
            told.append(notices.interpreter_gone(actor, booking))
    return messages, [n for n in told if n is not None]


def first_day_back(absence: Absence, today: dt.date) -> dt.date:
    """The earliest day back `end_absence` takes: today or later, and after the absence's first day (the
    first day itself would be the whole absence, taken away on its own)."""
    return max(today, absence.start_date + dt.timedelta(days=1))


def end_absence(actor: User, absence: Absence, *, back_on: dt.date | None) -> Absence | None:
    """Use case: the person is back earlier than registered (better sooner, the course cancelled). The
    absence ends the day before `back_on`, a day after its first; `back_on` None takes the whole absence
    away (not away after all), while it has not begun. From then on plans and replacements may book them
    again. Sessions already moved or given to a colleague stay as they are. Told to the leads when the
    person does it themself. Returns the absence, or None when it was removed."""
    from guidance.services import mail
    from guidance.services.calendar import app_url
    from guidance.services.unit_of_work import unit_of_work

    today = ids.local_today()
    if back_on is None and absence.start_date < today:
        message = _("The absence began on %(first)s: enter the day back instead.",
                    first=format_date(absence.start_date, "long"))
        raise DomainError(message, {"back_on": [message]})
    if back_on is not None:
        if back_on < today:
            message = _("Enter today or a later day.")
            raise DomainError(message, {"back_on": [message]})
        if back_on <= absence.start_date:
            # The first day itself would take the whole absence away: that is its own button.
            message = _("Enter a day after the first day of the absence (%(first)s). To take the whole absence "
                        "away, use the button for that.", first=format_date(absence.start_date, "long"))
            raise DomainError(message, {"back_on": [message]})
        if back_on > absence.end_date:
            message = _("The absence ends on %(last)s already: enter a day up to then.",
                        last=format_date(absence.end_date, "long"))
            raise DomainError(message, {"back_on": [message]})
    back_on = back_on or absence.start_date
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


def period_text(absence: Absence, fmt: str = "long") -> str:
    """When the absence is, in the current locale and Oslo time: "8. desember 2026", "8.–10. desember"
    as `fmt` writes a date, and "8. desember 2026, 10:00–12:00" for part of a day."""
    first = format_date(absence.start_date, fmt)
    if absence.part_day:
        return _("%(day)s, %(hours)s", day=first, hours=hours_text(absence))
    if absence.end_date == absence.start_date:
        return first
    return _("%(first)s to %(last)s", first=first, last=format_date(absence.end_date, fmt))


def hours_text(absence: Absence) -> str:
    """The hours of a part-day absence in Oslo time: "10:00–12:00"."""
    return "–".join(format_datetime(t, "HH:mm") for t in (absence.away_from, absence.away_until))


def _lead_mail(absence: Absence, hit: int) -> tuple[str, str]:
    """(subject, body) of the e-mail that tells a lead of a reported absence, in the current locale."""
    from flask_babel import ngettext

    from guidance.services.calendar import app_url

    days = period_text(absence)
    subject = _("Absence reported by a counsellor") if counsels(absence.user) \
        else _("Absence reported by an interpreter")
    body = " ".join([
        _("%(name)s has reported an absence, %(days)s.", name=absence.user.name, days=days),
        (ngettext("%(num)d booked session is hit and needs a new counsellor or time.",
                  "%(num)d booked sessions are hit and need a new counsellor or time.", hit)
         if counsels(absence.user) else
         ngettext("%(num)d booked session is hit and needs another interpreter.",
                  "%(num)d booked sessions are hit and need another interpreter.", hit)) if hit
        else _("No booked session is hit."),
        _("See it and re-plan in Veiled: %(link)s", link=app_url("planning.absence", absence_id=absence.id)),
    ])
    return subject, body


def absent_span(absence: Absence) -> tuple[dt.datetime, dt.datetime]:
    """The absence as UTC instants: its hours for part of a day, else from the start of its first Oslo
    day to the start of the day after its last. Clamped: an absence stored before dates had bounds may
    end on 9999-12-31."""
    if absence.part_day:
        return absence.away_from, absence.away_until
    first_day = max(absence.start_date, dt.date(1900, 1, 1))
    last_day = min(absence.end_date, dt.date(9000, 1, 1))
    return clock.oslo_days(first_day, last_day)


def sessions_of_staff_away(county_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple[Session, User]]:
    """Published (booked) sessions starting from `start` to `end` whose counsellor or interpreter is away at their
    time, each with the person away (a session with both away comes twice)."""
    first, last = ids.to_local(start).date(), ids.to_local(end).date()
    staff = [person.id for person in staff_of_county(county_id)]
    out = []
    for absence in db.session.scalars(select(Absence).where(
            Absence.user_id.in_(staff), Absence.start_date <= last, Absence.end_date >= first)):
        out += [(s, absence.user) for s in affected_sessions(absence) if start < s.start < end]
    return out


def affected_sessions(absence: Absence) -> list[Session]:
    """Published (booked) sessions the absent person holds or interprets while away (any overlap: a
    session 09:00-10:30 is hit by an absence from 10:00)."""
    person = absence.user
    first, last = absent_span(absence)
    who = []
    if person.counsellor is not None:
        who.append(Session.counsellor_id == person.counsellor.id)
    if person.interpreter is not None:
        who.append(Session.interpreter_id == person.interpreter.id)
    if not who:
        return []
    stmt = (select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == person.county_id, Session.status == SessionStatus.BOOKED,
                   Session.start < last, Session.end > first, or_(*who))
            .order_by(Session.start))
    return list(db.session.scalars(stmt))
