"""Referral lists and details, for everyone who may see them (scoped by rules.access)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Referral, Role
from guidance.rules.access import referral_filter
from guidance.services import audit
from guidance.web.guards import get_visible, requires

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.get("/")
@requires("referrals")
def index():
    referrals = db.session.scalars(
        select(Referral).where(referral_filter(current_user)).order_by(Referral.deadline.is_(None), Referral.deadline, Referral.id).limit(500)
    ).all()
    return render_template("referrals/index.html", referrals=referrals)


@bp.get("/<int:referral_id>")
@requires("referrals")
def show(referral_id: int):
    referral = get_visible(Referral, referral_id)
    if current_user.role in (Role.LEAD, Role.COUNSELLOR):
        # Centre staff reading a participant's personal data is itself audited.
        audit.record(current_user, "referral.viewed", referral)
        db.session.commit()
    return render_template("referrals/show.html", referral=referral)
