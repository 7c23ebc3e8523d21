"""The outbox: every e-mail the system sent, or in the demo would have sent."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import or_, select

from guidance.extensions import db
from guidance.models import Municipality, OutboxMessage, Role, User
from guidance.web.guards import requires

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.get("/")
@requires("outbox")
def index():
    """Admins see every message; a lead the messages to people of their county."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if current_user.role is Role.LEAD:
        in_county = select(User.id).outerjoin(Municipality, Municipality.id == User.municipality_id).where(
            or_(User.county_id == current_user.county_id, Municipality.county_id == current_user.county_id))
        stmt = stmt.where(OutboxMessage.to_user_id.in_(in_county))
    return render_template("outbox/index.html", messages=db.session.scalars(stmt).all(),
                           mail_server=bool(current_app.config.get("MAIL_SERVER")))
