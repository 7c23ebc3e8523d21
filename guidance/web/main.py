"""The home page: what each role does here."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import Referral, Role
from guidance.models.referral import OPEN_STATUSES
from guidance.rules.access import referral_filter
from guidance.web.guards import requires

bp = Blueprint("main", __name__)


@bp.get("/")
@requires()
def home():
    open_referrals = None
    if current_user.role in (Role.REFERRER, Role.LEAD):
        open_referrals = db.session.scalar(
            select(func.count()).select_from(Referral).where(referral_filter(current_user), Referral.status.in_(OPEN_STATUSES))
        )
    return render_template(f"home/{current_user.role.value}.html", open_referrals=open_referrals)
