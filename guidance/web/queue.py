"""The centre's queue for leads: open referrals by deadline, filters, counts, CSV export.

The queue shows references, not names: a lead scanning hundreds of referrals is not reading
anyone's personal data; opening one (which is audited) shows the participant.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import and_, func, select

from guidance import languages
from guidance.extensions import db
from guidance.models import Municipality, Participant, Referral, ReferralStatus
from guidance.models.referral import OPEN_STATUSES
from guidance.planning.ids import local_date, local_today
from guidance.rules.access import referral_filter
from guidance.rules.deadlines import at_risk_cutoff, deadline_passed, working_days_left
from guidance.web.guards import requires

bp = Blueprint("queue", __name__, url_prefix="/queue")

PAGE_SIZE = 50


def _filters(today: dt.date) -> tuple[list, dict]:
    """WHERE clauses from the query string, and the cleaned values to show in the form."""
    args = request.args
    chosen = {
        "municipality": args.get("municipality", type=int),
        "language": args.get("language", "").strip(),
        "basis": args.get("basis", "").strip(),
        "status": args.get("status", "").strip(),
        "at_risk": args.get("at_risk") == "1",
    }
    clauses = [referral_filter(current_user), Referral.status.in_(OPEN_STATUSES)]
    if chosen["municipality"]:
        clauses.append(Referral.referring_municipality_id == chosen["municipality"])
    if chosen["language"]:
        clauses.append(Participant.language == chosen["language"])
    if chosen["basis"] in {"integration_act", "temporary_act", "ordinary"}:
        clauses.append(Referral.legal_basis == chosen["basis"])
    else:
        chosen["basis"] = ""
    if chosen["status"] in {s.value for s in OPEN_STATUSES}:
        clauses.append(Referral.status == chosen["status"])
    else:
        chosen["status"] = ""
    if chosen["at_risk"]:
        clauses.append(_at_risk(today))
    return clauses, chosen


def _at_risk(today: dt.date):
    """Deadline within 15 working days (or passed) and no session booked yet."""
    return and_(Referral.deadline.is_not(None), Referral.deadline <= at_risk_cutoff(today),
                Referral.status != ReferralStatus.BOOKED)


def _base(clauses):
    return select(Referral).join(Referral.participant).where(*clauses)


@bp.get("/")
@requires("queue")
def index():
    today = local_today()
    clauses, chosen = _filters(today)
    total = db.session.scalar(select(func.count()).select_from(_base(clauses).subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = db.session.scalars(
        _base(clauses).order_by(Referral.deadline.is_(None), Referral.deadline, Referral.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "queue/index.html", rows=rows, total=total, page=page, pages=pages, chosen=chosen,
        counts=_counts(clauses, today), municipalities=_municipalities(), language_codes=_languages(),
        days_left=lambda r: working_days_left(r.deadline, today), today=today,
        query={k: v for k, v in request.args.items() if k != "page"},
    )


def _counts(clauses, today: dt.date) -> dict:
    by_status = dict(db.session.execute(
        select(Referral.status, func.count()).join(Referral.participant).where(*clauses).group_by(Referral.status)
    ).all())
    at_risk = db.session.scalar(select(func.count()).select_from(_base([*clauses, _at_risk(today)]).subquery()))
    overdue = db.session.scalar(select(func.count()).select_from(
        _base([*clauses, Referral.deadline < today]).subquery()))
    return {"by_status": {ReferralStatus(s).value: n for s, n in by_status.items()}, "at_risk": at_risk, "overdue": overdue}


def _municipalities() -> list[Municipality]:
    return db.session.scalars(select(Municipality).where(Municipality.county_id == current_user.county_id)
                              .order_by(Municipality.name)).all()


def _languages() -> list[str]:
    """The languages present in the county's open referrals (the filter needs no 600-entry list)."""
    codes = db.session.scalars(select(Participant.language).join(Referral, Referral.participant_id == Participant.id)
                               .where(referral_filter(current_user), Referral.status.in_(OPEN_STATUSES)).distinct()).all()
    return sorted(codes, key=lambda c: languages.COMMON.index(c) if c in languages.COMMON else 100)


@bp.get("/export.csv")
@requires("queue")
def export():
    """The filtered queue as CSV, without personal data: reference, municipality, language, basis, dates, status."""
    today = local_today()
    clauses, _chosen = _filters(today)
    rows = db.session.scalars(_base(clauses).order_by(Referral.deadline.is_(None), Referral.deadline, Referral.id)).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["reference", "referring_municipality", "home_municipality", "language", "legal_basis",
                     "received", "earliest", "deadline", "working_days_left", "status"])
    for r in rows:
        left = working_days_left(r.deadline, today)
        writer.writerow([_cell(v) for v in (
            r.reference, r.referring_municipality.number, r.participant.municipality.number, r.participant.language,
            r.legal_basis.value, local_date(r.created_at).isoformat(), r.earliest_date.isoformat(),
            r.deadline.isoformat() if r.deadline else "",
            "" if left is None else ("passed" if deadline_passed(r.deadline, today) else left), r.status.value,
        )])
    # A BOM so Excel reads UTF-8; no-store because even this list is the county's business.
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="queue-{today.isoformat()}.csv"', "Cache-Control": "no-store"})


def _cell(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in any text cell."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not text.lstrip("-").isdigit() else text
