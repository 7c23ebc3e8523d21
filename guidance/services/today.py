"""The lead's home: what needs the lead today and this week, each with where it is fixed.

One read of the county (`overview`), returned as plain data for the template:
- deadlines at risk (`rules.at_risk` through the queue's own query, so the home and the queue's
  "at risk" filter always list the same referrals); the passed ones and those within
  URGENT_WORKING_DAYS working days are listed;
- interpreter requests for sessions ahead that were declined, expired, or are still unanswered
  with their answer deadline passed or within ANSWER_SOON;
- absences (today or later) that hit published sessions;
- referrals received since the lead's previous visit to the home (the visit is recorded here);
- published sessions of the last two weeks up to yesterday that still lack an outcome;
- the interpreter cost of this month against its budget (`statistics.interpreter_months`), its status
  (within, near, on course to go over, over) from `rules.budget`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, selectinload

from guidance import clock
from guidance.extensions import db
from guidance.models import (
    Absence,
    BookingStatus,
    County,
    CounsellorProfile,
    InterpreterBooking,
    InterpreterProfile,
    Participant,
    PlanningRun,
    Referral,
    ReferralStatus,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.rules import budget as budget_rules
from guidance.rules.access import referral_filter
from guidance.rules.budget import BudgetStatus
from guidance.rules import opening
from guidance.rules.deadlines import working_days_left
from guidance.services import absences as absence_service
from guidance.services import cannot_come, county_day, queue, statistics, to_tell
from guidance.services.interpreter_bookings.state import ANSWER_SOON

SHOWN = 5  # items listed per heading; the rest is a count and a link
URGENT_WORKING_DAYS = 5
FIRST_VISIT_WINDOW = dt.timedelta(days=7)
# Views of the home less than this apart are one visit: the "new" list stays while the lead works
# through it (opens a referral, comes back), and starts afresh at the next visit.
VISIT_GAP = dt.timedelta(minutes=30)
ACTIVE_BOOKINGS = (BookingStatus.REQUESTED, BookingStatus.ACCEPTED)


@dataclass
class DeadlineItem:
    referral_id: int
    reference: str
    name: str
    deadline: dt.date
    days_passed: int | None  # calendar days since a passed deadline
    working_days_left: int | None  # None when passed
    first_session: dt.date | None  # a published session after the deadline, if any


@dataclass
class BookingItem:
    booking_id: int
    session_id: int
    start: dt.datetime  # aware UTC
    language: str
    interpreter: str
    state: str  # "declined" | "withdrawn" (after accepting) | "expired" (no answer, deadline passed) | "due" (answer deadline near)
    answer_deadline: dt.datetime | None


@dataclass
class AbsenceItem:
    absence_id: int
    name: str
    start_date: dt.date
    end_date: dt.date
    sessions: int
    first_start: dt.datetime
    hours: str | None = None  # "10:00–12:00" when away part of the day
    interpreter: bool = False  # an interpreter's: the sessions need another interpreter, not another time


@dataclass
class NewReferral:
    referral_id: int
    reference: str
    name: str
    municipality: str
    received_at: dt.datetime
    received_on: dt.date  # the Oslo date
    status: str = "received"  # the referral's status now: one booked since reads so


@dataclass
class MissingOutcome:
    session_id: int
    run_id: int
    start: dt.datetime
    counsellor: str
    participants: int
    missing: int


@dataclass
class Budget:
    month: dt.date  # first day of this month
    cost_nok: float  # spent and booked for the month
    budget_nok: float | None
    status: BudgetStatus = BudgetStatus.NOT_SET  # rules.budget decides
    projected_nok: float | None = None  # the month's cost at the pace so far (None: too early to say)
    # Later months whose booked cost is already over their budget: (first day, cost, budget). July at 71 934 kr of
    # 60 000 was said nowhere but in the dashboard's table, with no mark.
    later_over: list = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        """The share used, in whole percent; over the budget never reads 100 (160 349 of 160 000 said "100 %" beside
        "Over budget")."""
        if not self.budget_nok:
            return None
        share = round(100 * self.cost_nok / self.budget_nok)
        return max(share, 101) if self.cost_nok > self.budget_nok else min(share, 100)

    @property
    def over(self) -> bool:
        return self.status is BudgetStatus.OVER


@dataclass
class Today:
    """What the lead's home shows; lists hold at most SHOWN items, the totals count them all."""

    today: dt.date
    at_risk_ids: list[int]  # exactly the queue's "at risk" filter, nearest deadline first
    passed: int
    urgent: list[DeadlineItem]
    urgent_total: int
    # Of urgent_total: no session at all (none after the deadline either), the ones to book now. The badge had
    # read "4 passed" of four already booked late, and the one with nothing booked, due today, was a line below.
    urgent_unbooked: int
    bookings: list[BookingItem]
    bookings_total: int
    bookings_waiting: int  # of bookings_total: requests still within their answer time (not yet a problem)
    absences: list[AbsenceItem]
    new_referrals: list[NewReferral]
    new_total: int
    new_booked: int  # of new_total: booked already (by "Finn tid" or a plan published since they came)
    new_since: dt.datetime  # the previous visit (the first visit looks back FIRST_VISIT_WINDOW)
    outcomes: list[MissingOutcome]
    outcomes_total: int
    budget: Budget
    # What stops the next plan (services.readiness); listed while referrals wait, or while the
    # county is still being set up (no usable location or counsellor yet).
    readiness: list = field(default_factory=list)
    setting_up: bool = False
    # Sessions a referrer said the participant cannot come to (services.cannot_come).
    cannot_come: list = field(default_factory=list)
    # Participants the lead tells of a change themselves (services.to_tell), soonest first, all of them:
    # one list of open tasks per participant.
    to_tell: list = field(default_factory=list)
    to_tell_letters: int = 0  # their letters (to_tell.letters_to_send), one PDF
    # Published sessions ahead that a change to places or people broke (readiness.broken_sessions): an
    # administrator's deactivation or role change broke 28 bookings and the home said "on track".
    broken: list = field(default_factory=list)
    # Today's published sessions at every location (not cancelled) and what to act on in them, by
    # problem (services.county_day); the day plan lists them.
    sessions_today: int = 0
    day_problems: dict = field(default_factory=dict)
    next_working_day: dt.date | None = None
    next_day_problems: dict = field(default_factory=dict)  # the same for the next working day
    sessions_next_day: int = 0

    @property
    def week(self) -> int:
        return self.today.isocalendar()[1]

    @property
    def needs_nothing(self) -> bool:
        return not (self.at_risk_ids or self.bookings or self.absences or self.new_referrals or self.outcomes
                    or self.readiness or self.cannot_come or self.day_problems or self.to_tell
                    or self.broken)


def overview(lead: User, all_outcomes: bool = False) -> Today:
    """The lead's to-do overview for today and this week; records this visit (one transaction).
    `all_outcomes` lists every session without its outcome (the card's "And 4 more.")."""
    now = clock.now()
    today = clock.today(now)
    risk_ids, passed, urgent, urgent_total, urgent_unbooked = _deadlines(lead, today)
    waiting = cannot_come.waiting(lead.county_id, now)  # the card, and the day plan's counts
    bookings, bookings_total, bookings_waiting = _bookings(lead.county_id, now)
    since = _new_since(lead, now)
    new, new_total, new_booked = _new_referrals(lead, since)
    outcomes, outcomes_total = _missing_outcomes(lead.county_id, today, None if all_outcomes else SHOWN)
    telling = to_tell.waiting(lead.county_id, now)   # the card, and its letters
    result = Today(today=today, at_risk_ids=risk_ids, passed=passed, urgent=urgent, urgent_total=urgent_total,
                   urgent_unbooked=urgent_unbooked,
                   bookings=bookings, bookings_total=bookings_total, bookings_waiting=bookings_waiting, absences=_absences(lead.county_id, now),
                   new_referrals=new, new_total=new_total, new_booked=new_booked, new_since=since, outcomes=outcomes,
                   outcomes_total=outcomes_total, budget=_budget(lead.county_id, today),
                   cannot_come=waiting, to_tell=to_tell.by_participant(telling),
                   to_tell_letters=len(to_tell.letters_to_send(telling)), broken=_broken(lead),
                   **_day(lead.county_id, now, waiting), **_readiness(lead))
    lead.last_seen_home_at, lead.home_new_since = now, since
    db.session.commit()
    return result


def _day(county_id: int, now: dt.datetime, waiting: list) -> dict:
    """Today's and the next working day's sessions in counts (services.county_day)."""
    today = county_day.day(county_id, clock.today(now), now=now, waiting=waiting)
    following = opening.open_day_after(db.session.get(County, county_id), clock.today(now))
    next_day = county_day.day(county_id, following, now=now, waiting=waiting)
    return {"sessions_today": today.going_ahead, "day_problems": today.problem_counts, "next_working_day": following,
            "next_day_problems": next_day.problem_counts, "sessions_next_day": next_day.going_ahead}


# Problems that mean the county is not set up yet: a new lead's home leads to the set-up.
NOT_SET_UP = ("no_location", "no_counsellor")


def _readiness(lead: User) -> dict:
    """What stops the county's next plan, when referrals wait for one or nothing can be planned yet."""
    from guidance.services import readiness

    if lead.county is None:
        return {}
    result = readiness.check(lead.county)
    setting_up = any(p.kind in NOT_SET_UP for p in result.problems)
    return {"readiness": result.problems if result.open_referrals or setting_up else [], "setting_up": setting_up}


def _broken(lead: User) -> list:
    from guidance.services import readiness

    return readiness.broken_sessions(lead.county) if lead.county is not None else []


def _new_since(lead: User, now: dt.datetime) -> dt.datetime:
    """Where "new referrals" begin for this view: the last view of the previous visit."""
    last = lead.last_seen_home_at
    if last is None:
        return now - FIRST_VISIT_WINDOW
    if now - last < VISIT_GAP and lead.home_new_since is not None:
        return lead.home_new_since  # the same visit: the list stays
    return last


def _deadlines(lead: User, today: dt.date) -> tuple[list[int], int, list[DeadlineItem], int, int]:
    clauses = queue.clauses_for(lead, queue.QueueFilter(), today)
    closed = queue.closure_days_of(lead)
    risk = queue.at_risk_ids(clauses, today, closed)
    if not risk:
        return [], 0, [], 0, 0
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Referral.deadline, Participant.name)
        .join(Referral.participant).where(Referral.id.in_(risk))
        .order_by(Referral.deadline, Referral.id)).all()
    first = queue.first_session_dates(r.id for r in rows)
    items = []
    for r in rows:
        passed = r.deadline < today
        items.append(DeadlineItem(r.id, r.reference, r.name, r.deadline,
                                  (today - r.deadline).days if passed else None,
                                  None if passed else working_days_left(r.deadline, today, closed), first.get(r.id)))
    urgent = [i for i in items if i.days_passed is not None or i.working_days_left <= URGENT_WORKING_DAYS]
    # Nothing booked first, then nearest deadline: a referral with no session at all is the one to act
    # on (the walk of 8 December found them behind "and 3 more", under five already booked late).
    urgent.sort(key=lambda i: i.first_session is not None)
    passed = sum(i.days_passed is not None for i in items)
    unbooked = sum(i.first_session is None for i in urgent)
    return [i.referral_id for i in items], passed, urgent[:SHOWN], len(urgent), unbooked


def _bookings(county_id: int, now: dt.datetime) -> tuple[list[BookingItem], int, int]:
    """The requests to watch: (the first SHOWN, how many, how many of them still wait within their answer time)."""
    other = aliased(InterpreterBooking)
    other_active = exists().where(other.session_id == Session.id, other.status.in_(ACTIVE_BOOKINGS))
    needs = (
        (InterpreterBooking.status == BookingStatus.REQUESTED) & InterpreterBooking.answer_deadline.is_not(None)
        & (InterpreterBooking.answer_deadline <= now + ANSWER_SOON)
    ) | (InterpreterBooking.status.in_((BookingStatus.DECLINED, BookingStatus.EXPIRED)) & ~other_active)
    stmt = (select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
            .join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status == SessionStatus.BOOKED, Session.start > now,
                   needs, Session.outside_interpreter.is_(None))  # arranged outside Veiled: nothing to watch
            .options(selectinload(InterpreterBooking.session),
                     selectinload(InterpreterBooking.interpreter).selectinload(InterpreterProfile.user))
            .order_by(Session.start, Session.id, InterpreterBooking.id.desc()))   # each session's latest first
    from guidance.services.interpreter_bookings.state import withdrawn

    items, seen = [], set()
    found = list(db.session.scalars(stmt))
    gone = withdrawn(b.id for b in found if b.status is BookingStatus.DECLINED)
    for b in found:
        if b.session_id in seen:  # one line per session: its latest trouble is enough
            continue
        seen.add(b.session_id)
        if b.id in gone:
            state = "withdrawn"
        elif b.status is BookingStatus.DECLINED:
            state = "declined"
        elif b.status is BookingStatus.EXPIRED or b.answer_deadline <= now:
            state = "expired"
        else:
            state = "due"
        items.append(BookingItem(b.id, b.session_id, b.session.start, b.language, b.interpreter.user.name, state,
                                 b.answer_deadline))
    return items[:SHOWN], len(items), sum(item.state == "due" for item in items)


def _absences(county_id: int, now: dt.datetime) -> list[AbsenceItem]:
    """Absences hitting published sessions still ahead (those can be moved or given to a colleague)."""
    stmt = (select(Absence).join(User, User.id == Absence.user_id)
            .where(User.county_id == county_id, Absence.end_date >= clock.today(now))
            .options(selectinload(Absence.user)).order_by(Absence.start_date, Absence.id))
    out = []
    for absence in db.session.scalars(stmt):
        hit = [s for s in absence_service.affected_sessions(absence) if s.start > now]
        if hit:
            out.append(AbsenceItem(absence.id, absence.user.name, absence.start_date, absence.end_date, len(hit),
                                   hit[0].start, absence_service.hours_text(absence) if absence.part_day else None,
                                   absence.user.interpreter is not None and absence.user.counsellor is None))
    return out


BOOKED_OR_HELD = (ReferralStatus.BOOKED, ReferralStatus.COMPLETED, ReferralStatus.NOTE_SHARED)


def _new_referrals(lead: User, since: dt.datetime) -> tuple[list[NewReferral], int, int]:
    """The referrals received since `since` (the newest SHOWN), how many, and how many of them are booked
    already: the card's count alone read as that many still to book."""
    clauses = [referral_filter(lead), Referral.created_at > since]
    total, booked = db.session.execute(select(
        func.count(), func.count().filter(Referral.status.in_(BOOKED_OR_HELD))).select_from(Referral).where(*clauses)).one()
    rows = db.session.scalars(select(Referral).where(*clauses)
                              .options(selectinload(Referral.participant), selectinload(Referral.referring_municipality))
                              .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(SHOWN))
    return [NewReferral(r.id, r.reference, r.participant.name, r.referring_municipality.name, r.created_at,
                        clock.local_date(r.created_at), r.status.value) for r in rows], total, booked


OUTCOME_LOOK_BACK_DAYS = 14


def outcome_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The two weeks up to yesterday. "Yesterday and earlier this week" emptied the card every Monday: last
    week's sessions without an outcome dropped off unrecorded (the deadline statistics count them)."""
    yesterday = today - dt.timedelta(days=1)
    return yesterday - dt.timedelta(days=OUTCOME_LOOK_BACK_DAYS - 1), yesterday


def _missing_outcomes(county_id: int, today: dt.date, shown: int | None) -> tuple[list[MissingOutcome], int]:
    first, last = outcome_window(today)
    start, end = clock.oslo_days(first, last)
    missing = exists().where(SessionParticipant.session_id == Session.id, SessionParticipant.outcome.is_(None))
    stmt = (select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
            .where(PlanningRun.county_id == county_id, Session.status == SessionStatus.BOOKED,
                   Session.start >= start, Session.start < end, missing)
            .options(selectinload(Session.participants))
            .order_by(Session.start, Session.id))
    sessions = list(db.session.scalars(stmt))
    names = dict(db.session.execute(
        select(CounsellorProfile.id, User.name).join(User, User.id == CounsellorProfile.user_id)
        .where(CounsellorProfile.id.in_({s.counsellor_id for s in sessions[:shown]}))).all())
    return [MissingOutcome(s.id, s.run_id, s.start, names.get(s.counsellor_id, ""), len(s.participants),
                           sum(sp.outcome is None for sp in s.participants)) for s in sessions[:shown]], len(sessions)


def _budget(county_id: int, today: dt.date) -> Budget:
    month = statistics.period_of(today, "month")
    months = statistics.interpreter_months(county_id)
    later_over = [(dt.date.fromisoformat(m["month"] + "-01"), m["cost_nok"], m["budget_nok"]) for m in months
                  if m["month"] > month and budget_rules.is_over(m["budget_nok"], m["cost_nok"])]
    row = next((m for m in months if m["month"] == month), None)
    if row is None:
        return Budget(today.replace(day=1), 0.0, None, later_over=later_over)
    first = today.replace(day=1)
    # The pace reads the sessions of the days gone (held, or paid as cancelled late); today's are still ahead.
    spent = statistics.interpreter_cost_between(county_id, *clock.oslo_days(first, today - dt.timedelta(days=1)))
    projected = budget_rules.projected_cost(spent, today)
    return Budget(first, row["cost_nok"], row["budget_nok"],
                  budget_rules.status(row["budget_nok"], row["cost_nok"], spent, today),
                  round(projected, -2) if projected is not None else None,  # "about": to the hundred kroner
                  later_over=later_over)
