"""The calendar subscription feed: authenticated by the secret in its address, not by a login,
because calendar clients cannot log in. Conditional requests and a rate limit keep polling cheap."""
from __future__ import annotations

from flask import Blueprint, Response, abort, request

from guidance.extensions import limiter
from guidance.models import Session
from guidance.rules.language import for_recipient
from guidance.services import calendar as cal
from guidance.web import rate_limits

bp = Blueprint("feed", __name__, url_prefix="/calendar")


def _feed_key() -> str:
    # One bucket per feed address (clients behind one NAT do not starve each other).
    return "feed:" + (request.view_args or {}).get("token", "")[:100]


@bp.get("/<token>.ics")
@limiter.limit(rate_limits.configured("CALENDAR_FEED_RATE_LIMIT"), key_func=_feed_key)
def feed(token: str):
    user = cal.user_for_feed_token(token)
    if user is None:
        abort(404)

    def link(session: Session) -> str:
        return cal.app_url("counsellor.session", session_id=session.id)

    body = cal.build_calendar(cal.feed_sessions(user), link, language=for_recipient(user), name="Veiled")
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="veiled.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(cal.etag_for(body))
    # Answers If-None-Match with 304 and no body: most polls change nothing.
    return response.make_conditional(request)
