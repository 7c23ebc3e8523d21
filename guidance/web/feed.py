"""The calendar subscription feed: authenticated by the secret in its address, not by a login,
because calendar clients cannot log in. Conditional requests and a rate limit keep polling cheap."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
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


NEW_ADDRESS = "feed_address"   # the session key holding a just-made address (sealed) until its page shows it


def make_address(back: str):
    """A person makes their (new) subscription address; any older address stops working. It is shown once,
    like a password (only its hash is stored), on the page `back` names, after a redirect: the address shown
    on the form's own answer was replaced by another when the page was reloaded (the browser sends the form
    again), and the address just copied stopped working without a word."""
    from guidance.services.second_factor import seal

    if not PostForm().validate_on_submit():
        abort(400)
    had_one = current_user.calendar_token_hash is not None   # the first address replaces nothing
    token = cal.issue_feed_token(current_user)
    session[NEW_ADDRESS] = seal(cal.app_url("feed.feed", token=token))
    flash(_("Your new calendar address is ready. Any address you made before no longer works.") if had_one
          else _("Your calendar address is ready."), "success")
    return redirect(url_for(back))


def new_address() -> dict:
    """The address just made, for its page to show this once (`https`, `webcal`), or nothing."""
    from guidance.services.second_factor import unseal

    https = unseal(session.pop(NEW_ADDRESS, None))
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]} if https else {}


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
        from guidance.models import BookingStatus

        bookings = cal.accepted_bookings(user.interpreter.id, *cal.feed_window())
        sessions, booking_of = [b.session for b in bookings], {b.session.id: b.id for b in bookings}
        cancelled = frozenset(b.session.id for b in bookings if b.status is BookingStatus.CANCELLED)

        def link(session: Session) -> str:
            return cal.app_url("interpreter.show", booking_id=booking_of[session.id])

    body = cal.build_calendar(sessions, link, language=for_recipient(user), name="Veiled",
                              interpreter=user.counsellor is None,
                              cancelled_ids=frozenset() if user.counsellor is not None else cancelled)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="veiled.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(cal.etag_for(body))
    # Answers If-None-Match with 304 and no body: most polls change nothing.
    return response.make_conditional(request)
