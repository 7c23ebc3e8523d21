"""The centre's queue for leads: open referrals by deadline, filters, counts, CSV export.

The queue shows references, not names: a lead scanning hundreds of referrals is not reading
anyone's personal data; opening one (which is audited) shows the participant.
"""
from __future__ import annotations


from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from guidance.labels import all_labels
from guidance.planning.ids import local_date, local_today
from guidance.rules.deadlines import AT_RISK_WORKING_DAYS, deadline_passed, guided_in_time, working_days_left
from guidance.services import queue as service
from guidance.services import same_person, sheets
from guidance.services.referral_reading import first_held_days, shown_statuses
from guidance.web.guards import requires
from guidance.web.forms import row_id

bp = Blueprint("queue", __name__, url_prefix="/queue")


def _chosen() -> service.QueueFilter:
    args = request.args
    return service.QueueFilter(municipality=args.get("municipality", type=row_id), language=args.get("language", ""),
                               basis=args.get("basis", ""), status=args.get("status", ""),
                               at_risk=args.get("at_risk") == "1", arrived=args.get("arrived", ""))


@bp.get("/")
@requires("queue")
def index():
    today = local_today()
    chosen = _chosen()
    result = service.queue_page(current_user, chosen, request.args.get("page", 1, type=row_id), today)
    closed = service.closure_days_of(current_user)
    # A deadline kept by a held session reads "kept", as on the referral page (the queue said
    # "Passed" of a participant guided in time who now waits for their group session).
    held = first_held_days(r.id for r in result.rows)
    return render_template(
        "queue/index.html", rows=result.rows, total=result.total, page=result.page, pages=result.pages,
        chosen=vars(chosen), counts=result.counts, municipalities=service.municipalities(current_user),
        language_codes=service.languages_in_queue(current_user),
        days_left=lambda r: working_days_left(r.deadline, today, closed), today=today,
        query={k: v for k, v in request.args.items() if k != "page"},
        shown=shown_statuses(result.rows), still_to_book=service.still_to_book(result.rows),
        kept={r.id for r in result.rows if guided_in_time(r.deadline, held.get(r.id))},
        at_risk=result.at_risk, risk_days=AT_RISK_WORKING_DAYS,
        # Another municipality's referral of maybe the same person (services.same_person): the referral page says which.
        twins=set(same_person.possible_twins(current_user.county_id, list(result.rows))) if current_user.county_id
        else set(),
    )


@bp.get("/export.csv")
@requires("queue")
def export():
    """The filtered queue as CSV, without personal data: reference, municipality, language, basis, dates, status."""
    today = local_today()
    rows = service.all_rows(current_user, _chosen(), today)
    closed = service.closure_days_of(current_user)
    held = first_held_days(r.id for r in rows)  # a deadline kept reads "kept", as on the page
    shown = shown_statuses(rows)  # "session over, waiting for the outcome", as on the page, not "booked"
    # Labels in the page's language (the review: raw codes like integration_act in the spreadsheet).
    labels = all_labels()
    rows_out = []
    for r in rows:
        left = working_days_left(r.deadline, today, closed)
        rows_out.append((
            r.reference, r.referring_municipality.name, r.participant.municipality.name,
            labels["language_label"].get(r.participant.language, r.participant.language),
            labels["basis_label"].get(r.legal_basis.value, r.legal_basis.value), local_date(r.created_at).isoformat(),
            r.earliest_date.isoformat(), r.deadline.isoformat() if r.deadline else "",
            "" if left is None else (_("Kept") if guided_in_time(r.deadline, held.get(r.id))
                                     else _("passed") if deadline_passed(r.deadline, today) else left),
            labels["shown_status_label"].get(shown[r.id], shown[r.id])))
    # Column names as the page names them, in the page's language: the file is read by people, not imported.
    text = sheets.csv_text([_("Reference"), _("Referring municipality"), _("Home municipality"), _("Language"),
                            _("Legal basis"), _("Received"), _("Earliest date"), _("Deadline"), _("Working days left"),
                            _("Status")], rows_out)
    # no-store because even this list is the county's business.
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="queue-{today.isoformat()}.csv"', "Cache-Control": "no-store"})
