"""Personal data: data-subject access for administrators (find a participant, read their record, export
it as JSON, anonymise them on request).

The search is a POST so that names and phone numbers never appear in URLs, and so never in
access logs or browser history.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from guidance.models import Participant
from guidance.extensions import db
from guidance.labels import AUDIT_ACTION, CANCEL_REASON, REFERRAL_FIELD
from guidance.services import data_subject, retention
from guidance.services.errors import DomainError
from guidance.web.admin import role_labels
from guidance.web.forms import show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("privacy", __name__, url_prefix="/admin")


class SearchForm(FlaskForm):
    query = StringField(
        _l("Name, phone number or referral reference"),
        validators=[DataRequired(_l("Enter a name, a phone number or a referral reference.")), Length(max=200)],
    )


@bp.route("/data-subject", methods=["GET", "POST"])
@requires("data_subject")
def search():
    form = SearchForm()
    participants = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            participants = data_subject.find_participants(form.query.data, county_id=current_user.county_id)
            data_subject.searched(current_user, len(participants))
        else:
            status = 400
    return render_template("privacy/search.html", form=form, participants=participants), status


@bp.get("/participants/<int:participant_id>/export.json")
@requires("data_subject")
def export(participant_id: int):
    participant = get_visible(Participant, participant_id, "export")
    body = json.dumps(data_subject.export_participant(current_user, participant), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="participant-{participant.id}.json"',
        "Cache-Control": "no-store",
    })


class AnonymiseForm(FlaskForm):
    checked = BooleanField(_l("I have checked that nothing obliges the county to keep this person's data"),
                           validators=[DataRequired(_l("Tick the box to confirm that you have checked."))])


@bp.get("/participants/<int:participant_id>")
@requires("data_subject")
def participant(participant_id: int):
    """Everything about one participant in words, printable: their referrals and each one's history, who
    opened their data, the export and the anonymisation (the JSON alone was a database dump)."""
    person = get_visible(Participant, participant_id, "export")
    data_subject.opened(current_user, person)
    return _record_page(person, AnonymiseForm())


def _record_page(person: Participant, form: AnonymiseForm, status: int = 200):
    return render_template("privacy/participant.html", record=data_subject.record_of(person), form=form,
                           action_label=AUDIT_ACTION, field_label=REFERRAL_FIELD, cancel_reason=CANCEL_REASON,
                           role_label=role_labels()), status


@bp.post("/participants/<int:participant_id>/anonymise")
@requires("data_subject")
def anonymise(participant_id: int):
    person = get_visible(Participant, participant_id, "export")
    form = AnonymiseForm()
    if form.validate_on_submit():
        try:
            retention.anonymise_participant(current_user, person)
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            flash(error.message, "error")
        else:
            flash(_("The participant is anonymised: name, phone, notes and files are gone; dates and codes stay for "
                    "the statistics."), "success")
            return redirect(url_for("privacy.participant", participant_id=person.id))
    return _record_page(person, form, 400)
