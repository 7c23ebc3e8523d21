"""Route guards: every view goes through `requires`, which asks rules.access.may."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user

from guidance.extensions import db, login_manager
from guidance.rules.access import may


def requires(area: str | None = None):
    """Require a logged-in user, and (when `area` is given) a role that uses that area."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if area is not None and not may(current_user, "use", area):
                g.access_refused = ("area", None, {"area": area})
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_area = area
        return wrapped

    return decorator


def get_visible(model, object_id: int, action: str = "view"):
    """Load one object the current user may act on, or answer 404 (existence is not revealed)."""
    obj = db.session.get(model, object_id)
    if obj is None or not may(current_user, action, obj):
        g.access_refused = (model.__name__.lower(), object_id, {"action": action, "exists": obj is not None})
        abort(404)
    return obj


def acting_county():
    """The county a lead or admin acts for on set-up and planning pages: the user's own; for an
    installation admin (no county) the one chosen with ?county=NN, None until chosen or when not theirs."""
    from flask import request
    from flask_login import current_user
    from sqlalchemy import select

    from guidance.models import County
    from guidance.rules.access import may_manage_county

    if current_user.county_id is not None:
        return current_user.county
    number = request.args.get("county", "")
    county = db.session.scalar(select(County).where(County.number == number)) if number else None
    if county is None or not may_manage_county(current_user, county.id):
        return None
    return county


def county_or_chooser(heading: str):
    """(county, None) for the county acted for; (None, the page where an installation admin chooses one)
    while none is chosen; 404 for anyone else without one."""
    from flask import render_template
    from flask_login import current_user
    from sqlalchemy import select

    from guidance.models import County, Role

    county = acting_county()
    if county is None and current_user.role is Role.ADMIN and current_user.county_id is None:
        counties = db.session.scalars(select(County).order_by(County.name)).all()
        return None, render_template("choose_county.html", counties=counties, heading=heading)
    if county is None:
        abort(404)
    return county, None
