"""The numbers no one had (DOMAIN.md): referrals received, booked and completed; deadline
compliance; the at-risk list; interpreter hours and cost against the budget; counsellor load.

Definitions (shown on the dashboard too):
- received: referrals by the month they arrived (created_at, Oslo time);
- booked: referrals by the month of their first published session (booked or held);
- completed: referrals completed (or with the note shared) by the month they were closed;
- guided within the deadline: an Integration Act referral whose deadline has passed and whose
  first held session (not a no-show) was on or before the deadline.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance.extensions import db
from guidance.models import (
    OPEN_STATUSES,
    BookingStatus,
    CounsellorProfile,
    InterpreterBooking,
    InterpreterBudget,
    LegalBasis,
    Municipality,
    Outcome,
    Participant,
    PlanningRun,
    Referral,
    ReferralStatus,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.planning.ids import local_today, to_local
from guidance.rules.at_risk import is_at_risk
from guidance.rules.deadlines import working_days_between

LIVE = (SessionStatus.BOOKED, SessionStatus.COMPLETED)
DONE = (ReferralStatus.COMPLETED, ReferralStatus.NOTE_SHARED)
BILLABLE = (BookingStatus.REQUESTED, BookingStatus.ACCEPTED)
DIMENSIONS = ("municipality", "language", "legal_basis")


def period_of(day: dt.date, granularity: str) -> str:
    """'2027-03' for a month, '2027-Q1' for a quarter."""
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@dataclass(frozen=True)
class ReferralRow:
    """What the figures read of a referral: plain columns, one query for the whole county (no
    2,000 ORM objects with their participants; names are not needed here)."""

    id: int
    reference: str
    status: ReferralStatus
    legal_basis: LegalBasis
    deadline: dt.date | None
    language: str
    municipality_name: str


@dataclass
class ReferralFacts:
    referral: ReferralRow
    received: dt.date
    first_session: dt.date | None
    first_held: dt.date | None
    completed: dt.date | None


def referral_facts(county_id: int, today: dt.date | None = None) -> list[ReferralFacts]:
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Referral.status, Referral.legal_basis, Referral.deadline,
               Referral.created_at, Referral.closed_at, Referral.updated_at, Participant.language, Municipality.name)
        .join(Participant, Participant.id == Referral.participant_id)
        .join(Municipality, Municipality.id == Referral.referring_municipality_id)
        .where(Referral.county_id == county_id)).all()
    sessions: dict[int, list[tuple[dt.date, Outcome | None, SessionStatus]]] = defaultdict(list)
    stmt = (select(SessionParticipant.referral_id, Session.start, SessionParticipant.outcome, Session.status)
            .join(Session, Session.id == SessionParticipant.session_id)
            .join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status.in_(LIVE)))
    for referral_id, start, outcome, status in db.session.execute(stmt):
        sessions[referral_id].append((to_local(start).date(), outcome, status))
    now = today or local_today()
    out = []
    for (referral_id, reference, status, basis, deadline, created_at, closed_at, updated_at, language,
         municipality_name) in rows:
        r = ReferralRow(referral_id, reference, ReferralStatus(status), LegalBasis(basis), deadline, language,
                        municipality_name)
        mine = sorted(sessions.get(r.id, []))
        held = [d for d, outcome, status in mine
                if d <= now and outcome not in (Outcome.NO_SHOW, Outcome.CANCELLED_LATE)]
        completed = None
        if r.status in DONE:
            completed = to_local(closed_at or updated_at).date()
        out.append(ReferralFacts(r, to_local(created_at).date(), mine[0][0] if mine else None,
                                 held[0] if held else None, completed))
    return out


def _group(facts: ReferralFacts, dimension: str) -> str:
    r = facts.referral
    if dimension == "language":
        return r.language
    if dimension == "legal_basis":
        return str(r.legal_basis)
    return r.municipality_name


def referral_counts(facts: list[ReferralFacts], dimension: str, granularity: str) -> list[dict]:
    """Rows {period, group, received, booked, completed}, ordered by period then group."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for f in facts:
        group = _group(f, dimension)
        counts[(period_of(f.received, granularity), group)]["received"] += 1
        if f.first_session:
            counts[(period_of(f.first_session, granularity), group)]["booked"] += 1
        if f.completed:
            counts[(period_of(f.completed, granularity), group)]["completed"] += 1
    return [{"period": p, "group": g, "received": c["received"], "booked": c["booked"], "completed": c["completed"]}
            for (p, g), c in sorted(counts.items())]


def period_totals(rows: list[dict]) -> list[dict]:
    totals: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        for key in ("received", "booked", "completed"):
            totals[row["period"]][key] += row[key]
    return [{"period": p, **c} for p, c in sorted(totals.items())]


def deadline_compliance(facts: list[ReferralFacts], today: dt.date) -> dict:
    """Integration Act referrals whose deadline has passed: how many were guided in time."""
    due = [f for f in facts if f.referral.legal_basis is LegalBasis.INTEGRATION_ACT and f.referral.deadline
           and f.referral.deadline < today and f.referral.status is not ReferralStatus.WITHDRAWN]
    in_time = [f for f in due if f.first_held is not None and f.first_held <= f.referral.deadline]
    return {"due": len(due), "in_time": len(in_time), "ratio": round(len(in_time) / len(due), 4) if due else None}


def at_risk(facts: list[ReferralFacts], today: dt.date) -> list[dict]:
    """Referrals at risk (rules.at_risk), nearest deadline first."""
    out = []
    for f in facts:
        r = f.referral
        if not is_at_risk(is_open=r.status in OPEN_STATUSES, deadline=r.deadline, first_session=f.first_session,
                          today=today):
            continue
        left = working_days_between(today, r.deadline) if r.deadline >= today else -1
        out.append({"referral": r, "deadline": r.deadline, "working_days_left": left,
                    "first_session": f.first_session})
    return sorted(out, key=lambda row: (row["deadline"], row["referral"].id))


def interpreter_months(county_id: int) -> list[dict]:
    """Per month of the session: booked interpreter hours and cost (NOK) against the budget."""
    # Columns, not bookings: a county's thousands of bookings would each become an ORM object.
    stmt = (select(InterpreterBooking.actual_minutes, InterpreterBooking.billed_minutes,
                   InterpreterBooking.actual_cost_ore, InterpreterBooking.cost_ore, Session.start)
            .join(Session, Session.id == InterpreterBooking.session_id)
            .join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, InterpreterBooking.status.in_(BILLABLE)))
    minutes: Counter = Counter()
    cost: Counter = Counter()
    for actual_minutes, billed_minutes, actual_cost_ore, cost_ore, start in db.session.execute(stmt):
        month = period_of(to_local(start).date(), "month")
        minutes[month] += actual_minutes if actual_minutes is not None else billed_minutes
        cost[month] += actual_cost_ore if actual_cost_ore is not None else cost_ore
    budgets = {period_of(b.month, "month"): b.amount_ore for b in
               db.session.scalars(select(InterpreterBudget).where(InterpreterBudget.county_id == county_id))}
    months = sorted(set(minutes) | set(budgets))
    return [{"month": m, "hours": round(minutes[m] / 60, 2), "cost_nok": round(cost[m] / 100, 2),
             "budget_nok": round(budgets[m] / 100, 2) if m in budgets else None} for m in months]


def counsellor_load(county_id: int) -> list[dict]:
    """Published sessions per counsellor and month."""
    stmt = (select(Session.counsellor_id, Session.start)
            .join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status.in_(LIVE)))
    load: Counter = Counter()
    for counsellor_id, start in db.session.execute(stmt):
        load[(counsellor_id, period_of(to_local(start).date(), "month"))] += 1
    names = {c.id: c.user.name for c in db.session.scalars(
        select(CounsellorProfile).options(selectinload(CounsellorProfile.user)))}
    return [{"counsellor": names.get(cid, str(cid)), "month": month, "sessions": n}
            for (cid, month), n in sorted(load.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1]))]


def set_budget(lead, month: dt.date, amount_nok: float) -> InterpreterBudget:
    """Set (or change) the interpreter budget of one month."""
    from guidance.services import audit

    first = month.replace(day=1)
    budget = db.session.scalar(select(InterpreterBudget).where(InterpreterBudget.county_id == lead.county_id,
                                                               InterpreterBudget.month == first))
    if budget is None:
        budget = InterpreterBudget(county_id=lead.county_id, month=first, amount_ore=0)
        db.session.add(budget)
    budget.amount_ore = round(amount_nok * 100)
    db.session.flush()
    audit.record(lead, "dashboard.budget_set", budget, {"month": first.isoformat(), "amount_ore": budget.amount_ore})
    db.session.commit()
    return budget
