"""Before the next plan: what stops the county's plan, each with the page that fixes it (issue 21)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import County
from guidance.rules.access import may
from guidance.services import readiness as service
from guidance.web.guards import get_visible, requires

bp = Blueprint("readiness", __name__, url_prefix="/readiness")


@bp.get("/")
@requires("readiness")
def index():
    """The lead's own county (and an admin's bound one); an installation admin chooses a county."""
    if current_user.county_id is not None:
        return redirect(url_for("readiness.county", county_id=current_user.county_id))
    counties = db.session.scalars(select(County).order_by(County.name)).all()
    return render_template("readiness/counties.html", counties=counties)


@bp.get("/counties/<int:county_id>")
@requires("readiness")
def county(county_id: int):
    item = get_visible(County, county_id)
    from guidance.services.referral_reading import waiting_count

    return render_template("readiness/county.html", county=item, readiness=service.check(item),
                           waiting=waiting_count(item.id), **broken_context(item))


def broken_context(county: County, **only) -> dict:
    """What `readiness/_broken.html` needs: the published sessions ahead that no longer fit (for one
    location, counsellor or interpreter when given) and the absence flow's re-plan offer."""
    from guidance.services import planning as planning_service
    from guidance.web.planning import StartRunForm

    broken = service.broken_sessions(county, **only)
    context = {"broken": broken, "may_replan": may(current_user, "use", "planning")
               and current_user.county_id == county.id}
    if broken and context["may_replan"]:
        form = StartRunForm(formdata=None)
        form.keep_until.data = planning_service.repair_keep_until(county)
        form.scope.data = "repair"
        context.update(replan_form=form, replan_active=planning_service.active_run(county.id))
    return context
