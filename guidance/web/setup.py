"""Centre set-up: a county's locations, rooms and planning settings (the lead's and admins' pages)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from guidance import clock
from guidance.extensions import db
from guidance.models import CareerCentre, County, Location, Municipality, Role, Room
from guidance.models.organisation import WEEKDAYS
from guidance.planning.ids import local_today
from guidance.rules.opening import closed_days, open_days
from guidance.services import setup as service
from guidance.services.errors import DomainError
from guidance.web.forms import WholeKronerField, chosen_id, clock_text, show_refusal
from guidance.web.readiness import broken_context
from guidance.web.guards import get_visible, requires

bp = Blueprint("setup", __name__, url_prefix="/setup")

PREVIEW_WEEKS = 6


# ---------------------------------------------------------------------------- forms


class LocationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    centre_id = SelectField(_l("Career centre"), coerce=int, validate_choice=False)   # -1: not chosen, 0: a new one
    municipality_id = SelectField(_l("Municipality"), coerce=chosen_id, validate_choice=False)
    address = StringField(_l("Street address"), validators=[Length(max=300)])
    directions = TextAreaField(_l("Directions"), validators=[Length(max=2000)])
    step_free = BooleanField(_l("Step-free access"))
    outreach = BooleanField(_l("Outreach venue (open only on some days)"))
    open_dates = TextAreaField(_l("Single extra dates"), validators=[Length(max=4000)])


for _weekday in WEEKDAYS:
    for _period in range(1, service.PERIODS_PER_DAY + 1):
        _first = _period == 1
        # "0900", "8" and "kl. 8.30" read as the move form reads them (they were refused here only).
        setattr(LocationForm, service.hours_field(_weekday, _period, "from"),
                StringField(_l("Opens") if _first else _l("Opens again"), validators=[Length(max=5)],
                            filters=[clock_text]))
        setattr(LocationForm, service.hours_field(_weekday, _period, "to"),
                StringField(_l("Closes") if _first else _l("Closes again"), validators=[Length(max=5)],
                            filters=[clock_text]))
for _row in range(1, service.PATTERN_ROWS + 1):
    setattr(LocationForm, f"pattern_{_row}_weekday", SelectField(_l("Weekday"), coerce=int, validate_choice=False))
    setattr(LocationForm, f"pattern_{_row}_weeks", SelectField(_l("Weeks"), validate_choice=False))


class RoomForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=100)])
    capacity = IntegerField(_l("Participants the room seats"), validators=[Optional()])
    video = BooleanField(_l("Video equipment"))


class CentreForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=30)])
    email = StringField(_l("E-mail address"), validators=[Length(max=254)])


class SettingsForm(FlaskForm):
    individual_minutes = IntegerField(_l("Individual session (minutes)"), validators=[Optional()])
    group_minutes = IntegerField(_l("Group session (minutes)"), validators=[Optional()])
    group_min_size = IntegerField(_l("Smallest group (participants)"), validators=[Optional()])
    group_max_size = IntegerField(_l("Largest group (participants)"), validators=[Optional()])
    max_travel_minutes = IntegerField(_l("Longest trip for a participant (minutes)"), validators=[Optional()])
    closure_days = TextAreaField(_l("Closure days"), validators=[Length(max=4000)])
    known_travel = TextAreaField(_l("Known travel times"), validators=[Length(max=4000)])
    booking_answer_hours = IntegerField(_l("Hours an interpreter has to answer"), validators=[Optional()])
    reminder_working_days = IntegerField(_l("Reminder (working days before a session)"), validators=[Optional()])
    publish_notice_days = IntegerField(_l("Notice before the first new session of a plan (working days)"),
                                       validators=[Optional()])
    category_step_nok = IntegerField(_l("Extra cost allowed per better interpreter category (NOK)"),
                                     validators=[Optional()])
    interpreter_late_cancel_hours = IntegerField(_l("Late cancellation of an interpreter (hours before)"),
                                                 validators=[Optional()])
    budget_month = StringField(_l("Month"), validators=[Length(max=7)])
    budget_amount = WholeKronerField(_l("Interpreter budget (NOK)"), validators=[Optional()])
    session_idle_minutes = IntegerField(_l("Sign out after minutes without activity"), validators=[Optional()])


class ActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))


# ---------------------------------------------------------------------------- county pages


@bp.get("/")
@requires("setup")
def index():
    """A lead's own county; an administrator chooses one."""
    if current_user.role is Role.LEAD:
        county = get_visible(County, current_user.county_id or 0)
        return _county_page(county)
    counties = db.session.scalars(select(County).order_by(County.name)).all()
    return render_template("setup/counties.html", counties=counties)


@bp.get("/counties/<int:county_id>")
@requires("setup")
def county(county_id: int):
    return _county_page(get_visible(County, county_id))


def _county_page(county: County):
    locations = service.locations_of(county)
    return render_template("setup/county.html", county=county, locations=locations, centres=service.centres_of(county),
                           closure_periods=service.closure_periods(county.closure_days),
                           budgets=service.budgets_of(county), active_form=ActiveForm(),
                           budgets_ahead=sorted((b for b in service.budgets_of(county)
                                                 if b.month >= clock.today().replace(day=1)), key=lambda b: b.month),
                           weekday_names=service.WEEKDAY_NAMES, weeks_labels=service.WEEKS_LABELS,
                           known_travel=service.known_travel_text(county), **broken_context(county))


@bp.route("/counties/<int:county_id>/settings", methods=["GET", "POST"])
@requires("setup")
def settings(county_id: int):
    county = get_visible(County, county_id)
    if request.method == "GET":
        form = SettingsForm(formdata=None, obj=county, budget_month=local_today().strftime("%Y-%m"))
        form.closure_days.data = service.closure_lines(county.closure_days)
        form.known_travel.data = service.known_travel_text(county)
        return _settings_page(county, form)
    form = SettingsForm()
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        return _settings_page(county, form, 400)
    data = service.SettingsData(
        individual_minutes=form.individual_minutes.data, group_minutes=form.group_minutes.data,
        group_min_size=form.group_min_size.data, group_max_size=form.group_max_size.data,
        max_travel_minutes=form.max_travel_minutes.data, booking_answer_hours=form.booking_answer_hours.data,
        closure_days=form.closure_days.data or "", budget_month=form.budget_month.data or "",
        budget_amount=form.budget_amount.data, reminder_working_days=form.reminder_working_days.data,
        publish_notice_days=form.publish_notice_days.data, category_step_nok=form.category_step_nok.data,
        interpreter_late_cancel_hours=form.interpreter_late_cancel_hours.data,
        session_idle_minutes=form.session_idle_minutes.data, known_travel=form.known_travel.data or "")
    try:
        if not valid:
            # A value that is not a number stopped the form's own check: the service's rules still
            # judge the rest, so the lead sees every problem in one round.
            service.validate_settings(data, county)
        else:
            service.update_settings(current_user, county, data)
            flash(_("The settings were saved."), "success")
            if data.budget_month and data.budget_amount is not None:
                from guidance.web.dashboard import warn_if_over

                warn_if_over(county.id, dt.date.fromisoformat(data.budget_month.strip() + "-01"))
            return redirect(url_for("setup.county", county_id=county.id))
    except DomainError as error:
        db.session.rollback()
        for name, messages in error.field_errors.items():
            field = getattr(form, name)
            field.errors = list(field.errors) or list(messages)  # "Not a valid number" says it already
    return _settings_page(county, form, 400)


def _settings_page(county: County, form: SettingsForm, status: int = 200):
    return render_template("setup/settings.html", county=county, form=form,
                           budgets=service.budgets_of(county)), status


# ---------------------------------------------------------------------------- career centres


@bp.route("/centres/<int:centre_id>", methods=["GET", "POST"])
@requires("setup")
def centre(centre_id: int):
    """A centre's name and the phone and e-mail referrers and participants reach it on."""
    item = get_visible(CareerCentre, centre_id, "manage")
    if request.method == "GET":
        return _centre_page(item, CentreForm(formdata=None, obj=item))
    form = CentreForm()
    if form.validate_on_submit():
        try:
            service.update_centre(current_user, item, service.CentreData(
                name=form.name.data, phone=form.phone.data, email=form.email.data))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The career centre was saved."), "success")
            return redirect(url_for("setup.county", county_id=item.county_id))
    return _centre_page(item, form, 400)


def _centre_page(item: CareerCentre, form: CentreForm, status: int = 200):
    return render_template("setup/centre.html", centre=item, form=form), status


# ---------------------------------------------------------------------------- locations


@bp.route("/counties/<int:county_id>/locations/new", methods=["GET", "POST"])
@requires("setup")
def new_location(county_id: int):
    county = get_visible(County, county_id)
    if request.method == "GET":
        form = LocationForm(formdata=None)
        _fill_hours(form, {str(d): [["08:00", "16:00"]] for d in WEEKDAYS})
        _location_choices(form, county)
        return _location_page(county, form, None)
    form = LocationForm()
    _location_choices(form, county)
    if form.validate_on_submit():
        try:
            location = service.create_location(current_user, county, _location_data(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The location was created. Add its rooms."), "success")
            return redirect(url_for("setup.location", location_id=location.id))
    return _location_page(county, form, None, 400)


@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
@requires("setup")
def location(location_id: int):
    item = get_visible(Location, location_id, "manage")
    county = item.centre.county
    if request.method == "GET":
        form = LocationForm(formdata=None, obj=item)
        form.open_dates.data = "\n".join(item.open_dates or [])
        _fill_hours(form, item.weekly_hours or {})
        for n, entry in enumerate(item.open_pattern or [], start=1):
            if n <= service.PATTERN_ROWS:
                getattr(form, f"pattern_{n}_weekday").data = int(entry["weekday"])
                getattr(form, f"pattern_{n}_weeks").data = entry["weeks"]
        _location_choices(form, county, editing=True)
        return _location_page(county, form, item)
    form = LocationForm()
    _location_choices(form, county, editing=True)
    if form.validate_on_submit():
        try:
            service.update_location(current_user, item, _location_data(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The location was saved."), "success")
            return redirect(url_for("setup.location", location_id=item.id))
    return _location_page(county, form, item, 400)


@bp.post("/locations/<int:location_id>/active")
@requires("setup")
def location_active(location_id: int):
    item = get_visible(Location, location_id, "manage")
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    service.set_location_active(current_user, item, bool(form.active.data))
    flash(_("The location is active again.") if item.active else
          _("The location is deactivated: new plans leave it out."), "success")
    return redirect(url_for("setup.county", county_id=item.centre.county_id))


def _location_choices(form: LocationForm, county: County, editing: bool = False) -> None:
    places = db.session.scalars(select(Municipality).where(Municipality.county_id == county.id)
                                .order_by(Municipality.name)).all()
    form.municipality_id.choices = [(0, _("Choose a municipality"))] + [(m.id, m.name) for m in places]
    centres = service.centres_of(county)
    form.centre_id.choices = [(c.id, c.name) for c in centres] + [(0, _("A new career centre with this name"))]
    if centres and not editing:
        # With centres to choose from, nothing is chosen for the lead: a venue silently joined the first.
        form.centre_id.choices.insert(0, (service.NOT_CHOSEN, _("Choose the career centre")))
    for row in range(1, service.PATTERN_ROWS + 1):
        getattr(form, f"pattern_{row}_weekday").choices = [(0, _("No weekday"))] + [
            (d, str(name)) for d, name in service.WEEKDAY_NAMES.items()]
        getattr(form, f"pattern_{row}_weeks").choices = [(k, str(v)) for k, v in service.WEEKS_LABELS.items()]


def _fill_hours(form: LocationForm, weekly: dict) -> None:
    for weekday in WEEKDAYS:
        for period, (start, end) in enumerate(weekly.get(str(weekday), [])[:service.PERIODS_PER_DAY], start=1):
            getattr(form, service.hours_field(weekday, period, "from")).data = start
            getattr(form, service.hours_field(weekday, period, "to")).data = end


def _location_data(form: LocationForm) -> service.LocationData:
    hours = {d: [(getattr(form, service.hours_field(d, p, "from")).data or "",
                  getattr(form, service.hours_field(d, p, "to")).data or "")
                 for p in range(1, service.PERIODS_PER_DAY + 1)] for d in WEEKDAYS}
    pattern = [(getattr(form, f"pattern_{n}_weekday").data or 0, getattr(form, f"pattern_{n}_weeks").data or "every")
               for n in range(1, service.PATTERN_ROWS + 1)]
    return service.LocationData(
        name=form.name.data or "", municipality_id=form.municipality_id.data or 0,
        centre_id=form.centre_id.data if form.centre_id.data is not None else 0, address=form.address.data or "",
        directions=form.directions.data or "", step_free=form.step_free.data, outreach=form.outreach.data,
        hours=hours, pattern=pattern, open_dates=form.open_dates.data or "")


def _location_page(county: County, form: LocationForm, item: Location | None, status: int = 200):
    preview = []
    if item is not None:
        start = local_today() + dt.timedelta(days=1)
        end = start + dt.timedelta(weeks=PREVIEW_WEEKS) - dt.timedelta(days=1)
        preview = open_days(item, start, end, closed_days(county, start, end))
    rows = [(d, service.WEEKDAY_NAMES[d], [(getattr(form, service.hours_field(d, p, "from")),
                                            getattr(form, service.hours_field(d, p, "to")))
                                           for p in range(1, service.PERIODS_PER_DAY + 1)]) for d in WEEKDAYS]
    patterns = [(getattr(form, f"pattern_{n}_weekday"), getattr(form, f"pattern_{n}_weeks"))
                for n in range(1, service.PATTERN_ROWS + 1)]
    return render_template("setup/location.html", county=county, form=form, location=item, hour_rows=rows,
                           patterns=patterns, preview=preview, active_form=ActiveForm(),
                           **(broken_context(county, location_id=item.id) if item else {})), status


# ---------------------------------------------------------------------------- rooms


@bp.route("/locations/<int:location_id>/rooms/new", methods=["GET", "POST"])
@requires("setup")
def new_room(location_id: int):
    item = get_visible(Location, location_id, "manage")
    if request.method == "GET":
        return _room_page(item, RoomForm(formdata=None, capacity=1), None)
    form = RoomForm()
    if form.validate_on_submit():
        try:
            service.create_room(current_user, item, service.RoomData(form.name.data or "", form.capacity.data,
                                                                     form.video.data))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The room was added."), "success")
            return redirect(url_for("setup.location", location_id=item.id))
    return _room_page(item, form, None, 400)


@bp.route("/rooms/<int:room_id>", methods=["GET", "POST"])
@requires("setup")
def room(room_id: int):
    item = get_visible(Room, room_id, "manage")
    if request.method == "GET":
        return _room_page(item.location, RoomForm(formdata=None, obj=item), item)
    form = RoomForm()
    if form.validate_on_submit():
        try:
            service.update_room(current_user, item, service.RoomData(form.name.data or "", form.capacity.data,
                                                                     form.video.data))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The room was saved."), "success")
            return redirect(url_for("setup.location", location_id=item.location_id))
    return _room_page(item.location, form, item, 400)


@bp.post("/rooms/<int:room_id>/active")
@requires("setup")
def room_active(room_id: int):
    item = get_visible(Room, room_id, "manage")
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    service.set_room_active(current_user, item, bool(form.active.data))
    flash(_("The room is active again.") if item.active else
          _("The room is deactivated: new plans leave it out."), "success")
    return redirect(url_for("setup.location", location_id=item.location_id))


def _room_page(location: Location, form: RoomForm, item: Room | None, status: int = 200):
    return render_template("setup/room.html", location=location, form=form, room=item), status

