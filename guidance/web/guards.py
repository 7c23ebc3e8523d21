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
