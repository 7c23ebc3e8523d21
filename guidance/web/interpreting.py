"""The lead's interpreter desk: alerts for declined or unanswered requests with the offered
replacements, the answer time, actual minutes, and planned vs actual cost."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from guidance.extensions import db
from guidance.models import County, InterpreterBooking, PlanningRun, Session
from guidance.models.types import utcnow
from guidance.labels import INTERPRETER_MODE, kroner_text
from guidance.services.interpreter_bookings import answers, costs, outside, replacements
from guidance.services.interpreter_bookings.requests import set_answer_hours
from guidance.services.errors import DomainError
from guidance.services.people import category_letter
from guidance.web.dashboard import period_label
from guidance.web.forms import PostForm, show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("interpreting", __name__, url_prefix="/centre/interpreters")


class RebookForm(FlaskForm):
    candidate_id = HiddenField(validators=[DataRequired()])


class PhoneAnswerForm(FlaskForm):
    answer = HiddenField(validators=[DataRequired()])
    # Why they said no, in their words (the alert shows it; a no on the phone had none).
    reason = StringField(_l("Reason for a no (optional)"), validators=[Length(max=1000)])


class AnswerHoursForm(FlaskForm):
    hours = IntegerField(_l("Hours an interpreter has to answer"), validators=[
        InputRequired(_l("Enter a number of hours.")),
        NumberRange(min=1, max=336, message=_l("Enter between 1 and 336 hours."))])


class ActualForm(FlaskForm):
    # Required unless the interpreter did not come (costs.record_actual_minutes says so on the field).
    minutes = IntegerField(_l("Actual minutes"), validators=[
        Optional(), NumberRange(min=0, max=1440, message=_l("Enter minutes between 0 and 1440."))])
    did_not_come = BooleanField(_l("The interpreter did not come: nothing is paid"))


class OutsideForm(FlaskForm):
    """An interpreter arranged outside Veiled: the service checks every field (outside.validate)."""

    who = StringField(_l("Agency or interpreter"))
    # The session's own choices (outside.modes_for); the service says which are allowed.
    mode = RadioField(_l("How the interpreter takes part"), validate_choice=False)
    price = StringField(_l("Agreed price for the session, NOK (optional)"))
    note = StringField(_l("Order number or note (optional)"))


def _county() -> County:
    return db.session.get(County, current_user.county_id)


# Which bookings the list shows: the sessions ahead (the default), the held ones whose actual
# minutes are still to be recorded, or all (the latest LIMIT).
SHOWS = ("ahead", "to_record", "all")
LIMIT = 300


def _listed(county: County, show: str):
    """The bookings of one view of the list, and how many each view holds."""
    from guidance.models import BookingStatus

    now = utcnow()
    base = (select(InterpreterBooking).join(Session, Session.id == InterpreterBooking.session_id)
            .join(PlanningRun, PlanningRun.id == Session.run_id).where(PlanningRun.county_id == county.id))
    views = {
        "ahead": (base.where(Session.start >= now), (Session.start, InterpreterBooking.id)),
        "to_record": (base.where(Session.start < now, InterpreterBooking.status == BookingStatus.ACCEPTED,
                                 InterpreterBooking.actual_minutes.is_(None)),
                      (Session.start.desc(), InterpreterBooking.id.desc())),
        "all": (base, (Session.start.desc(), InterpreterBooking.id.desc())),
    }
    counts = {name: db.session.scalar(select(func.count()).select_from(stmt.subquery()))
              for name, (stmt, _order) in views.items()}
    stmt, order = views[show]
    from sqlalchemy.orm import selectinload

    from guidance.models import CounsellorProfile

    # Each row names its place and counsellor: read with the rows (up to LIMIT of them), not one query per row.
    eager = (selectinload(InterpreterBooking.session).selectinload(Session.location),
             selectinload(InterpreterBooking.session).selectinload(Session.counsellor)
             .selectinload(CounsellorProfile.user))
    return db.session.scalars(stmt.options(*eager).order_by(*order).limit(LIMIT)).all(), counts


def _page(hours_form=None, actual_forms=None, errors=None, status=200, show: str | None = None):
    county = _county()
    show = show or request.args.get("show")
    show = show if show in SHOWS else "ahead"
    bookings, counts = _listed(county, show)
    if hours_form is None:
        hours_form = AnswerHoursForm(formdata=None, hours=county.booking_answer_hours)
    actual_forms = actual_forms or {}
    for b in bookings:
        actual_forms.setdefault(b.id, ActualForm(formdata=None, prefix=f"b{b.id}", minutes=b.actual_minutes))
    return render_template("interpreting/index.html", alerts=replacements.alerts(county.id), bookings=bookings,
                           outside=outside.arranged_ahead(county.id),
                           report=costs.cost_report(county.id), hours_form=hours_form, actual_forms=actual_forms,
                           rebook_form=RebookForm(), phone_form=PhoneAnswerForm(), all_form=PostForm(), now=utcnow(),
                           errors=errors or [], show=show, counts=counts,
                           limit=LIMIT, letter=category_letter,
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
    from guidance.web.auth import _safe_next

    back = request.form.get("back")  # the absence page asks from its own list
    return redirect(_safe_next(back) if back else url_for("interpreting.index"))


@bp.post("/rebook-all")
@requires("interpreting")
def rebook_all():
    """Ask the first offered replacement for every session in the alerts."""
    if PostForm().validate_on_submit():
        asked, left = replacements.rebook_all(current_user, current_user.county_id)
        flash(ngettext("%(num)d interpreter was asked.", "%(num)d interpreters were asked.", asked)
              + (" " + ngettext("%(num)d session has nobody to offer: move it or cancel it.",
                                "%(num)d sessions have nobody to offer: move them or cancel them.", left)
                 if left else ""), "success" if asked else "warning")
    return redirect(url_for("interpreting.index", _anchor="alerts"))


@bp.post("/<int:booking_id>/phone-answer")
@requires("interpreting")
def phone_answer(booking_id: int):
    """The interpreter answered on the phone: the lead records yes or no for them."""
    booking = get_visible(InterpreterBooking, booking_id, "manage")
    form = PhoneAnswerForm()
    if form.validate_on_submit() and form.answer.data in ("accept", "decline"):
        try:
            answers.answer_by_phone(current_user, booking, form.answer.data == "accept", form.reason.data or "")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("%(name)s's answer is recorded.", name=booking.interpreter.user.name), "success")
    return redirect(url_for("interpreting.index", _anchor=f"booking-{booking.id}"))


@bp.post("/<int:booking_id>/actual")
@requires("interpreting")
def actual(booking_id: int):
    booking = get_visible(InterpreterBooking, booking_id, "manage")
    form = ActualForm(prefix=f"b{booking.id}")
    if form.validate_on_submit():
        try:
            costs.record_actual_minutes(current_user, booking, form.minutes.data, bool(form.did_not_come.data))
        except DomainError as error:
            db.session.rollback()
            form.minutes.errors = list(error.field_errors.get("minutes", [error.message]))
        else:
            flash(_("Saved: the interpreter did not come, and nothing is paid.") if form.did_not_come.data
                  else _("The actual minutes were saved."), "success")
            return redirect(url_for("interpreting.index", show="to_record", _anchor="bookings"))
    # The list the booking is in, so the message stands beside its field.
    show = "to_record" if booking.session.start < utcnow() and booking.actual_minutes is None else "all"
    return _page(actual_forms={booking.id: form}, errors=form.minutes.errors, status=400, show=show)


@bp.route("/sessions/<int:session_id>/outside", methods=["GET", "POST"])
@requires("interpreting")
def outside_interpreter(session_id: int):
    """Record, correct or remove the interpreter the lead arranged outside Veiled for one session."""
    session = get_visible(Session, session_id, "manage")
    form = OutsideForm()
    modes = outside.modes_for(session)
    form.mode.choices = [(m, str(INTERPRETER_MODE[m])) for m in modes]
    refused = outside.refusal(session)
    if request.method == "GET":
        if session.outside_interpreter:
            form.who.data, form.mode.data = session.outside_interpreter, session.outside_interpreter_mode
            form.price.data = kroner_text(session.outside_interpreter_price_ore)
            form.note.data = session.outside_interpreter_note or ""
        else:  # the way the interpreter in Veiled was to take part, when the session still allows it
            latest = outside.latest_request(session)
            planned = latest.mode if latest is not None else session.interpreter_mode
            form.mode.data = planned if planned in modes else modes[0]
    elif refused is None and form.validate_on_submit():
        try:
            outside.record(current_user, session, outside.OutsideData(
                who=form.who.data or "", mode=form.mode.data or "", price=form.price.data or "",
                note=form.note.data or ""))
        except DomainError as error:
            show_refusal(form, error)
            if not error.field_errors:
                refused = error.message
        else:
            flash(_("The interpreter arranged outside Veiled is recorded for the session. Veiled does not contact "
                    "them: tell them yourself of any change."), "success")
            return redirect(url_for("interpreting.index", _anchor="outside"))
    return render_template("interpreting/outside.html", session=session, form=form, refused=refused,
                           remove_form=PostForm()), 400 if request.method == "POST" else 200


@bp.post("/sessions/<int:session_id>/outside/remove")
@requires("interpreting")
def remove_outside_interpreter(session_id: int):
    """Remove the interpreter arranged outside Veiled: the session needs one again (the alert is back)."""
    session = get_visible(Session, session_id, "manage")
    if PostForm().validate_on_submit():
        try:
            outside.remove(current_user, session)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("interpreting.outside_interpreter", session_id=session.id))
        flash(_("The interpreter arranged outside Veiled is removed. The session needs an interpreter again."), "warning")
    return redirect(url_for("interpreting.index", _anchor="alerts"))
