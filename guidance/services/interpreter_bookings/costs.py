"""What interpreting costs: the planned cost of a request, the actual cost from the minutes the lead
records after the session, and the planned-against-actual report."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance.extensions import db
from guidance.models import InterpreterBooking, InterpreterProfile, LegalBasis, Session
from guidance.models.types import utcnow
from guidance.planning.instance import TRAVEL
from guidance.services import audit
from guidance.services import calendar as cal
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.state import S
from guidance.services.unit_of_work import unit_of_work

# The county pays the interpreter for referrals under the two acts (DOMAIN.md).
COUNTY_PAYS = (LegalBasis.INTEGRATION_ACT, LegalBasis.TEMPORARY_ACT)


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


def record_actual_minutes(actor, booking: InterpreterBooking, minutes: int) -> None:
    """Use case: the lead records how long an accepted booking actually took."""
    with unit_of_work():
        if booking.status is not S.ACCEPTED:
            raise DomainError(_("Only an accepted booking has actual minutes."), {"minutes": [_("Only an accepted booking has actual minutes.")]})
        if booking.session.start > utcnow():
            raise DomainError(_("Enter the minutes after the session."), {"minutes": [_("Enter the minutes after the session.")]})
        if not 0 <= minutes <= 24 * 60:
            raise DomainError(_("Enter minutes between 0 and 1440."), {"minutes": [_("Enter minutes between 0 and 1440.")]})
        booking.actual_minutes = minutes
        booking.actual_cost_ore = actual_cost(booking, minutes)
        audit.record(actor, "booking.actual_minutes", booking, {"minutes": minutes})


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
