"""Personal data: data-subject access for administrators (find a participant, export as JSON).

The search is a POST so that names and phone numbers never appear in URLs, and so never in
access logs or browser history.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from guidance.models import Participant
from guidance.services import data_subject
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
