"""The county's written language forms: its default and each municipality's choice."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired

from guidance.extensions import db
from guidance.models import County, Role
from guidance.rules.access import may
from guidance.services.errors import DomainError
from guidance.services.language_forms import field_name, set_language_forms
from guidance.web.forms import show_refusal
from guidance.web.guards import requires

bp = Blueprint("language_forms", __name__, url_prefix="/language-forms")


def _form_class(county: County) -> type[FlaskForm]:
    """A form with the county's choice and one select per municipality (named by its number)."""
    municipality_choices = [("neutral", _l("Neutral (the county's form)")), ("nb", _l("Bokmål")), ("nn", _l("Nynorsk"))]

    class LanguageFormsForm(FlaskForm):
        county_form = RadioField(_l("The county's own written form"), choices=[("nb", _l("Bokmål")), ("nn", _l("Nynorsk"))],
                                 validators=[InputRequired(_l("Choose bokmål or nynorsk."))])

    for municipality in county.municipalities:
        setattr(LanguageFormsForm, field_name(municipality),
                SelectField(municipality.name, choices=municipality_choices,
                            validators=[InputRequired(_l("Choose bokmål, nynorsk or neutral."))]))
    return LanguageFormsForm


def _county() -> County | None:
    """The lead's own county; for an admin the county named in ?county= (None: let them pick)."""
    number = request.args.get("county")
    if current_user.role is Role.LEAD:
        county = current_user.county
        if county is None or (number and number != county.number):
            abort(404)
        return county
    if not number:
        return None
    county = db.session.scalar(select(County).where(County.number == number))
    if county is None or not may(current_user, "manage_language", county):
        abort(404)
    return county


@bp.route("/", methods=["GET", "POST"])
@requires("language_forms")
def index():
    county = _county()
    if county is None:
        counties = db.session.scalars(select(County).order_by(County.name)).all()
        return render_template("language_forms/counties.html", counties=counties)
    municipalities = sorted(county.municipalities, key=lambda m: m.number)
    data = {"county_form": county.language_form, **{field_name(m): m.language_form for m in municipalities}}
    form = _form_class(county)(data=data) if request.method == "GET" else _form_class(county)()
    if form.validate_on_submit():
        choices = {m.number: form[field_name(m)].data for m in municipalities}
        try:
            changed = set_language_forms(current_user, county, form.county_form.data, choices)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(ngettext("The language forms were saved (%(num)d municipality changed).", "The language forms were saved (%(num)d municipalities changed).", len(changed)), "success")
            return redirect(url_for("language_forms.index", county=county.number if current_user.role is Role.ADMIN else None))
    status = 400 if request.method == "POST" else 200
    return render_template("language_forms/index.html", form=form, county=county, municipalities=municipalities,
                           field_name=field_name), status
