"""The home page: what each role does here."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from guidance.rules.access import may
from guidance.services import counsellor_today, queue, referrer_today
from guidance.services.interpreter_bookings import requests as interpreter_requests
from guidance.services import today as today_service
from guidance.web.guards import requires

bp = Blueprint("main", __name__)


@bp.get("/")
@requires()
def home():
    # "And 4 more." under a to-do list opens the whole list on the same page (?all=1).
    everything = request.args.get("all") == "1"
    open_referrals = queue.open_count(current_user) if may(current_user, "view", "referral_counts") else None
    overview = today_service.overview(current_user, all_outcomes=everything) if may(current_user, "view", "today") else None
    day = counsellor_today.overview(current_user.counsellor.id, everything) if current_user.counsellor is not None else None
    work = interpreter_requests.work_of(current_user.interpreter) if current_user.interpreter is not None else None
    municipality = referrer_today.overview(current_user, everything) if current_user.municipality_id is not None else None
    return render_template(f"home/{current_user.role.value}.html", open_referrals=open_referrals, overview=overview,
                           day=day, work=work, municipality=municipality)
