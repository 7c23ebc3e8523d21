"""The county's default written form and its municipalities' choices (Language Act)."""
from __future__ import annotations

from flask_babel import gettext as _

from guidance.extensions import db
from guidance.models import County
from guidance.rules.language import COUNTY_FORMS, MUNICIPALITY_FORMS
from guidance.services import audit
from guidance.services.errors import DomainError


def field_name(municipality) -> str:
    """The form field (and error key) of one municipality's choice."""
    return f"municipality_{municipality.number}"


def set_language_forms(actor, county: County, county_form: str, choices: dict[str, str]) -> list[str]:
    """Save the county's form (nb, nn) and each municipality's (nb, nn, neutral; keyed by number,
    absent: unchanged). One transaction, audited; returns the numbers of the municipalities changed."""
    errors: dict[str, list[str]] = {}
    if county_form not in COUNTY_FORMS:
        errors["county_form"] = [_("Choose bokmål or nynorsk.")]
    municipalities = {m.number: m for m in county.municipalities}
    for number, form in choices.items():
        if number in municipalities and form not in MUNICIPALITY_FORMS:
            errors[field_name(municipalities[number])] = [_("Choose bokmål, nynorsk or neutral.")]
    if errors:
        raise DomainError(_("The language forms could not be saved."), errors)
    changed = sorted(number for number, form in choices.items()
                     if number in municipalities and municipalities[number].language_form != form)
    detail = {"municipalities": {number: choices[number] for number in changed}}
    if county.language_form != county_form:
        detail["county"] = county_form
    county.language_form = county_form
    for number in changed:
        municipalities[number].language_form = choices[number]
    audit.record(actor, "county.language_forms", county, detail)
    db.session.commit()
    return changed
