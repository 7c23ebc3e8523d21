"""Friendly, translated error pages; problem JSON under /api/. Never a stack trace."""
from __future__ import annotations

import json
import logging

from flask import Flask, Response, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from flask_login import current_user

from guidance.extensions import db, login_manager
from guidance.models import AuditEvent
from guidance.web.problem import problem

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("You need to log in"),
        403: _("You do not have access to this page"),
        404: _("The page was not found"),
        405: _("That action is not allowed here"),
        413: _("The upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("The service is temporarily unavailable"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("Please go back, reload the page and try again."),
        403: _("Your role does not give access to this. Ask your administrator if you think it should."),
        404: _("Check the address, or go back to the front page."),
        405: _("Please go back and use the buttons on the page."),
        413: _("Files may be at most 10 MB each."),
        429: _("Please wait a minute and try again."),
        500: _("The error has been logged. Please try again in a moment."),
        503: _("Please try again in a moment. Nothing you sent has been lost."),
    }


# Seconds a client should wait before retrying a 503 (the database is restarting or failing over).
UNAVAILABLE_RETRY_AFTER = "30"
# Last resort when even the plain page cannot be rendered: no template, no translation, no database.
UNAVAILABLE_TEXT = ("Tjenesten er midlertidig utilgjengelig. Prøv igjen om litt.\n"
                    "The service is temporarily unavailable. Please try again in a moment.\n")


def _is_api() -> bool:
    return request.path.startswith("/api/")


def database_unavailable_now() -> bool:
    """True once this request has found the database unreachable: nothing may query it again."""
    return bool(g.get("database_unavailable"))


def _unavailable():
    """503 that needs no database: no user, no menu, the locale from the session or browser."""
    g.database_unavailable = True
    # The logged-in user cannot be loaded (or refreshed after the rollback): render as nobody.
    g._login_user = login_manager.anonymous_user()
    try:
        title, explanation = _titles()[503], _explanations()[503]
        if _is_api():
            response = problem(503, title, explanation)
        else:
            response = Response(render_template("errors/unavailable.html", title=title, explanation=explanation),
                                503, mimetype="text/html")
    except Exception:  # noqa: BLE001 - the page must not fail while the database is away
        log.exception("could not render the unavailable page")
        response = Response(UNAVAILABLE_TEXT, 503, mimetype="text/plain")
    response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER
    return response


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the session is discarded at teardown
        log.warning("rollback failed after a database error")


def is_database_outage(error: BaseException) -> bool:
    """A lost or refused connection, not a bad statement."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _respond(status: int, detail: str | None = None):
    title = _titles().get(status, _("Error"))
    if _is_api():
        return problem(status, title, detail)
    explanation = detail or _explanations().get(status, "")
    return render_template("errors/error.html", status=status, title=title, explanation=explanation), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from flask import flash, redirect, session, url_for

        from guidance.services.sessions import SIGNED_OUT, unsaved_text_hint

        if session.pop(SIGNED_OUT, False) and not current_user.is_authenticated and not request.path.startswith("/api/"):
            # The sign-in ended while the page was open: its token went with it. Not "the form had
            # expired": the login page, in the user's language, and that the text was not saved.
            flash(_("You were signed out before the form was sent.") + " " + unsaved_text_hint(), "warning")
            return redirect(url_for("auth.login"))
        return _respond(400, _("The form had expired or was sent from elsewhere. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        audit_refusal()
        response = _respond(error.code, None)
        if isinstance(response, tuple):
            response = Response(response[0], response[1], mimetype="text/html")
        # Keep what the exception says about the resource: Allow on a 405, Retry-After on a 429.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error):
        _rollback_quietly()
        orig = getattr(error, "orig", None)
        log.warning("database unavailable: %s", type(orig).__name__ if orig else type(error).__name__)
        return _unavailable()

    @app.errorhandler(Exception)
    def unexpected(error):
        if is_database_outage(error):
            return database_unavailable(error)
        _rollback_quietly()
        log.exception("unhandled error on %s %s", request.method, request.url_rule)
        try:
            return _respond(500)
        except Exception as again:  # noqa: BLE001 - the error page itself failed (e.g. the database went away)
            if is_database_outage(again):
                return database_unavailable(again)
            log.exception("could not render the error page")
            return Response(UNAVAILABLE_TEXT.replace("midlertidig utilgjengelig", "feilet").replace(
                "temporarily unavailable", "failing"), 500, mimetype="text/plain")


def audit_refusal() -> None:
    """A guard refused a signed-in user (403, or 404 for an object they may not see, or a page that says only that
    it is no longer theirs): audited, after undoing whatever the request had pending."""
    refused = g.pop("access_refused", None)
    if refused is None:
        return
    object_type, object_id, detail = refused
    try:
        db.session.rollback()
        db.session.add(AuditEvent(actor_id=getattr(current_user, "id", None), action="access.refused",
                                  object_type=object_type, object_id=object_id,
                                  detail=json.dumps({**detail, "endpoint": request.endpoint})))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the refusal is answered even if it cannot be recorded
        _rollback_quietly()
        log.warning("could not audit a refused access")


def register_retry_after(app: Flask) -> None:
    """Registered before the rate limiter, so it runs after it: a 503 says when to come back,
    not the limiter's window (which can be an hour on a feed)."""
    @app.after_request
    def retry_after_on_unavailable(response):
        if response.status_code == 503:
            response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER
        elif response.status_code < 400:
            # The limiter sends its window's reset as Retry-After on every answer; on an accepted request a client
            # reads it as "try again" (a case system's developer did). The X-RateLimit headers carry the window.
            response.headers.pop("Retry-After", None)
        return response
