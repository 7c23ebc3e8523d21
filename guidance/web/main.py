"""The home page: what each role does here."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from guidance.rules.access import may
from guidance.services import counsellor_today, mail, queue, referrer_today, to_tell
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
    first_steps = None
    if current_user.role.value == "admin":
        from flask import current_app

        from guidance.services.setup import first_steps as steps

        first_steps, mail_server = steps(current_user), mail.leaves()
    else:
        mail_server = True
    # Just marked told: the card offers to take it back (services/to_tell.undoable).
    told = to_tell.undoable(current_user, request.args.get("told", type=int)) if overview is not None else None
    return render_template(f"home/{current_user.role.value}.html", open_referrals=open_referrals, overview=overview,
                           day=day, work=work, municipality=municipality, first_steps=first_steps,
                           mail_server=mail_server, told=told,
                           shown_in_card=bool(overview and (overview.to_tell or told)))
