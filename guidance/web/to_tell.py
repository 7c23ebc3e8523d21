"""Participants the lead tells of a change themselves (services/to_tell.py): marked told from the home."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from guidance.extensions import db
from guidance.models import ParticipantToTell
from guidance.services import to_tell as service
from guidance.services.errors import DomainError
from guidance.web.forms import PostForm
from guidance.web.guards import get_visible, requires

bp = Blueprint("to_tell", __name__, url_prefix="/to-tell")


@bp.post("/<int:task_id>/told")
@requires("planning")
def told(task_id: int):
    # Said in the card the page scrolls back to (at the top of the page it was out of view), by name; the
    # card then offers to take it back.
    return _mark(task_id, service.mark_told, _l("%(name)s (%(reference)s) is marked as told."), undo=True)


@bp.post("/<int:task_id>/not-told")
@requires("planning")
def not_told(task_id: int):
    return _mark(task_id, service.unmark_told, _l("%(name)s (%(reference)s) is back on the list to tell."))


def _mark(task_id: int, use_case, done, undo: bool = False):
    task = get_visible(ParticipantToTell, task_id, "mark")
    back = url_for("main.home", _anchor="today-to-tell")
    if not PostForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    try:
        use_case(current_user, task)
    except DomainError as error:  # another lead marked them a moment ago, or the undo's time is out
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(back)
    flash(str(done) % {"name": task.referral.participant.name, "reference": task.referral.reference}, "told")
    return redirect(url_for("main.home", told=task.id, _anchor="today-to-tell") if undo else back)
