"""The lead's interpreter desk: alerts for declined or unanswered requests with the offered
replacements, the answer time, actual minutes, and planned vs actual cost."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from guidance.extensions import db
from guidance.models import County, InterpreterBooking, PlanningRun, Session
from guidance.models.types import utcnow
from guidance.services.interpreter_bookings import costs, replacements
from guidance.services.interpreter_bookings.requests import set_answer_hours
from guidance.services.errors import DomainError
from guidance.web.dashboard import period_label
from guidance.web.guards import get_visible, requires

bp = Blueprint("interpreting", __name__, url_prefix="/centre/interpreters")


class RebookForm(FlaskForm):
    candidate_id = HiddenField(validators=[DataRequired()])


class AnswerHoursForm(FlaskForm):
    hours = IntegerField(_l("Hours an interpreter has to answer"), validators=[
        InputRequired(_l("Enter a number of hours.")),
        NumberRange(min=1, max=336, message=_l("Enter between 1 and 336 hours."))])


class ActualForm(FlaskForm):
    minutes = IntegerField(_l("Actual minutes"), validators=[
        InputRequired(_l("Enter the minutes the interpreter worked.")),
        NumberRange(min=0, max=1440, message=_l("Enter minutes between 0 and 1440."))])


def _county() -> County:
    return db.session.get(County, current_user.county_id)


def _page(hours_form=None, actual_forms=None, errors=None, status=200):
    county = _county()
    bookings = db.session.scalars(
        select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county.id)
        .order_by(Session.start.desc(), InterpreterBooking.id.desc()).limit(300)
    ).all()
    if hours_form is None:
        hours_form = AnswerHoursForm(formdata=None, hours=county.booking_answer_hours)
    actual_forms = actual_forms or {}
    for b in bookings:
        actual_forms.setdefault(b.id, ActualForm(formdata=None, prefix=f"b{b.id}", minutes=b.actual_minutes))
    return render_template("interpreting/index.html", alerts=replacements.alerts(county.id), bookings=bookings,
                           report=costs.cost_report(county.id), hours_form=hours_form, actual_forms=actual_forms,
                           rebook_form=RebookForm(), now=utcnow(), errors=errors or [],
                           period=lambda month: period_label(month, full=True)), status


@bp.get("/")
@requires("interpreting")
def index():
    return _page()


@bp.post("/answer-time")
@requires("interpreting")
def answer_time():
    form = AnswerHoursForm()
    if form.validate_on_submit():
        set_answer_hours(current_user, _county(), form.hours.data)
        flash(_("The answer time was saved."), "success")
        return redirect(url_for("interpreting.index"))
    return _page(hours_form=form, status=400)


@bp.post("/<int:booking_id>/rebook")
@requires("interpreting")
def rebook(booking_id: int):
    booking = get_visible(InterpreterBooking, booking_id, "manage")
    form = RebookForm()
    if form.validate_on_submit():
        try:
            replacements.rebook(current_user, booking, int(form.candidate_id.data))
        except (DomainError, ValueError) as error:
            db.session.rollback()
            flash(getattr(error, "message", _("Choose an interpreter from the list.")), "error")
        else:
            flash(_("The request was sent to the interpreter."), "success")
    return redirect(url_for("interpreting.index"))


@bp.post("/<int:booking_id>/actual")
@requires("interpreting")
def actual(booking_id: int):
    booking = get_visible(InterpreterBooking, booking_id, "manage")
    form = ActualForm(prefix=f"b{booking.id}")
    if form.validate_on_submit():
        try:
            costs.record_actual_minutes(current_user, booking, form.minutes.data)
        except DomainError as error:
            db.session.rollback()
            form.minutes.errors = list(error.field_errors.get("minutes", [error.message]))
        else:
            flash(_("The actual minutes were saved."), "success")
            return redirect(url_for("interpreting.index"))
    return _page(actual_forms={booking.id: form}, errors=form.minutes.errors, status=400)
