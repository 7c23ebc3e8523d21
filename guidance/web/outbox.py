"""The outbox: every e-mail the system sent, or in the demo would have sent, with its delivery
state; a message the mail server refused for good can be retried from here."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import OutboxMessage
from guidance.rules.access import outbox_filter
from guidance.services import mail
from guidance.services.errors import DomainError
from guidance.web.forms import PostForm, row_id
from guidance.web.guards import get_visible, requires

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.after_app_request
def say_interpreter_mail_is_held(response):
    """A lead's change that asked an interpreter while no e-mail leaves (services.mail): the page it leads to says
    what the lead does instead, once, beside its own "asked". Not a yes recorded from the phone, a cancellation, or
    a change that was rolled back."""
    from guidance.models import Role

    if 300 <= response.status_code < 400 and getattr(current_user, "role", None) is Role.LEAD and mail.requests_held():
        flash(_("No e-mail leaves Veiled yet (no mail server is set up): the interpreter has not got this. Call "
                "them, and record their answer under Interpreter bookings with “Said yes on the phone”."), "warning")
    return response


@bp.app_template_filter("mail_error")
def mail_error(stored: str) -> str:
    """A stored delivery error ("SMTPRecipientsRefused 550") in words, its SMTP code kept for support."""
    from guidance.labels import MAIL_ERROR

    name, _sep, code = (stored or "").partition(" ")
    words = MAIL_ERROR.get(name)
    if words is None:
        return stored
    return f"{words} ({code})" if code else str(words)


@bp.get("/")
@requires("outbox")
def index():
    """Admins see every message; a lead the messages to people of their county. Narrowed by
    ?state=, searched by ?q= (recipient address or subject: no participant names are in either),
    50 a page (?page=)."""
    return _page(request.args.get("state", ""), request.args.get("q", ""), request.args.get("page", 1, type=row_id))


@bp.post("/<int:message_id>/retry")
@requires("outbox")
def retry(message_id: int):
    """Send a failed message again (it goes out through the delivery job)."""
    message = get_visible(OutboxMessage, message_id, "retry")
    form = PostForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _page("failed", status=400)
    try:
        mail.retry(current_user, message)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _page("failed", status=400)
    flash(_("The e-mail “%(subject)s” will be sent again shortly.", subject=message.subject), "success")
    return redirect(url_for("outbox.index", state="failed"))


@bp.post("/retry-failed")
@requires("outbox")
def retry_failed():
    """Send again every undelivered message the user may see (after a mail outage)."""
    form = PostForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _page("failed", status=400)
    try:
        result = mail.retry_failed(current_user, outbox_filter(current_user))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _page("failed", status=400)
    if result.retried:
        flash(ngettext("%(num)d e-mail will be sent again shortly.", "%(num)d e-mails will be sent again shortly.",
                       len(result.retried)), "success")
    if result.superseded:
        flash(ngettext("%(num)d out-of-date calendar invitation was not sent again: a newer message about the "
                       "same session to the same person replaces it.",
                       "%(num)d out-of-date calendar invitations were not sent again: a newer message about the "
                       "same session to the same person replaces each of them.", result.superseded), "info")
    return redirect(url_for("outbox.index", state="failed"))


def _page(state: str, search: str = "", page: int = 1, status: int = 200):
    visible = outbox_filter(current_user)
    chosen = mail.OutboxFilter(state=state, search=search)
    result = mail.outbox_page(visible, chosen, page)
    failed_count = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(visible, *mail.undelivered()))
    query = {k: v for k, v in {"state": chosen.state, "q": chosen.search}.items() if v}
    return render_template("outbox/index.html", messages=result.rows, total=result.total, page=result.page,
                           pages=result.pages, state=chosen.state, search=chosen.search, chosen=chosen, query=query,
                           failed_count=failed_count,
                           mail_server=bool(current_app.config.get("MAIL_SERVER")), body_of=mail.without_one_time_links), status
