"""The calendar subscription feed: authenticated by the secret in its address, not by a login,
because calendar clients cannot log in. Conditional requests and a rate limit keep polling cheap."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from guidance.extensions import limiter
from guidance.models import Session
from guidance.rules.language import for_recipient
from guidance.services import calendar as cal
from guidance.web import rate_limits
from guidance.web.forms import PostForm

bp = Blueprint("feed", __name__, url_prefix="/calendar")


def _feed_key() -> str:
    # One bucket per feed address (clients behind one NAT do not starve each other).
    return "feed:" + (request.view_args or {}).get("token", "")[:100]


def make_address(template: str, **context):
    """A person makes their (new) subscription address: shown once, like a password (only its hash is
    stored), on `template`; any older address stops working."""
    if not PostForm().validate_on_submit():
        abort(400)
    token = cal.issue_feed_token(current_user)
    https = cal.app_url("feed.feed", token=token)
    flash(_("Your new calendar address is ready. Any address you made before no longer works."), "success")
    return render_template(template, form=PostForm(), has_token=True, https=https,
                           webcal="webcal://" + https.split("://", 1)[1], **context)


def switch_off(back: str):
    """A person switches their subscription address off; back to the page `back` names."""
    if not PostForm().validate_on_submit():
        abort(400)
    cal.revoke_feed_token(current_user)
    flash(_("Your calendar address was switched off."), "success")
    return redirect(url_for(back))


@bp.get("/<token>.ics")
@limiter.limit(rate_limits.configured("CALENDAR_FEED_RATE_LIMIT"), key_func=_feed_key)
def feed(token: str):
    user = cal.user_for_feed_token(token)
    if user is None:
        abort(404)

    if user.counsellor is not None:
        sessions = cal.feed_sessions(user)

        def link(session: Session) -> str:
            return cal.app_url("counsellor.session", session_id=session.id)
    else:  # an interpreter: the assignments they accepted, each opening its booking
        bookings = cal.accepted_bookings(user.interpreter.id, *cal.feed_window())
        sessions, booking_of = [b.session for b in bookings], {b.session.id: b.id for b in bookings}

        def link(session: Session) -> str:
            return cal.app_url("interpreter.show", booking_id=booking_of[session.id])

    body = cal.build_calendar(sessions, link, language=for_recipient(user), name="Veiled",
                              interpreter=user.counsellor is None)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="veiled.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(cal.etag_for(body))
    # Answers If-None-Match with 304 and no body: most polls change nothing.
    return response.make_conditional(request)
