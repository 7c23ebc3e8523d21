"""The centre's queue for leads: open referrals by deadline, filters, counts, CSV export.

The queue shows references, not names: a lead scanning hundreds of referrals is not reading
anyone's personal data; opening one (which is audited) shows the participant.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from guidance.planning.ids import local_date, local_today
from guidance.rules.deadlines import deadline_passed, working_days_left
from guidance.services import queue as service
from guidance.services.referral_reading import shown_statuses
from guidance.web.guards import requires

bp = Blueprint("queue", __name__, url_prefix="/queue")


def _chosen() -> service.QueueFilter:
    args = request.args
    return service.QueueFilter(municipality=args.get("municipality", type=int), language=args.get("language", ""),
                               basis=args.get("basis", ""), status=args.get("status", ""),
                               at_risk=args.get("at_risk") == "1")


@bp.get("/")
@requires("queue")
def index():
    today = local_today()
    chosen = _chosen()
    result = service.queue_page(current_user, chosen, request.args.get("page", 1, type=int), today)
    return render_template(
        "queue/index.html", rows=result.rows, total=result.total, page=result.page, pages=result.pages,
        chosen=vars(chosen), counts=result.counts, municipalities=service.municipalities(current_user),
        language_codes=service.languages_in_queue(current_user),
        days_left=lambda r: working_days_left(r.deadline, today), today=today,
        query={k: v for k, v in request.args.items() if k != "page"},
        shown=shown_statuses(result.rows),
    )


@bp.get("/export.csv")
@requires("queue")
def export():
    """The filtered queue as CSV, without personal data: reference, municipality, language, basis, dates, status."""
    today = local_today()
    rows = service.all_rows(current_user, _chosen(), today)
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
