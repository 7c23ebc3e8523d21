"""Friendly, translated error pages; problem JSON under /api/. Never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from guidance.extensions import db
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


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _respond(status: int, detail: str | None = None):
    title = _titles().get(status, _("Error"))
    if _is_api():
        return problem(status, title, detail)
    explanation = detail or _explanations().get(status, "")
    return render_template("errors/error.html", status=status, title=title, explanation=explanation), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _respond(400, _("The form had expired or was sent from elsewhere. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        return _respond(error.code, None)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        log.warning("database unavailable: %s", type(error.orig).__name__ if error.orig else "unknown")
        return _respond(503)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.url_rule)
        return _respond(500)
