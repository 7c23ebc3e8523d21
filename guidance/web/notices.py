"""Notices: each user chooses how they hear about sessions; a county's lead or an admin chooses
which municipalities' participants get text-message reminders."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField

from guidance.models import County
from guidance.services import notices as service
from guidance.services import sms, text_settings
from guidance.services.errors import DomainError
from guidance.web.forms import show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("notices", __name__)


def _settings_form(kinds: tuple[str, ...]) -> type[FlaskForm]:
    class NoticeSettingsForm(FlaskForm):
        pass

    for kind in kinds:
        setattr(NoticeSettingsForm, kind, RadioField(
            service.KIND_LABELS[kind], choices=[(c, (service.REMINDER_LABELS if kind == service.REMINDERS
                                                      else service.CHOICE_LABELS)[c]) for c in service.KIND_CHOICES[kind]]))
    return NoticeSettingsForm


@bp.route("/account/notices", methods=["GET", "POST"])
@requires()
def settings():
    kinds = service.kinds_for(current_user)
    form_class = _settings_form(kinds)
    if request.method == "GET":
        form = form_class(data={kind: service.choice(current_user, kind) for kind in kinds})
    else:
        form = form_class()
        if form.validate_on_submit():
            try:
                service.set_choices(current_user, {kind: form[kind].data for kind in kinds})
            except DomainError as error:
                show_refusal(form, error)
            else:
                flash(_("Your choices were saved."), "success")
                return redirect(url_for("notices.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("notices/settings.html", form=form, kinds=kinds), status


def _text_form(county: County) -> type[FlaskForm]:
    class TextMessagesForm(FlaskForm):
        pass

    for municipality in county.municipalities:
        setattr(TextMessagesForm, text_settings.field_name(municipality), BooleanField(municipality.name))
    return TextMessagesForm


@bp.route("/setup/counties/<int:county_id>/text-messages", methods=["GET", "POST"])
@requires("setup")
def text_messages(county_id: int):
    county = get_visible(County, county_id)
    municipalities = sorted(county.municipalities, key=lambda m: m.name)
    form_class = _text_form(county)
    if request.method == "GET":
        form = form_class(data={text_settings.field_name(m): m.sms_reminders for m in municipalities})
    else:
        form = form_class()
        if form.validate_on_submit():
            chosen = {m.number: bool(form[text_settings.field_name(m)].data) for m in municipalities}
            changed = text_settings.set_sms_reminders(current_user, county, chosen)
            flash(ngettext("Saved (%(num)d municipality changed).", "Saved (%(num)d municipalities changed).", len(changed)), "success")
            return redirect(url_for("notices.text_messages", county_id=county.id))
    status = 400 if request.method == "POST" else 200
    return render_template("notices/text_messages.html", form=form, county=county, municipalities=municipalities,
                           field_name=text_settings.field_name, gateway=sms.configured()), status
