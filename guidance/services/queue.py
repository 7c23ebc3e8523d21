"""The centre's queue: open referrals a user may see, filtered, counted and paged.

The queries live here so the queue page, its CSV export and the lead's home count the same
referrals; "at risk" is `rules.at_risk.is_at_risk`, applied to the referrals whose deadline the
database already found near enough.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from guidance import languages
from guidance.clock import oslo_days
from guidance.extensions import db
from guidance.models import (
    Municipality,
    Participant,
    Referral,
    ReferralStatus,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.models.referral import OPEN_STATUSES
from guidance.planning.ids import to_local
from guidance.rules.access import referral_filter
from guidance.rules.at_risk import is_at_risk
from guidance.rules.deadlines import at_risk_cutoff
from guidance.services.referral_reading import SHOWN_ONLY, sessions_giving_needs, shown_status_clauses

PAGE_SIZE = 50
LEGAL_BASES = ("integration_act", "temporary_act", "ordinary")
PUBLISHED = (SessionStatus.BOOKED, SessionStatus.COMPLETED)


ARRIVED_DAYS = {"today": 0, "week": 6}   # the arrival filter: days back from today (Oslo)


@dataclass
class QueueFilter:
    """What the lead chose; values that are not a choice are dropped (the form shows "All")."""

    municipality: int | None = None
    language: str = ""
    basis: str = ""
    status: str = ""
    at_risk: bool = False
    # "today" or "week" (the last seven days): a settlement wave's 45 referrals among the rest of the queue.
    arrived: str = ""

    def __post_init__(self):
        self.arrived = self.arrived if self.arrived in ARRIVED_DAYS else ""
        self.language = (self.language or "").strip()
        self.basis = self.basis if self.basis in LEGAL_BASES else ""
        self.status = self.status if self.status in {s.value for s in OPEN_STATUSES} | set(SHOWN_ONLY) else ""


@dataclass
class QueuePage:
    rows: list[Referral]
    total: int
    page: int
    pages: int
    counts: dict = field(default_factory=dict)
    at_risk: set[int] = field(default_factory=set)  # of the rows: booked late or not at all, deadline near


def first_session_dates(referral_ids: Iterable[int]) -> dict[int, dt.date]:
    """The Oslo date of each referral's first published session (booked or held)."""
    ids = list(referral_ids)
    if not ids:
        return {}
    stmt = (select(SessionParticipant.referral_id, func.min(Session.start))
            .join(Session, Session.id == SessionParticipant.session_id)
            .where(SessionParticipant.referral_id.in_(ids), Session.status.in_(PUBLISHED))
            .group_by(SessionParticipant.referral_id))
    return {referral_id: to_local(start).date() for referral_id, start in db.session.execute(stmt)}


def still_to_book(referrals: Iterable[Referral]) -> dict[int, list[str]]:
    """For each booked referral among `referrals`, the kinds of guidance it needs that have no booked
    or held session yet (a referral reads "booked" with its first session booked and the group
    still to plan); referrals with nothing left out are not in the answer."""
    booked = {r.id: r for r in referrals if r.status is ReferralStatus.BOOKED}
    covered: dict[int, set[str]] = {}
    for referral_id, session in sessions_giving_needs(booked):
        covered.setdefault(referral_id, set()).add(session.type)
    out = {}
    for referral_id, referral in booked.items():
        missing = [need for need in referral.needs or [] if need not in covered.get(referral_id, set())]
        if missing:
            out[referral_id] = missing
    return out


def closure_days_of(user) -> tuple:
    """The closure days of the user's county (not working days for its centres), for "at risk" and the working
    days left: a lead's own county, a referrer's municipality's; none for a user without either."""
    municipality = getattr(user, "municipality", None)
    county = getattr(user, "county", None) or (municipality.county if municipality is not None else None)
    return tuple(county.closure_days or ()) if county is not None else ()


def at_risk_ids(clauses: list, today: dt.date, closed=()) -> list[int]:
    """Ids of the referrals among `clauses` that are at risk today (rules.at_risk); `closed`: the county's closure
    days."""
    return [referral_id for referral_id, _deadline in _at_risk(clauses, today, closed)]


def _at_risk(clauses: list, today: dt.date, closed=()) -> list[tuple[int, dt.date]]:
    """(id, deadline) of the referrals among `clauses` that are at risk today (rules.at_risk)."""
    candidates = db.session.execute(
        select(Referral.id, Referral.deadline, Referral.status).join(Referral.participant)
        .where(*clauses, Referral.deadline.is_not(None),
               Referral.deadline <= at_risk_cutoff(today, closed=closed))).all()
    first = first_session_dates(r.id for r in candidates)
    return [(r.id, r.deadline) for r in candidates
            if is_at_risk(is_open=r.status in OPEN_STATUSES, deadline=r.deadline, first_session=first.get(r.id),
                          today=today, closed=closed)]


def clauses_for(user, chosen: QueueFilter, today: dt.date) -> list:
    """WHERE clauses for the open referrals `user` may see, narrowed by `chosen`."""
    clauses = [referral_filter(user), Referral.status.in_(OPEN_STATUSES)]
    if chosen.municipality:
        clauses.append(Referral.referring_municipality_id == chosen.municipality)
    if chosen.language:
        clauses.append(Participant.language == chosen.language)
    if chosen.basis:
        clauses.append(Referral.legal_basis == chosen.basis)
    if chosen.status:
        clauses += shown_status_clauses(chosen.status)
    if chosen.arrived:
        first = today - dt.timedelta(days=ARRIVED_DAYS[chosen.arrived])
        clauses.append(Referral.created_at >= oslo_days(first, today)[0])
    if chosen.at_risk:
        clauses.append(Referral.id.in_(at_risk_ids(clauses, today, closure_days_of(user))))
    return clauses


def _base(clauses):
    return select(Referral).join(Referral.participant).where(*clauses)


def _by_deadline(stmt):
    return stmt.order_by(Referral.deadline.is_(None), Referral.deadline, Referral.id)


def queue_page(user, chosen: QueueFilter, page: int, today: dt.date) -> QueuePage:
    """One page of the queue, nearest deadline first, with the counts shown above it."""
    clauses = clauses_for(user, chosen, today)
    total = db.session.scalar(select(func.count()).select_from(_base(clauses).subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(_by_deadline(_base(clauses)).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    risk = _at_risk(clauses, today, closure_days_of(user))  # read once: the counts above and the rows' marks
    on_page = {r.id for r in rows}
    return QueuePage(rows=list(rows), total=total, page=page, pages=pages, counts=counts(clauses, today, risk),
                     at_risk={referral_id for referral_id, _deadline in risk if referral_id in on_page})


def counts(clauses: list, today: dt.date, risk: list[tuple[int, dt.date]]) -> dict:
    """The figures above the queue; `risk`: `_at_risk(clauses, today)`."""
    by_status = dict(db.session.execute(
        select(Referral.status, func.count()).join(Referral.participant).where(*clauses).group_by(Referral.status)
    ).all())
    # "Past the deadline" as the home counts it: at risk with the deadline behind (no session in time).
    by_status = {ReferralStatus(s).value: n for s, n in by_status.items()}
    if by_status.get(ReferralStatus.BOOKED.value):
        # The booked ones read as their tags do: booked, over and waiting for the outcome, or waiting next.
        for shown in SHOWN_ONLY:
            n = db.session.scalar(select(func.count()).select_from(_base([
                *clauses, *shown_status_clauses(shown)]).subquery()))
            by_status[ReferralStatus.BOOKED.value] -= n
            by_status[shown] = n
    return {"by_status": by_status,
            "at_risk": len(risk), "overdue": sum(deadline < today for _id, deadline in risk)}


def all_rows(user, chosen: QueueFilter, today: dt.date) -> list[Referral]:
    """Every referral of the filtered queue (the CSV export)."""
    return list(db.session.scalars(_by_deadline(_base(clauses_for(user, chosen, today)))))


def nothing_booked(user, today: dt.date) -> tuple[int, int]:
    """(referrals in the queue with nothing booked, how many of them are at risk): what a repair run leaves
    out. Its figures counted the published plan's participants only ("171 of 171 complete") with 59 waiting."""
    clauses = clauses_for(user, QueueFilter(), today) + [Referral.status == ReferralStatus.RECEIVED]
    waiting = db.session.scalar(select(func.count()).select_from(_base(clauses).subquery()))
    return waiting, len(_at_risk(clauses, today, closure_days_of(user))) if waiting else 0


def open_count(user) -> int:
    """Open referrals `user` may see (the home page's figure)."""
    return db.session.scalar(select(func.count()).select_from(Referral)
                             .where(referral_filter(user), Referral.status.in_(OPEN_STATUSES)))


def municipalities(user) -> list[Municipality]:
    return list(db.session.scalars(select(Municipality).where(Municipality.county_id == user.county_id)
                                   .order_by(Municipality.name)))


def languages_in_queue(user) -> list[str]:
    """The languages present in the open referrals `user` may see (no 600-entry list)."""
    codes = db.session.scalars(select(Participant.language).join(Referral, Referral.participant_id == Participant.id)
                               .where(referral_filter(user), Referral.status.in_(OPEN_STATUSES)).distinct()).all()
    return sorted(codes, key=lambda c: languages.COMMON.index(c) if c in languages.COMMON else 100)
