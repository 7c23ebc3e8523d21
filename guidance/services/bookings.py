"""Interpreter bookings: one strict state machine, invitations by e-mail, alerts, replacements, cost.

    requested -> accepted | declined | expired | cancelled
    accepted  -> cancelled | requested (the session changed: asked again)

Every transition goes through `transition`, which refuses an illegal one and audits the rest.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance.extensions import db
from guidance.models import (
    Absence,
    BookingStatus,
    InterpreterBooking,
    InterpreterLanguage,
    InterpreterProfile,
    LegalBasis,
    OutboxMessage,
    Session,
    SessionStatus,
    User,
)
from guidance.models.types import utcnow
from guidance.planning.instance import TRAVEL
from guidance.rules.language import for_recipient as language_for
from guidance.services import audit, mail
from guidance.services import calendar as cal
from guidance.services.errors import DomainError

log = logging.getLogger(__name__)
S = BookingStatus
# event -> (states it may start from, the state it leads to)
EVENTS: dict[str, tuple[frozenset[BookingStatus], BookingStatus]] = {
    "accept": (frozenset({S.REQUESTED}), S.ACCEPTED),
    "decline": (frozenset({S.REQUESTED}), S.DECLINED),
    "expire": (frozenset({S.REQUESTED}), S.EXPIRED),
    "cancel": (frozenset({S.REQUESTED, S.ACCEPTED}), S.CANCELLED),
    "change": (frozenset({S.REQUESTED, S.ACCEPTED}), S.REQUESTED),
}
ACTIVE = (S.REQUESTED, S.ACCEPTED)
DEFAULT_ANSWER_HOURS = 48
# An interpreter's answer is due at least this long before the session starts.
ANSWER_LEAD_HOURS = 24
# The county pays the interpreter for referrals under the two acts (DOMAIN.md).
COUNTY_PAYS = (LegalBasis.INTEGRATION_ACT, LegalBasis.TEMPORARY_ACT)


class IllegalTransition(DomainError):
    pass


def transition(actor, booking: InterpreterBooking, event: str, **detail) -> None:
    """Move `booking` by `event` or raise IllegalTransition; audited (ids and states only)."""
    allowed_from, target = EVENTS[event]
    if booking.status not in allowed_from:
        raise IllegalTransition(_("This booking can no longer be changed that way (it is %(status)s).",
                                  status=_status_text(booking.status)))
    before = booking.status
    booking.status = target
    if event in ("accept", "decline", "expire"):
        booking.answered_at = utcnow()
    if event in ("change", "cancel"):
        booking.sequence = (booking.sequence or 0) + 1
    audit.record(actor, f"booking.{event}", booking, {"from": before.value, "to": target.value, **detail})


def _status_text(status: BookingStatus) -> str:
    from guidance.labels import BOOKING_STATUS

    return str(BOOKING_STATUS.get(status.value, status.value)).lower()


# -- making bookings (the hook publishing calls) -------------------------------------------

def new_booking(session: Session, interpreter: InterpreterProfile | None = None, mode: str | None = None) -> InterpreterBooking:
    """A requested booking for the session's interpreter (or `interpreter`), costed, in the
    current transaction. Publishing a plan calls this per session with an interpreter."""
    interpreter = interpreter or session.interpreter
    mode = mode or session.interpreter_mode or "onsite"
    billed, travel, cost = planned_cost(session, interpreter, mode)
    booking = InterpreterBooking(session=session, interpreter=interpreter, status=S.REQUESTED, mode=mode,
                                 language=session.language or "", billed_minutes=billed, travel_minutes=travel,
                                 cost_ore=cost, answer_deadline=_answer_deadline(session))
    db.session.add(booking)
    return booking


def send_booking_requests(bookings: list[InterpreterBooking], actor=None) -> list[OutboxMessage]:
    """E-mail each booking's invitation (METHOD:REQUEST) with its signed answer link; commits,
    then queues the delivery (sent by the job queue, never inside the request).

    Publishing calls this after it created the bookings (status requested)."""
    messages = request_messages(bookings, actor)
    db.session.commit()
    mail.deliver_later(messages)
    return messages


def request_messages(bookings: list[InterpreterBooking], actor=None) -> list[OutboxMessage]:
    """The invitations (METHOD:REQUEST) for `bookings`, audited, in the caller's transaction;
    the caller commits and then hands them to `mail.deliver_later`."""
    messages = []
    for booking in bookings:
        if booking.answer_deadline is None:
            booking.answer_deadline = _answer_deadline(booking.session)
        audit.record(actor, "booking.request_sent", booking, {"sequence": booking.sequence})
        messages.append(invitation(booking, "REQUEST"))
    return messages


def _answer_deadline(session: Session) -> dt.datetime:
    """When an unanswered request expires: the earlier of the county's answer time and
    ANSWER_LEAD_HOURS before the session, so the lead has time to find someone else. A session
    closer than that gets half the time that is left: the deadline always ends before the session."""
    now = utcnow()
    hours = getattr(session.run.county, "booking_answer_hours", None) or DEFAULT_ANSWER_HOURS
    deadline = min(now + dt.timedelta(hours=hours), session.start - dt.timedelta(hours=ANSWER_LEAD_HOURS))
    if deadline <= now:
        deadline = now + (session.start - now) / 2
    return deadline


def planned_cost(session: Session, interpreter: InterpreterProfile, mode: str) -> tuple[int, int, int]:
    """(billed minutes, one-way travel minutes, cost in øre) by the solver's booking-cost rule."""
    from solver.check import booking_cost
    from solver.travel import travel_minutes

    minutes = int((session.end - session.start).total_seconds() // 60)
    travel = 0
    if mode == "onsite":
        home, there = interpreter.municipality, session.location.municipality
        travel = travel_minutes((home.lat, home.lon), (there.lat, there.lon), TRAVEL["road_factor"], TRAVEL["speed_kmh"])
    cost_nok = booking_cost(minutes, interpreter.hourly_rate_ore / 100, interpreter.min_billed_minutes,
                            interpreter.travel_rate_ore / 100, travel)
    return max(minutes, interpreter.min_billed_minutes), travel, round(cost_nok * 100)


def actual_cost(booking: InterpreterBooking, minutes: int) -> int:
    """The booking's cost with the actual minutes billed; travel stays as planned. Derived from the
    planned cost so it holds whichever way the booking's travel minutes were recorded."""
    from solver.check import booking_cost

    interpreter = booking.interpreter
    rate = interpreter.hourly_rate_ore / 100
    planned_time = round(booking_cost(booking.billed_minutes, rate) * 100)
    travel = booking.cost_ore - planned_time
    return round(booking_cost(minutes, rate, interpreter.min_billed_minutes) * 100) + travel


# -- the interpreter's answer ----------------------------------------------------------------

def answer(actor, booking: InterpreterBooking, accept: bool, reason: str | None = None) -> None:
    """The interpreter accepts or declines (a reason is required to decline); one transaction."""
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
    db.session.commit()


SALT = "booking-answer"


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
    if booking.sequence != sequence:
        raise DomainError(_("The request has changed since this e-mail. Use the link in the newest e-mail."))
    return booking


# -- changes, cancellations, expiry -----------------------------------------------------------

def session_changed(actor, session: Session) -> list[OutboxMessage]:
    """The session moved or changed: its active booking is asked again with the new details."""
    messages = session_changed_in_transaction(actor, session)
    db.session.commit()
    mail.deliver_later(messages)
    return messages


def session_changed_in_transaction(actor, session: Session) -> list[OutboxMessage]:
    """The work of `session_changed` in the caller's transaction (a lead moving a published
    session); returns the e-mails to deliver after the caller's commit."""
    messages = []
    for booking in session.bookings:
        if booking.status in ACTIVE:
            transition(actor, booking, "change")
            booking.answered_at = None
            booking.mode = session.interpreter_mode or booking.mode
            booking.answer_deadline = _answer_deadline(session)
            booking.billed_minutes, booking.travel_minutes, booking.cost_ore = planned_cost(session, booking.interpreter, booking.mode)
            messages.append(invitation(booking, "REQUEST"))
    return messages


def session_updated(actor, session: Session) -> list[OutboxMessage]:
    """The session keeps its time, place and interpreter but its details changed (a group member
    left): calendars get a new version, an interpreter's answer stands. In the caller's
    transaction; returns the e-mails to deliver after the commit."""
    cal.bump_sequence(session)
    messages = []
    for booking in session.bookings:
        if booking.status in ACTIVE:
            # A new SEQUENCE for the interpreter's calendar; the state (and the answer) is kept.
            booking.sequence = (booking.sequence or 0) + 1
            audit.record(actor, "booking.updated", booking, {"sequence": booking.sequence})
            messages.append(invitation(booking, "REQUEST", update=True))
    return messages


def cancel_booking(actor, booking: InterpreterBooking, reason: str = "") -> OutboxMessage:
    transition(actor, booking, "cancel")
    message = invitation(booking, "CANCEL")
    db.session.commit()
    mail.deliver_later([message])
    return message


# Why a lead cancels a session: codes, so the reason can be audited without free text.
CANCEL_REASONS = ("participant_cancelled", "counsellor_unavailable", "interpreter_unavailable",
                  "room_unavailable", "other")


def cancel_session(actor, session: Session, reason: str | None = None) -> None:
    """Cancel a published session: calendars show it cancelled, its interpreter is told, and its
    participants go back to the queue; one transaction, the e-mails after the commit."""
    if reason is not None and reason not in CANCEL_REASONS:
        raise DomainError(_("Choose why the session is cancelled."), {"reason": [_("Choose why the session is cancelled.")]})
    if session.start <= utcnow():
        raise DomainError(_("The session has started, so it cannot be cancelled. Record the outcome instead."))
    messages = cancel_in_transaction(actor, session, reason)
    db.session.commit()
    mail.deliver_later(messages)
    from guidance.services import notices

    notices.dispatch_later()


def cancel_in_transaction(actor, session: Session, reason: str | None = None) -> list[OutboxMessage]:
    """The work of `cancel_session` inside the caller's transaction (for use cases that cancel
    along the way, like a withdrawal); returns the e-mails to deliver after the caller's commit."""
    if session.status is not SessionStatus.BOOKED:
        raise DomainError(_("Only a booked session can be cancelled."))
    session.status = SessionStatus.CANCELLED
    cal.bump_sequence(session)
    audit.record(actor, "session.cancel", session, {"reason": reason} if reason else None)
    from guidance.services import notices

    notices.session_event(actor, session, notices.CANCELLED)  # dispatched after the caller's commit
    messages = []
    for booking in session.bookings:
        if booking.status in ACTIVE:
            transition(actor, booking, "cancel")
            messages.append(invitation(booking, "CANCEL"))
    _requeue_participants(session)
    return messages


def _requeue_participants(session: Session) -> None:
    """Booked participants left with no other booked session wait in the queue again."""
    from guidance.models import ReferralStatus, SessionParticipant

    for member in session.participants:
        referral = member.referral
        if referral.status is not ReferralStatus.BOOKED:
            continue  # withdrawn, closed, or already waiting
        other = db.session.scalar(
            select(SessionParticipant.session_id).join(Session, Session.id == SessionParticipant.session_id)
            .where(SessionParticipant.referral_id == referral.id, Session.id != session.id,
                   Session.status == SessionStatus.BOOKED, Session.start > utcnow()).limit(1))
        if other is None:
            referral.status = ReferralStatus.RECEIVED
            audit.record(None, "referral.requeued", referral, {"session_id": session.id, "cause": "session_cancelled"})


def expire_overdue(now: dt.datetime | None = None) -> list[InterpreterBooking]:
    """Requests nobody answered by their deadline become expired (they then alert the lead)."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(InterpreterBooking).where(InterpreterBooking.status == S.REQUESTED,
                                         InterpreterBooking.answer_deadline.is_not(None),
                                         InterpreterBooking.answer_deadline < now)
    ).all()
    for booking in overdue:
        transition(None, booking, "expire")
    db.session.commit()
    return list(overdue)


# -- invitations --------------------------------------------------------------------------------

def invitation(booking: InterpreterBooking, method: str, update: bool = False) -> OutboxMessage:
    """The e-mail for a request (METHOD:REQUEST) or cancellation (METHOD:CANCEL), in the
    interpreter's language (rules.language.for_recipient); `update`: a new version of a request whose time and place stand.
    Subject and calendar carry references, never names."""
    from guidance.labels import LANGUAGE

    session, person = booking.session, booking.interpreter.user
    locale = language_for(person)
    with force_locale(locale):
        when = session.start.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")
        language = str(LANGUAGE.get(booking.language, booking.language))
        if method == "CANCEL":
            subject = _("Cancelled: interpreting %(when)s", when=when)
            body = _("The interpreting assignment on %(when)s at %(place)s (%(language)s) is cancelled.",
                     when=when, place=session.location.name, language=language)
        elif update:
            subject = _("Changed: interpreting %(when)s", when=when)
            lines = [_("The group session on %(when)s at %(place)s (%(language)s) has one participant fewer. "
                       "The time, the place and your booking are unchanged.",
                       when=when, place=session.location.name, language=language)]
            if booking.status is S.REQUESTED:
                lines.append(_("Please accept or decline here: %(link)s",
                               link=cal.app_url("interpreter.confirm", token=answer_token(booking))))
            body = "\n\n".join(lines)
        else:
            subject = _("Interpreting request %(when)s", when=when)
            link = cal.app_url("interpreter.confirm", token=answer_token(booking))
            body = "\n\n".join([
                _("You are asked to interpret (%(language)s, %(mode)s) on %(when)s at %(place)s, %(room)s.",
                  language=language, mode=cal.interpreter_mode_label(booking.mode), when=when,
                  place=session.location.name, room=session.room.name),
                _where_to_be(booking, session),
                _("Please answer by %(deadline)s.",
                  deadline=booking.answer_deadline.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")
                  if booking.answer_deadline else "–"),
                _("Please accept or decline here: %(link)s", link=link),
                _("The link works until %(deadline)s. You can also answer after logging in to Veiled.",
                  deadline=booking.answer_deadline.astimezone(cal.OSLO).strftime("%d.%m.%Y %H:%M")
                  if booking.answer_deadline else "–"),
            ])
        ics = cal.build_calendar([session], lambda s: cal.app_url("interpreter.show", booking_id=booking.id),
                                 language=locale, method=method, sequence=booking.sequence,
                                 organizer=current_app.config["MAIL_SENDER"], attendee=person.email)
    return mail.queue(person, subject, body, ics)


def _where_to_be(booking: InterpreterBooking, session: Session) -> str:
    """The interpreter's practical details: the address on site, how a video or phone session reaches them."""
    if booking.mode == "video":
        return _("By video: the counsellor sends you the meeting link before the session.")
    if booking.mode == "phone":
        return _("By phone: the counsellor calls you on the phone number in your Veiled profile when the session starts.")
    location = session.location
    lines = [_("Address: %(address)s", address=location.address or location.name)]
    if location.directions:
        lines.append(_("How to get there: %(directions)s", directions=location.directions))
    return "\n".join(lines)


# -- the lead's view: alerts, replacements, cost ----------------------------------------------

@dataclass
class Alert:
    booking: InterpreterBooking
    candidates: list[InterpreterProfile]


def alerts(county_id: int) -> list[Alert]:
    """Declined or expired bookings of booked sessions that have no other active booking."""
    from guidance.models import PlanningRun

    stmt = (
        select(InterpreterBooking)
        .join(Session, Session.id == InterpreterBooking.session_id)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, InterpreterBooking.status.in_((S.DECLINED, S.EXPIRED)),
               Session.status == SessionStatus.BOOKED, Session.start > utcnow())
        .order_by(Session.start, InterpreterBooking.id)
    )
    out, seen = [], set()
    for booking in db.session.scalars(stmt):
        session = booking.session
        if session.id in seen or any(b.status in ACTIVE for b in session.bookings):
            continue
        seen.add(session.id)
        out.append(Alert(booking, replacement_candidates(session)))
    return out


def replacement_candidates(session: Session, limit: int = 3) -> list[InterpreterProfile]:
    """Interpreters who could take the session, cheapest first: same county, the language and
    mode, within working hours, not absent, free, not already asked for it; each judged by the
    plan checker against the published plan (none offered when it cannot judge)."""
    asked = {b.interpreter_id for b in session.bookings}
    mode = session.interpreter_mode or "onsite"
    local_start, local_end = session.start.astimezone(cal.OSLO), session.end.astimezone(cal.OSLO)
    profiles = db.session.scalars(
        select(InterpreterProfile)
        .join(User, User.id == InterpreterProfile.user_id)
        .join(InterpreterLanguage, InterpreterLanguage.interpreter_id == InterpreterProfile.id)
        .where(User.active.is_(True), User.county_id == session.run.county_id,
               InterpreterLanguage.language == session.language)
        .options(selectinload(InterpreterProfile.languages), selectinload(InterpreterProfile.user))
    ).unique().all()
    fitting = []
    for profile in profiles:
        if profile.id in asked or mode not in (profile.modes or []):
            continue
        if not _within_hours(profile.weekly or {}, local_start, local_end) or _absent(profile.user_id, local_start.date()):
            continue
        if _busy(profile.id, session):
            continue
        category = next((l.category for l in profile.languages if l.language == session.language), 9)
        fitting.append((planned_cost(session, profile, mode)[2], category, profile.id, profile))
    fitting.sort(key=lambda item: item[:3])
    if not fitting:
        return []
    referee = _PlanReferee(session)
    return [p for *_, p in fitting if referee.accepts(p)][:limit]


def _within_hours(weekly: dict, start: dt.datetime, end: dt.datetime) -> bool:
    day = str(start.isoweekday())
    begin, finish = start.strftime("%H:%M"), end.strftime("%H:%M")
    return any(a <= begin and finish <= b for a, b in weekly.get(day, []))


def _absent(user_id: int, day: dt.date) -> bool:
    return db.session.scalar(
        select(Absence.id).where(Absence.user_id == user_id, Absence.start_date <= day, Absence.end_date >= day).limit(1)
    ) is not None


def _busy(interpreter_id: int, session: Session) -> bool:
    """Another live session or active booking of the interpreter overlaps this one."""
    overlapping = select(Session.id).where(
        Session.id != session.id, Session.status == SessionStatus.BOOKED,
        Session.start < session.end, Session.end > session.start,
    )
    by_session = db.session.scalar(overlapping.where(Session.interpreter_id == interpreter_id).limit(1))
    by_booking = db.session.scalar(
        select(InterpreterBooking.id).join(Session, Session.id == InterpreterBooking.session_id)
        .where(InterpreterBooking.interpreter_id == interpreter_id, InterpreterBooking.status.in_(ACTIVE),
               Session.id != session.id, Session.status == SessionStatus.BOOKED,
               Session.start < session.end, Session.end > session.start).limit(1))
    return by_session is not None or by_booking is not None


class _PlanReferee:
    """The published plan around one session, described once, to judge each candidate interpreter
    with the independent checker (solver.check): availability, travel between on-site sessions,
    language and mode. It fails closed: a candidate it cannot judge is not offered."""

    def __init__(self, session: Session):
        from guidance.planning import ids
        from guidance.planning.instance import InstanceOptions, build_instance
        from solver.formats import FormatError

        self.target = ids.session_id(session.id)
        self.instance = self.plan = None
        day = session.start.astimezone(cal.OSLO).date()
        try:
            instance = build_instance(session.run.county,
                                      InstanceOptions(today=day - dt.timedelta(days=1), horizon_weeks=1))
        except (FormatError, ValueError, KeyError) as error:
            log.warning("no replacement offered: county %s has no instance (%s)", session.run.county_id,
                        type(error).__name__)
            return
        plan = instance.get("previous_plan")
        if not plan or not any(s["id"] == self.target for s in plan["sessions"]):
            log.warning("no replacement offered: session %s is not in the published plan", session.id)
            return
        instance["previous_plan"], instance["frozen_until"] = None, None
        self.instance, self.plan = instance, {**plan, "unscheduled": []}
        self.before = self._violations(self.plan)

    def _violations(self, plan) -> set[str] | None:
        from solver.check import check_plan
        from solver.formats import FormatError

        try:
            return {str(v) for v in check_plan(self.instance, plan).violations if v.rule != 0}
        except FormatError:
            log.warning("no replacement offered: the county's instance does not load")
            return None

    def accepts(self, candidate: InterpreterProfile) -> bool:
        """The plan with `candidate` on the session breaks no rule it did not already break."""
        from guidance.planning import ids

        if self.instance is None or self.before is None:
            return False
        sessions = [{**s, "interpreter": ids.interpreter_id(candidate.id)} if s["id"] == self.target else s
                    for s in self.plan["sessions"]]
        after = self._violations({**self.plan, "sessions": sessions})
        return after is not None and after <= self.before


def rebook(actor, declined: InterpreterBooking, candidate_id: int) -> InterpreterBooking:
    """The lead picks an offered interpreter: the session gets a new request to them."""
    session = declined.session
    if declined.status not in (S.DECLINED, S.EXPIRED) or any(b.status in ACTIVE for b in session.bookings):
        raise IllegalTransition(_("This session already has an interpreter request."))
    candidate = next((c for c in replacement_candidates(session, limit=10) if c.id == candidate_id), None)
    if candidate is None:
        raise DomainError(_("That interpreter can no longer take the session. Choose another."))
    session.interpreter = candidate
    cal.bump_sequence(session)
    booking = new_booking(session, candidate, session.interpreter_mode)
    db.session.flush()
    audit.record(actor, "booking.requested", booking, {"replaces": declined.id})
    send_booking_requests([booking], actor)
    return booking


def set_answer_hours(actor, county, hours: int) -> None:
    """How long an interpreter has to answer a request before it expires (lead's setting)."""
    if not 1 <= hours <= 336:
        raise DomainError(_("Enter between 1 and 336 hours."), {"hours": [_("Enter between 1 and 336 hours.")]})
    county.booking_answer_hours = hours
    audit.record(actor, "county.booking_answer_hours", county, {"hours": hours})
    db.session.commit()


def record_actual_minutes(actor, booking: InterpreterBooking, minutes: int) -> None:
    if booking.status is not S.ACCEPTED:
        raise DomainError(_("Only an accepted booking has actual minutes."), {"minutes": [_("Only an accepted booking has actual minutes.")]})
    if booking.session.start > utcnow():
        raise DomainError(_("Enter the minutes after the session."), {"minutes": [_("Enter the minutes after the session.")]})
    if not 0 <= minutes <= 24 * 60:
        raise DomainError(_("Enter minutes between 0 and 1440."), {"minutes": [_("Enter minutes between 0 and 1440.")]})
    booking.actual_minutes = minutes
    booking.actual_cost_ore = actual_cost(booking, minutes)
    audit.record(actor, "booking.actual_minutes", booking, {"minutes": minutes})
    db.session.commit()


def cost_report(county_id: int) -> dict[str, list[tuple[str, int, int | None]]]:
    """Planned vs actual cost (øre) of accepted bookings for act referrals, per month,
    interpreter and language: {"month": [(key, planned, actual)], ...}."""
    from guidance.models import PlanningRun

    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, InterpreterBooking.status == S.ACCEPTED)
        .options(selectinload(InterpreterBooking.session).selectinload(Session.participants),
                 selectinload(InterpreterBooking.interpreter).selectinload(InterpreterProfile.user))
    ).all()
    groups: dict[str, dict[str, list[int]]] = {"month": {}, "interpreter": {}, "language": {}}
    for b in bookings:
        if not any(p.referral.legal_basis in COUNTY_PAYS for p in b.session.participants):
            continue
        keys = {"month": b.session.start.astimezone(cal.OSLO).strftime("%Y-%m"),
                "interpreter": b.interpreter.user.name, "language": b.language}
        for group, key in keys.items():
            planned, actual, known = groups[group].setdefault(key, [0, 0, 0])
            groups[group][key] = [planned + b.cost_ore, actual + (b.actual_cost_ore or 0),
                                  known + (1 if b.actual_cost_ore is not None else 0)]
    return {group: [(key, v[0], v[1] if v[2] else None) for key, v in sorted(rows.items())]
            for group, rows in groups.items()}
