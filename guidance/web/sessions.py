"""Ending one's own sign-in sessions: "log out everywhere" (logout itself is in auth.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from guidance.services import sessions
from guidance.web.guards import requires

bp = Blueprint("sessions", __name__)


@bp.post("/logout/everywhere")
@requires()
def logout_everywhere():
    """Every browser and device signed in as this user is logged out, this one too."""
    from flask import session

    from guidance.web.sign_in import end_session_url

    provider, id_token = session.get("oidc_provider"), session.get("oidc_id_token")
    user = current_user._get_current_object()
    sessions.log_out_everywhere(user)
    logout_user()
    sessions.clear_keeping_language(user)
    flash(_("You are logged out on every device."), "info")
    # As the plain logout: signed in through a provider, end its session too, or this browser is signed
    # straight back in by it (the strongest logout had been the weaker one on a shared PC).
    return redirect(end_session_url(provider, id_token) or url_for("auth.login"))
