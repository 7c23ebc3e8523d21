"""What interpreting costs: the planned cost of a request, the actual cost from the minutes the lead
records after the session, and the planned-against-actual report."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance.extensions import db
from guidance.models import InterpreterBooking, InterpreterProfile, LegalBasis, Session
from guidance.models.types import utcnow
from guidance.planning.instance import travel_minutes
from guidance.services import audit
from guidance.services import calendar as cal
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.state import S
from guidance.services.unit_of_work import unit_of_work

# The county pays the interpreter for referrals under the two acts (DOMAIN.md).
COUNTY_PAYS = (LegalBasis.INTEGRATION_ACT, LegalBasis.TEMPORARY_ACT)
# The bookings that cost the county: asked for or accepted, and a cancelled one the interpreter is
# paid for (cancelled late after accepting: its actual cost is set). Declined and expired ones do not.
BILLABLE = (S.REQUESTED, S.ACCEPTED)


def billable():
    """SQL: the booking costs the county (BILLABLE, or cancelled late and paid for)."""
    from sqlalchemy import and_, or_

    return or_(InterpreterBooking.status.in_(BILLABLE),
               and_(InterpreterBooking.status == S.CANCELLED, InterpreterBooking.actual_cost_ore.is_not(None)))


def outside_billable():
    """SQL: the session's interpreter was arranged outside Veiled (outside.py) and it costs the county:
    the session is booked or was held (a draft, a replaced or a cancelled session is not, so a re-plan
    that keeps the arrangement counts it once). The agreed price is its planned cost; no actual cost is
    recorded for it (no minutes: the agency bills what was agreed), so it is the expected cost too."""
    from sqlalchemy import and_

    from guidance.models import SessionStatus

    return and_(Session.outside_interpreter.is_not(None),
                Session.status.in_((SessionStatus.BOOKED, SessionStatus.COMPLETED)))


def late_cancellation_cost(booking: InterpreterBooking, now=None) -> int | None:
    """What cancelling this booking now costs the county (øre): the booked time (not travel) when the
    interpreter has accepted and the session starts within the county's late-cancellation hours;
    None when cancelling costs nothing."""
    import datetime as dt

    from solver.check import booking_cost

    session = booking.session
    hours = session.run.county.interpreter_late_cancel_hours if session.run is not None else 0
    now = now or utcnow()
    if booking.status is not S.ACCEPTED or not hours or not now < session.start <= now + dt.timedelta(hours=hours):
        return None
    interpreter = booking.interpreter
    return round(booking_cost(booking.billed_minutes, interpreter.hourly_rate_ore / 100,
                              interpreter.min_billed_minutes) * 100)


def bill_late_cancellation(booking: InterpreterBooking) -> None:
    """Part of cancelling an accepted booking (state.transition): a late one keeps the booked time as
    its actual minutes and cost, so the budget and the cost report count what the interpreter bills."""
    cost = late_cancellation_cost(booking)
    if cost is not None:
        booking.actual_minutes, booking.actual_cost_ore = booking.billed_minutes, cost


def county_pays(session: Session) -> bool:
    """The county pays this session's interpreter (`county_pays_for_session` for one loaded session)."""
    return any(sp.referral.legal_basis in COUNTY_PAYS for sp in session.participants)


def county_pays_for_session():
    """SQL: the session has a participant whose interpreter the county pays (an act referral): the
    budget's figures and the cost report count the same bookings."""
    from sqlalchemy import exists

    from guidance.models import Referral, SessionParticipant

    return exists().where(SessionParticipant.session_id == Session.id, SessionParticipant.referral_id == Referral.id,
                          Referral.legal_basis.in_(COUNTY_PAYS))


def planned_cost(session: Session, interpreter: InterpreterProfile, mode: str) -> tuple[int, int, int]:
    """(billed minutes, one-way travel minutes, cost in øre) by the solver's booking-cost rule."""
    from solver.check import booking_cost

    minutes = int((session.end - session.start).total_seconds() // 60)
    travel = 0
    if mode == "onsite":   # the county's known travel time when it gave one (a ferry), as the plans count it
        travel = travel_minutes(interpreter.municipality, session.location.municipality)
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


def record_actual_minutes(actor, booking: InterpreterBooking, minutes: int | None, did_not_come: bool = False) -> None:
    """Use case: the lead records how long an accepted booking actually took, or that the interpreter did not
    come: then nothing is paid (0 minutes had been billed the minimum and the travel, and the budget paid for an
    interpreter nobody saw)."""
    with unit_of_work():
        if booking.status is not S.ACCEPTED:
            raise DomainError(_("Only an accepted booking has actual minutes."), {"minutes": [_("Only an accepted booking has actual minutes.")]})
        if booking.session.start > utcnow():
            raise DomainError(_("Enter the minutes after the session."), {"minutes": [_("Enter the minutes after the session.")]})
        if did_not_come and minutes:   # which is it? 95 minutes were dropped without a word
            message = _("Either the interpreter did not come, or they worked these minutes: not both.")
            raise DomainError(message, {"minutes": [message]})
        if did_not_come:
            booking.actual_minutes, booking.actual_cost_ore = 0, 0
            audit.record(actor, "booking.interpreter_did_not_come", booking)
            return
        if minutes is None:
            raise DomainError(_("Enter the minutes the interpreter worked."),
                              {"minutes": [_("Enter the minutes the interpreter worked, or tick that they did not come.")]})
        if not 0 <= minutes <= 24 * 60:
            raise DomainError(_("Enter minutes between 0 and 1440."), {"minutes": [_("Enter minutes between 0 and 1440.")]})
        booking.actual_minutes = minutes
        booking.actual_cost_ore = actual_cost(booking, minutes)
        audit.record(actor, "booking.actual_minutes", booking, {"minutes": minutes})


def cost_report(county_id: int) -> dict[str, list[tuple[str, int, int | None, int]]]:
    """Planned, actual and expected cost (øre) of the bookings the county pays for (`billable`, for act
    referrals) and of the interpreters arranged outside Veiled (`outside_billable`: their agreed price,
    planned and expected, no actual), per month, interpreter and language:
    {"month": [(key, planned, actual, expected)]}.
    Actual is None while no booking of the row has its minutes recorded; expected is the actual cost
    where recorded, else the planned: what the budget counts (statistics.interpreter_months)."""
    from guidance.models import PlanningRun

    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, billable(), county_pays_for_session())
        .options(selectinload(InterpreterBooking.interpreter).selectinload(InterpreterProfile.user),
                 selectinload(InterpreterBooking.session))
    ).all()
    outside = db.session.scalars(
        select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, outside_billable(), county_pays_for_session())).all()
    groups: dict[str, dict[str, list[int]]] = {"month": {}, "interpreter": {}, "language": {}}

    def add(start, interpreter: str, language: str, cost: int, actual: int | None) -> None:
        keys = {"month": start.astimezone(cal.OSLO).strftime("%Y-%m"), "interpreter": interpreter, "language": language}
        for group, key in keys.items():
            planned, spent, known, expected = groups[group].setdefault(key, [0, 0, 0, 0])
            groups[group][key] = [planned + cost, spent + (actual or 0), known + (actual is not None),
                                  expected + (actual if actual is not None else cost)]

    for b in bookings:
        add(b.session.start, b.interpreter.user.name, b.language, b.cost_ore, b.actual_cost_ore)
    for s in outside:
        add(s.start, _("%(name)s (arranged outside Veiled)", name=s.outside_interpreter), s.language or "",
            s.outside_interpreter_price_ore or 0, None)
    return {group: [(key, v[0], v[1] if v[2] else None, v[3]) for key, v in sorted(rows.items())]
            for group, rows in groups.items()}
