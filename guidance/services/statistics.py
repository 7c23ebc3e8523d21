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
import functools
from collections import Counter, defaultdict
from typing import NamedTuple

from sqlalchemy import and_, case, func, null, or_, select, type_coerce

from guidance.extensions import db
from guidance.models import (
    MISSED,
    OPEN_STATUSES,
    CounsellorProfile,
    InterpreterBooking,
    InterpreterBudget,
    LegalBasis,
    Municipality,
    Participant,
    PlanningRun,
    Referral,
    ReferralStatus,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.models.types import UTCDateTime
from guidance.planning.ids import clock, local_today, to_local, to_utc
from guidance.rules.at_risk import is_at_risk
from guidance.rules.deadlines import guided_in_time, working_days_between
from guidance.services.interpreter_bookings.costs import billable, county_pays_for_session, outside_billable

LIVE = (SessionStatus.BOOKED, SessionStatus.COMPLETED)
DONE = (ReferralStatus.COMPLETED, ReferralStatus.NOTE_SHARED)
DIMENSIONS = ("municipality", "language", "legal_basis")


def period_of(day: dt.date, granularity: str) -> str:
    """'2027-03' for a month, '2027-Q1' for a quarter."""
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def oslo_months(first: dt.datetime, last: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """Each Oslo month from the one of `first` to the one of `last`: its label ('2027-03') and its
    first instant (UTC), converted by the one conversion (planning.ids)."""
    day, end = to_local(first).date().replace(day=1), to_local(last).date()
    months = []
    while day <= end:
        months.append((period_of(day, "month"), to_utc(dt.datetime.combine(day, dt.time()))))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def oslo_month(instant, months: list[tuple[str, dt.datetime]]):
    """SQL: the Oslo month ('2027-03') of an instant column, compared with each month's first instant
    (`oslo_months`), so a database groups by Oslo month with no time-zone data of its own (SQLite has
    none). NULL for an instant before the first month."""
    return case(*[(instant >= begins, label) for label, begins in reversed(months)], else_=null())


def _span(*columns) -> tuple[dt.datetime, dt.datetime] | None:
    """The earliest and latest of some instant columns' (min, max) pairs, ignoring NULLs."""
    values = [v for v in columns if v is not None]
    return (min(values), max(values)) if values else None


def _session_starts(county_id: int) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and last start of any session of the county's runs: the months every figure about
    sessions falls in (one cheap query on the run's index, whatever the figure's own filter)."""
    return tuple(db.session.execute(select(func.min(Session.start), func.max(Session.start))
                                    .join(PlanningRun, PlanningRun.id == Session.run_id)
                                    .where(PlanningRun.county_id == county_id)).one())


class ReferralRow(NamedTuple):
    """What the figures read of a referral: plain columns, one query for the whole county (no
    2,000 ORM objects with their participants; names are not needed here). Tuples: 2,000 are made
    a page."""

    id: int
    reference: str
    status: ReferralStatus
    legal_basis: LegalBasis
    deadline: dt.date | None
    language: str
    municipality_name: str


class ReferralFacts(NamedTuple):
    """A referral's figures. Months are Oslo months ('2027-03'): `received` when it arrived, `booked`
    of its first published session, `completed` when it was closed; the first session and the first
    held one (not a no-show) as Oslo dates."""

    referral: ReferralRow
    received: str
    booked: str | None
    completed: str | None
    first_session: dt.date | None
    first_held: dt.date | None
    # The first held session has started but its outcome is not recorded yet: counted as held, said so (a no-show
    # recorded later takes it back).
    awaiting_outcome: bool = False
    received_on: dt.date | None = None   # the Oslo day the referral arrived (its waiting time starts)


def referral_facts(county_id: int, today: dt.date | None = None) -> list[ReferralFacts]:
    """The county's referrals with their figures: one row per referral, the sessions aggregated and the
    months worked out by the database (no row per session, no instant converted per row in Python)."""
    now = today or local_today()
    # Held: started (as the referral page counts it, referral_reading.first_held_days) and not a no-show; for a
    # past `today`, by the end of that day. Today's 09:30 session at 03:15 was listed as "first session held".
    started_by = clock() if now == local_today() else to_utc(dt.datetime.combine(now + dt.timedelta(days=1), dt.time()))
    held = or_(SessionParticipant.outcome.is_(None), SessionParticipant.outcome.not_in(MISSED))
    firsts = (select(SessionParticipant.referral_id.label("referral_id"),
                     func.min(Session.start).label("first"),
                     func.min(case((and_(Session.start <= started_by, held), Session.start))).label("held"),
                     func.min(case((and_(Session.start <= started_by, SessionParticipant.outcome.is_(None)),
                                    Session.start))).label("pending"))
              .join(Session, Session.id == SessionParticipant.session_id)
              .join(PlanningRun, PlanningRun.id == Session.run_id)
              .where(PlanningRun.county_id == county_id, Session.status.in_(LIVE))
              .group_by(SessionParticipant.referral_id).subquery())
    first_start = type_coerce(firsts.c.first, UTCDateTime())
    first_held = type_coerce(firsts.c.held, UTCDateTime())
    first_pending = type_coerce(firsts.c.pending, UTCDateTime())
    closed = func.coalesce(Referral.closed_at, Referral.updated_at)
    mine = Referral.county_id == county_id
    span = _span(*db.session.execute(
        select(func.min(Referral.created_at), func.max(Referral.created_at), func.min(closed), func.max(closed))
        .where(mine)).one(), *_session_starts(county_id))
    if span is None:
        return []
    months = oslo_months(*span)
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Referral.status, Referral.legal_basis, Referral.deadline,
               Referral.created_at,
               Participant.language, Municipality.name, oslo_month(Referral.created_at, months),
               oslo_month(first_start, months), oslo_month(closed, months), first_start, first_held, first_pending)
        .join(Participant, Participant.id == Referral.participant_id)
        .join(Municipality, Municipality.id == Referral.referring_municipality_id)
        .join(firsts, firsts.c.referral_id == Referral.id, isouter=True)
        .where(mine))
    local_date = functools.lru_cache(maxsize=None)(lambda instant: to_local(instant).date())  # slot times repeat
    out = []
    for (referral_id, reference, status, basis, deadline, created_at, language, municipality_name, received, booked,
         closed_in, first, first_held_at, first_pending_at) in rows:
        r = ReferralRow(referral_id, reference, status, basis, deadline, language, municipality_name)
        out.append(ReferralFacts(r, received, booked, closed_in if status in DONE else None,
                                 local_date(first) if first else None,
                                 local_date(first_held_at) if first_held_at else None,
                                 first_held_at is not None and first_pending_at == first_held_at,
                                 to_local(created_at).date() if created_at else None))
    return out


@functools.lru_cache(maxsize=1024)
def _period(month: str, granularity: str) -> str:
    """A month label ('2027-03') as the period of `granularity` ('2027-03' or '2027-Q1')."""
    year, number = month.split("-")
    return period_of(dt.date(int(year), int(number), 1), granularity)


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
        counts[(_period(f.received, granularity), group)]["received"] += 1
        if f.booked:
            counts[(_period(f.booked, granularity), group)]["booked"] += 1
        if f.completed:
            counts[(_period(f.completed, granularity), group)]["completed"] += 1
    return [{"period": p, "group": g, "received": c["received"], "booked": c["booked"], "completed": c["completed"]}
            for (p, g), c in sorted(counts.items())]


def period_totals(rows: list[dict]) -> list[dict]:
    totals: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        for key in ("received", "booked", "completed"):
            totals[row["period"]][key] += row[key]
    return [{"period": p, **c} for p, c in sorted(totals.items())]


WAITING_LOOK_BACK_DAYS = 90


def waiting_time(facts: list[ReferralFacts], today: dt.date) -> dict:
    """How long participants waited, in days, from the referral's arrival to their first session held, for those
    whose first session was held in the last WAITING_LOOK_BACK_DAYS: the median and the longest (the director asked
    how long people wait; the pages counted deadlines only)."""
    since = today - dt.timedelta(days=WAITING_LOOK_BACK_DAYS)
    days = sorted((f.first_held - f.received_on).days for f in facts
                  if f.first_held and f.received_on and since <= f.first_held <= today
                  and f.referral.status is not ReferralStatus.WITHDRAWN)
    if not days:
        return {"count": 0, "median": None, "longest": None, "since": since}
    middle = len(days) // 2
    median = days[middle] if len(days) % 2 else round((days[middle - 1] + days[middle]) / 2)
    return {"count": len(days), "median": median, "longest": days[-1], "since": since}


def deadline_compliance(facts: list[ReferralFacts], today: dt.date) -> dict:
    """Integration Act referrals whose deadline has passed: how many were guided in time."""
    due = [f for f in facts if f.referral.legal_basis is LegalBasis.INTEGRATION_ACT and f.referral.deadline
           and f.referral.deadline < today and f.referral.status is not ReferralStatus.WITHDRAWN]
    in_time = [f for f in due if guided_in_time(f.referral.deadline, f.first_held)]
    # Who was not guided in time, latest deadline first: the figure alone named nobody to follow up.
    kept = {f.referral.id for f in in_time}
    late = sorted((f for f in due if f.referral.id not in kept), key=lambda f: (f.referral.deadline, f.referral.id),
                  reverse=True)
    return {"due": len(due), "in_time": len(in_time), "ratio": round(len(in_time) / len(due), 4) if due else None,
            # Counted as guided in time on a session whose outcome is not recorded yet.
            "in_time_awaiting": sum(1 for f in in_time if f.awaiting_outcome),
            "late": [{"referral": f.referral, "deadline": f.referral.deadline, "first_held": f.first_held,
                      "awaiting_outcome": f.awaiting_outcome,
                      "days_late": (f.first_held - f.referral.deadline).days if f.first_held else None,
                      # Not held yet, but booked (today, later): the lead sees it is in hand.
                      "booked_for": f.first_session if not f.first_held and f.first_session
                      and f.first_session >= today else None}
                     for f in late]}


def at_risk(facts: list[ReferralFacts], today: dt.date, closed=()) -> list[dict]:
    """Referrals at risk (rules.at_risk), nearest deadline first; `closed`: the county's closure days."""
    out = []
    for f in facts:
        r = f.referral
        if not is_at_risk(is_open=r.status in OPEN_STATUSES, deadline=r.deadline, first_session=f.first_session,
                          today=today, closed=closed):
            continue
        left = working_days_between(today, r.deadline, closed) if r.deadline >= today else -1
        out.append({"referral": r, "deadline": r.deadline, "working_days_left": left,
                    "first_session": f.first_session})
    # The lead acts on these now, by name (a list of references told them nobody they knew); few rows.
    names = dict(db.session.execute(select(Referral.id, Participant.name).join(Referral.participant)
                                    .where(Referral.id.in_([row["referral"].id for row in out] or [0]))).all())
    for row in out:
        row["name"] = names.get(row["referral"].id, "")
    return sorted(out, key=lambda row: (row["deadline"], row["referral"].id))


def interpreter_months(county_id: int) -> list[dict]:
    """Per month of the session: booked interpreter hours and cost (NOK) against the budget: the bookings
    the county pays for (act referrals, asked or accepted, or cancelled late and paid), the actual minutes
    and cost where recorded, and the interpreters arranged outside Veiled for such sessions
    (`costs.outside_billable`: the session's length and the agreed price)."""
    paid = (select(Session.start).join(InterpreterBooking, InterpreterBooking.session_id == Session.id)
                .join(PlanningRun, PlanningRun.id == Session.run_id)
                .where(PlanningRun.county_id == county_id, billable(), county_pays_for_session()))
    minutes: dict[str, int] = {}
    cost: dict[str, int] = {}
    span = _span(*_session_starts(county_id))
    if span is not None:
        # Summed per Oslo month by the database: a county's thousands of bookings stay there. (Grouped
        # outside: PostgreSQL does not see a CASE with parameters in GROUP BY as the selected one.)
        rows = paid.with_only_columns(
            oslo_month(Session.start, oslo_months(*span)).label("month"),
            func.coalesce(InterpreterBooking.actual_minutes, InterpreterBooking.billed_minutes).label("minutes"),
            func.coalesce(InterpreterBooking.actual_cost_ore, InterpreterBooking.cost_ore).label("cost")).subquery()
        stmt = (select(rows.c.month, func.sum(rows.c.minutes), func.sum(rows.c.cost)).group_by(rows.c.month))
        for label, month_minutes, month_cost in db.session.execute(stmt):
            minutes[label], cost[label] = int(month_minutes), int(month_cost)
        # A handful a month: summed here, by the same Oslo months.
        for start, end, price in db.session.execute(
                select(Session.start, Session.end, Session.outside_interpreter_price_ore)
                .join(PlanningRun, PlanningRun.id == Session.run_id)
                .where(PlanningRun.county_id == county_id, outside_billable(), county_pays_for_session())):
            label = period_of(to_local(start).date(), "month")
            minutes[label] = minutes.get(label, 0) + int((end - start).total_seconds() // 60)
            cost[label] = cost.get(label, 0) + (price or 0)
    budgets = {period_of(b.month, "month"): b.amount_ore for b in
               db.session.scalars(select(InterpreterBudget).where(InterpreterBudget.county_id == county_id))}
    months = sorted(set(minutes) | set(budgets))
    return [{"month": m, "hours": round(minutes.get(m, 0) / 60, 2), "cost_nok": round(cost.get(m, 0) / 100, 2),
             "budget_nok": round(budgets[m] / 100, 2) if m in budgets else None} for m in months]


def over_budget(county_id: int, month: dt.date) -> tuple[float, float] | None:
    """(booked cost, budget) in NOK of a month whose booked interpreter cost is over its budget, else None."""
    from guidance.rules.budget import is_over

    row = next((m for m in interpreter_months(county_id) if m["month"] == month.strftime("%Y-%m")), None)
    return (row["cost_nok"], row["budget_nok"]) if row is not None and is_over(row["budget_nok"], row["cost_nok"]) \
        else None


def interpreter_cost_between(county_id: int, start: dt.datetime, end: dt.datetime) -> float:
    """The interpreter cost (NOK) of the sessions starting in [start, end), counted as `interpreter_months`
    counts a month: the lead's home uses it for the month's cost so far (rules.budget's pace)."""
    total = db.session.scalar(
        select(func.sum(func.coalesce(InterpreterBooking.actual_cost_ore, InterpreterBooking.cost_ore)))
        .join(Session, Session.id == InterpreterBooking.session_id).join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, billable(), county_pays_for_session(),
               Session.start >= start, Session.start < end))
    return round((total or 0) / 100, 2)


def counsellor_load(county_id: int) -> list[dict]:
    """Published sessions per counsellor and month."""
    live = (select(Session.start).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status.in_(LIVE)))
    span = _span(*_session_starts(county_id))
    if span is None:
        return []
    rows = live.with_only_columns(Session.counsellor_id.label("counsellor_id"),
                                  oslo_month(Session.start, oslo_months(*span)).label("month")).subquery()
    load = {(counsellor_id, label): n for counsellor_id, label, n in db.session.execute(
        select(rows.c.counsellor_id, rows.c.month, func.count()).group_by(rows.c.counsellor_id, rows.c.month))}
    names = dict(db.session.execute(select(CounsellorProfile.id, User.name)
                                    .join(User, User.id == CounsellorProfile.user_id)
                                    .where(CounsellorProfile.id.in_({cid for cid, _month in load}))).all())
    return [{"counsellor": names.get(cid, str(cid)), "month": month, "sessions": n}
            for (cid, month), n in sorted(load.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1]))]


def attendance(county_id: int, now: dt.datetime | None = None) -> list[dict]:
    """Per Oslo month, the participants' places in sessions that have started: held (came), did not come, cancelled
    late, and those whose outcome is not recorded yet (the director asked how many came; a group counts each
    participant). Months with none are left out."""
    now = now or clock()
    span = _span(*_session_starts(county_id))
    if span is None:
        return []
    rows = (select(oslo_month(Session.start, oslo_months(*span)).label("month"), SessionParticipant.outcome)
            .join(SessionParticipant, SessionParticipant.session_id == Session.id)
            .join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status.in_(LIVE), Session.start <= now)).subquery()
    out: dict[str, dict] = {}
    for month, outcome, n in db.session.execute(
            select(rows.c.month, rows.c.outcome, func.count()).group_by(rows.c.month, rows.c.outcome)):
        row = out.setdefault(month, {"month": month, "attended": 0, "no_show": 0, "cancelled_late": 0, "awaiting": 0})
        row[outcome.value if outcome is not None else "awaiting"] += n
    return [out[month] for month in sorted(out)]


def idle_counsellors(county_id: int) -> list[CounsellorProfile]:
    """Active counsellors with no published session at all: capacity the load table cannot show (three
    counsellors without multicultural training sat idle for five weeks while the queue waited)."""
    busy = (select(Session.counsellor_id).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status.in_(LIVE)))
    return list(db.session.scalars(
        select(CounsellorProfile).join(User, User.id == CounsellorProfile.user_id)
        .where(User.county_id == county_id, User.active.is_(True), CounsellorProfile.active.is_(True),
               CounsellorProfile.id.notin_(busy))
        .order_by(User.name)))


def budget_of(county_id: int, month: dt.date) -> float | None:
    """The month's interpreter budget in NOK, None when none is set."""
    ore = db.session.scalar(select(InterpreterBudget.amount_ore).where(
        InterpreterBudget.county_id == county_id, InterpreterBudget.month == month.replace(day=1)))
    return ore / 100 if ore is not None else None


def set_budget(lead, month: dt.date, amount_nok: float) -> InterpreterBudget:
    """Use case (the dashboard): set (or change) the interpreter budget of one month."""
    from guidance.services import setup

    budget = setup.set_budget(lead, lead.county, month, amount_nok, action="dashboard.budget_set")
    db.session.commit()
    return budget
