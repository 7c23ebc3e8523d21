"""A county's people: the lead (or an admin) sets up counsellors and interpreters."""
from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import Length

from guidance import languages
from guidance.extensions import db
from guidance.labels import kroner_text, ore_from_kroner
from guidance.models import Absence, County, CounsellorProfile, InterpreterProfile, Municipality, Role, User
from guidance.planning.ids import local_today
from guidance.rules.readiness import register_check_due
from guidance.services import accounts, invitations, mail, people, readiness, setup
from guidance.services.errors import DomainError
from guidance.services.people import CATEGORIES, WEEKDAYS, CounsellorData, InterpreterData, PersonData
from guidance.web.forms import CheckboxesField, PostForm, chosen_id, show_refusal
from guidance.web.readiness import broken_context
from guidance.web.guards import county_or_chooser, get_visible, requires

bp = Blueprint("people", __name__, url_prefix="/people")

LANGUAGE_ROWS = 6
# A counsellor's languages beyond the common ones, one list each (a multiple select dropped every
# earlier choice when a lead clicked without Ctrl): three shown, one more than are filled, at most six.
OTHER_LANGUAGE_ROWS, OTHER_LANGUAGES_SHOWN = 6, 3
# Counsellors hold most sessions in Norwegian; it leads their list.
COUNSELLOR_COMMON = ("nb", "nn", "en") + tuple(c for c in languages.COMMON if c != "en")


def weekday_names() -> dict[int, str]:
    return {1: _("Monday"), 2: _("Tuesday"), 3: _("Wednesday"), 4: _("Thursday"), 5: _("Friday"),
            6: _("Saturday"), 7: _("Sunday")}


def mode_labels() -> dict[str, str]:
    return {"onsite": _("On site"), "video": _("Video"), "phone": _("Phone")}


def _with_weekly(cls):
    """One from/to pair per weekday: day1_start, day1_end, ... day7_end (works without JavaScript)."""
    for day in WEEKDAYS:
        setattr(cls, f"day{day}_start", StringField(_l("From")))
        setattr(cls, f"day{day}_end", StringField(_l("To")))
    return cls


@_with_weekly
class CounsellorForm(FlaskForm):
    """Parsing only: every rule is checked once, in services.people."""

    name = StringField(_l("Full name"))
    email = StringField(_l("E-mail address"))
    multicultural = BooleanField(_l("Has completed the multicultural-guidance training"))
    multicultural_completed_on = StringField(_l("Training completed on (optional)"))
    languages = CheckboxesField(_l("Languages the counsellor holds a session in"), validate_choice=False)
    location_ids = CheckboxesField(_l("Locations the counsellor works from"), coerce=str, validate_choice=False)
    # The days at each location are checkboxes per location ("days_<id>", read from the request: their number
    # follows the county's locations); this field carries their message to the error summary.
    location_days = StringField(_l("Days at each location"))
    max_sessions_per_day = StringField(_l("At most this many sessions a day"))
    employment_start = StringField(_l("First day of employment (optional)"))
    employment_end = StringField(_l("Last day of employment (optional)"))
    video_link = StringField(_l("Video meeting room (optional)"))
    lunch_start = StringField(_l("Break from"))
    lunch_end = StringField(_l("Break to"))


for _row in range(OTHER_LANGUAGE_ROWS):
    setattr(CounsellorForm, f"other_language{_row}", SelectField(_l("Another language"), validate_choice=False))


@_with_weekly
class InterpreterForm(FlaskForm):
    name = StringField(_l("Full name"))
    email = StringField(_l("E-mail address"))
    phone = StringField(_l("Phone number"))
    municipality_id = SelectField(_l("Home municipality"), coerce=str, validate_choice=False)
    register_id = StringField(_l("Interpreter ID in the national interpreter register (optional)"))
    register_checked_on = StringField(_l("Register last checked on (optional)"))
    modes = CheckboxesField(_l("Works"), validate_choice=False)
    hourly_rate = StringField(_l("Hourly rate (NOK)"))
    min_billed_minutes = StringField(_l("Minimum billed minutes per booking"))
    travel_rate = StringField(_l("Travel rate per hour (NOK)"))
    booking_channel = RadioField(_l("How the centre books the interpreter"), validate_choice=False)
    agency_name = StringField(_l("Agency (framework agreement)"))


for _row in range(LANGUAGE_ROWS):
    setattr(InterpreterForm, f"lang{_row}_code", SelectField(_l("Language"), validate_choice=False))
    setattr(InterpreterForm, f"lang{_row}_category", SelectField(_l("Register category"), validate_choice=False))


class ActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))


# ---------------------------------------------------------------------------- the county acted for


def _county_or_chooser(kind: str):
    return county_or_chooser({"counsellors": _("Counsellors"), "interpreters": _("Interpreters"),
                              "referrers": _("Referrers")}[kind])


def _county_args(county: County) -> dict:
    """URL arguments that keep an installation admin in the chosen county."""
    return {"county": county.number} if current_user.county_id is None else {}


# ---------------------------------------------------------------------------- counsellors


@bp.get("/counsellors")
@requires("people")
def counsellors():
    county, chooser = _county_or_chooser("counsellors")
    if chooser:
        return chooser
    return render_template("people/counsellors.html", county=county, counsellors=people.counsellors_of(county.id),
                           waiting=people.waiting_for_details(county.id, Role.COUNSELLOR),
                           county_args=_county_args(county), names=_language_names(), form=ActiveForm(),
                           today=local_today(), weekdays=weekday_names())


@bp.route("/counsellors/new", methods=["GET", "POST"])
@requires("people")
def new_counsellor():
    county, chooser = _county_or_chooser("counsellors")
    if chooser:
        return chooser
    form = CounsellorForm()
    _fill_counsellor_choices(form, county)
    if request.method == "POST":
        try:
            profile = people.create_counsellor(current_user, county, _counsellor_data(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            _saved_counsellor(profile)
            _invited(profile)
            return redirect(url_for("people.edit_counsellor", counsellor_id=profile.id))
        return _counsellor_page(form, county, None, 400)
    _fill_waiting(form, county, Role.COUNSELLOR)
    form.max_sessions_per_day.data = "4"
    form.languages.data = ["nb"]
    usual = people.usual_week(county.id)
    if usual:   # most colleagues' hours: the lead changes where this person differs
        _load_weekly(form, usual)
        form.lunch_start.data, form.lunch_end.data = people.daily_break(usual)
    return _counsellor_page(form, county, None, usual_week=bool(usual))


def _fill_waiting(form, county: County, role: Role) -> None:
    """The name and e-mail of the account an administrator made (?email=, from the list's "Add their
    details"): saving links the details to it (services.people._user_for_new_profile)."""
    account = people.waiting_account(county.id, role, request.args.get("email"))
    if account is not None:
        form.name.data, form.email.data = account.name, account.email


def invited_message(email: str) -> str:
    """What became of an invitation: e-mailed, or (no mail server set up) waiting in the outbox. "Was e-mailed"
    had been said of invitations no e-mail ever carried, and the lead waited for people who never heard."""
    if mail.leaves():
        return _("%(email)s was e-mailed an invitation to choose a password or log in.", email=email)
    return _("No e-mail leaves Veiled yet (no mail server is set up), so %(email)s has not got the invitation. "
             "The administrator can show its link on the person's user page, to hand over another way.", email=email)


def _invited(profile) -> None:
    """After creating a person: say that the new account was invited, and where."""
    if invitations.status(profile.user)[1] is not None:
        flash(invited_message(profile.user.email), "info")


def _saved_counsellor(profile: CounsellorProfile) -> None:
    """Saved; and what keeps the counsellor out of every plan, said at once rather than on the home later."""
    flash(_("The counsellor was saved."), "success")
    if not profile.locations:
        flash(_("%(name)s works at no location yet, so plans give them no sessions. Choose their locations below.",
                name=profile.user.name), "warning")
    elif not any((profile.weekly or {}).values()):
        flash(_("%(name)s has no working hours yet, so plans give them no sessions. Set their hours below.",
                name=profile.user.name), "warning")
    elif readiness.never_there(profile):
        flash(_("%(name)s never works on a day and at an hour when their locations are open, so plans give them "
                "no sessions. Check their hours and locations below, or the locations' opening hours.",
                name=profile.user.name), "warning")


@bp.route("/counsellors/<int:counsellor_id>", methods=["GET", "POST"])
@requires("people")
def edit_counsellor(counsellor_id: int):
    profile = get_visible(CounsellorProfile, counsellor_id, "manage")
    county = profile.user.county
    form = CounsellorForm()
    _fill_counsellor_choices(form, county)
    if request.method == "POST":
        try:
            people.update_counsellor(current_user, profile, _counsellor_data(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            _saved_counsellor(profile)
            return redirect(url_for("people.edit_counsellor", counsellor_id=profile.id))
        return _counsellor_page(form, county, profile, 400)
    _load_counsellor(form, profile)
    return _counsellor_page(form, county, profile)


@bp.post("/counsellors/<int:counsellor_id>/invitation")
@requires("people")
def counsellor_invitation(counsellor_id: int):
    profile = get_visible(CounsellorProfile, counsellor_id, "manage")
    _invite(profile)
    return redirect(url_for("people.edit_counsellor", counsellor_id=profile.id))


def _invite(profile) -> None:
    invite_user(profile.user)


def invite_user(user, reconnect: bool = False) -> None:
    """E-mail a (new) invitation, or the link to the county's sign-in to someone on a password, said
    in a flash (the CSRF check first); the people pages' and the administrator's user page's button.
    `reconnect`: the administrator's link for someone whose county account was replaced."""
    if PostForm().validate_on_submit():
        try:
            connect = invitations.invite_again(current_user, user, reconnect=reconnect)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(email)s was e-mailed a link to log in with the county's account.", email=user.email) if connect
                  and mail.leaves() else invited_message(user.email), "success")


def _access(profile) -> dict | None:
    return _access_of(profile.user) if profile is not None else None


@bp.post("/counsellors/<int:counsellor_id>/active")
@requires("people")
def counsellor_active(counsellor_id: int):
    profile = get_visible(CounsellorProfile, counsellor_id, "manage")
    form = ActiveForm()
    if form.validate_on_submit():
        if (confirm := _confirm_deactivation(profile, form, "people.counsellor_active",
                                             {"counsellor_id": profile.id})) is not None:
            return confirm
        people.set_counsellor_active(current_user, profile, bool(form.active.data))
        flash(_("The counsellor is active again.") if profile.active
              else _("The counsellor is deactivated and left out of new plans."), "success")
    return redirect(url_for("people.edit_counsellor", counsellor_id=profile.id))


def _confirm_deactivation(profile, form, endpoint: str, args: dict):
    """The confirmation page before switching off someone with published sessions ahead (one click had, and the
    sessions it broke were listed after the fact); None when there is nothing to confirm."""
    from guidance.services import readiness

    if form.active.data or not profile.active or request.form.get("confirm"):
        return None
    ahead = readiness.sessions_ahead_of(profile.user)
    if not ahead:
        return None
    back = url_for("people.edit_counsellor" if "counsellor_id" in args else "people.edit_interpreter", **args)
    return render_template(
        "confirm_deactivate.html", person=profile.user, action=url_for(endpoint, **args), back=back,
        warning=ngettext("%(name)s has %(num)d published session ahead. Once deactivated, it must be given to someone "
                         "else or moved: the next page lists it, with a re-plan.",
                         "%(name)s has %(num)d published sessions ahead. Once deactivated, they must be given to "
                         "someone else or moved: the next page lists them, with a re-plan.", ahead,
                         name=profile.user.name),
        detail=_("New plans leave them out from now on."))


def _counsellor_page(form, county, profile, status=200, usual_week=False):
    filled = sum(1 for row in range(OTHER_LANGUAGE_ROWS) if getattr(form, f"other_language{row}").data)
    return render_template("people/counsellor_form.html", form=form, county=county, profile=profile,
                           other_rows=min(OTHER_LANGUAGE_ROWS, max(OTHER_LANGUAGES_SHOWN, filled + 1)),
                           access=_access(profile),
                           absences=_absences_ahead(profile),
                           weekdays=weekday_names(), county_args=_county_args(county), active_form=ActiveForm(),
                           may_plan=current_user.role is Role.LEAD, usual_week=usual_week,
                           location_days=_location_days_shown(form, profile),
                           **(broken_context(county, counsellor_id=profile.id) if profile else {})), status


def _fill_counsellor_choices(form: CounsellorForm, county: County) -> None:
    locale = str(get_locale() or "nb")
    form.languages.choices = [(code, languages.language_name(code, locale)) for code in COUNSELLOR_COMMON]
    others = sorted(((c, languages.language_name(c, locale)) for c in languages.all_codes() if c not in COUNSELLOR_COMMON),
                    key=lambda pair: pair[1].casefold())
    for row in range(OTHER_LANGUAGE_ROWS):
        select_field = getattr(form, f"other_language{row}")
        select_field.choices = [("", _("(no language)"))] + others
        select_field.label.text = _("Language %(number)d", number=row + 1)
    form.location_ids.choices = [(str(loc.id), f"{loc.name} ({loc.municipality.name})")
                                 for loc in setup.locations_of(county, active_only=True)]


def _counsellor_data(form: CounsellorForm) -> CounsellorData:
    errors: dict[str, list[str]] = {}
    location_ids = []
    for raw in form.location_ids.data or []:
        try:
            location_ids.append(int(raw))
        except ValueError:
            errors["location_ids"] = [_("Choose locations of your county that are in use.")]
    return CounsellorData(
        name=form.name.data or "", email=form.email.data or "", weekly=_weekly(form),
        multicultural=bool(form.multicultural.data),
        multicultural_completed_on=_date(form, "multicultural_completed_on", errors),
        languages=_counsellor_languages(form), location_ids=location_ids,
        max_sessions_per_day=_whole(form, "max_sessions_per_day", errors),
        employment_start=_date(form, "employment_start", errors), employment_end=_date(form, "employment_end", errors),
        video_link=form.video_link.data or "", lunch=(form.lunch_start.data or "", form.lunch_end.data or ""),
        location_days=_location_days_posted(form),
        input_errors=errors,
    )


def _location_days_posted(form: CounsellorForm) -> dict[int, list[int]] | None:
    """The weekdays ticked per location ("days_<location id>"); None when the form did not show them."""
    if request.form.get("days_shown") != "1":
        return None
    days = {str(d): d for d in range(1, 8)}   # only the weekdays themselves: "²" or a 5,000-digit number are none
    return {int(value): [days[d] for d in request.form.getlist(f"days_{value}") if d in days]
            for value, _label in form.location_ids.choices}


def _location_days_shown(form: CounsellorForm, profile: CounsellorProfile | None) -> dict[str, set[int]]:
    """The ticks each location's days show: as posted when the form comes back, else as stored (a location not
    named: the whole working week)."""
    posted = _location_days_posted(form) if request.method == "POST" else None
    if posted is not None:
        return {str(k): set(v) for k, v in posted.items()}
    return {value: set((profile.days_at(value) if profile is not None else None) or people.WORKING_WEEK)
            for value, _label in form.location_ids.choices}


def _counsellor_languages(form: CounsellorForm) -> list[str]:
    """The ticked common languages, then the ones chosen from the whole list, each once."""
    chosen = list(form.languages.data or [])
    for row in range(OTHER_LANGUAGE_ROWS):
        code = getattr(form, f"other_language{row}").data or ""
        if code and code not in chosen:
            chosen.append(code)
    return chosen


def _load_counsellor(form: CounsellorForm, p: CounsellorProfile) -> None:
    form.name.data, form.email.data = p.user.name, p.user.email
    form.multicultural.data = p.multicultural
    form.multicultural_completed_on.data = _iso(p.multicultural_completed_on)
    form.languages.data = [code for code in p.languages or [] if code in COUNSELLOR_COMMON]
    others = [code for code in p.languages or [] if code not in COUNSELLOR_COMMON]
    for row, code in enumerate(others[:OTHER_LANGUAGE_ROWS]):
        getattr(form, f"other_language{row}").data = code
    form.location_ids.data = [str(loc.id) for loc in p.locations]
    form.max_sessions_per_day.data = str(p.max_sessions_per_day)
    form.employment_start.data, form.employment_end.data = _iso(p.employment_start), _iso(p.employment_end)
    form.video_link.data = p.video_link or ""
    _load_weekly(form, p.weekly)
    form.lunch_start.data, form.lunch_end.data = people.daily_break(p.weekly)


# ---------------------------------------------------------------------------- interpreters


@bp.get("/interpreters")
@requires("people")
def interpreters():
    county, chooser = _county_or_chooser("interpreters")
    if chooser:
        return chooser
    return render_template("people/interpreters.html", county=county, interpreters=people.interpreters_of(county.id),
                           waiting=people.waiting_for_details(county.id, Role.INTERPRETER),
                           county_args=_county_args(county), names=_language_names(), modes=mode_labels(),
                           letter=people.category_letter, today=local_today(), check_due=register_check_due)


@bp.route("/interpreters/new", methods=["GET", "POST"])
@requires("people")
def new_interpreter():
    county, chooser = _county_or_chooser("interpreters")
    if chooser:
        return chooser
    form = InterpreterForm()
    _fill_interpreter_choices(form)
    if request.method == "POST":
        try:
            profile = people.create_interpreter(current_user, county, _interpreter_data(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The interpreter was saved."), "success")
            _invited(profile)
            return redirect(url_for("people.edit_interpreter", interpreter_id=profile.id))
        return _interpreter_page(form, county, None, 400)
    # The travel rate is asked, not assumed: at 0 an interpreter three hours away looks as cheap as
    # one in town, and the plan books the far one.
    _fill_waiting(form, county, Role.INTERPRETER)
    form.min_billed_minutes.data = "60"
    form.booking_channel.data = "direct"
    form.modes.data = ["onsite", "video", "phone"]
    return _interpreter_page(form, county, None)


@bp.route("/interpreters/<int:interpreter_id>", methods=["GET", "POST"])
@requires("people")
def edit_interpreter(interpreter_id: int):
    profile = get_visible(InterpreterProfile, interpreter_id, "manage")
    county = profile.user.county
    form = InterpreterForm()
    _fill_interpreter_choices(form)
    if request.method == "POST":
        try:
            people.update_interpreter(current_user, profile, _interpreter_data(form))
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The interpreter was saved."), "success")
            return redirect(url_for("people.edit_interpreter", interpreter_id=profile.id))
        return _interpreter_page(form, county, profile, 400)
    _load_interpreter(form, profile)
    return _interpreter_page(form, county, profile)


@bp.post("/interpreters/<int:interpreter_id>/invitation")
@requires("people")
def interpreter_invitation(interpreter_id: int):
    profile = get_visible(InterpreterProfile, interpreter_id, "manage")
    _invite(profile)
    return redirect(url_for("people.edit_interpreter", interpreter_id=profile.id))


@bp.post("/interpreters/<int:interpreter_id>/active")
@requires("people")
def interpreter_active(interpreter_id: int):
    profile = get_visible(InterpreterProfile, interpreter_id, "manage")
    form = ActiveForm()
    if form.validate_on_submit():
        if (confirm := _confirm_deactivation(profile, form, "people.interpreter_active",
                                             {"interpreter_id": profile.id})) is not None:
            return confirm
        people.set_interpreter_active(current_user, profile, bool(form.active.data))
        flash(_("The interpreter is active again.") if profile.active
              else _("The interpreter is deactivated and left out of new plans."), "success")
    return redirect(url_for("people.edit_interpreter", interpreter_id=profile.id))


def _interpreter_page(form, county, profile, status=200):
    rows = [(getattr(form, f"lang{i}_code"), getattr(form, f"lang{i}_category")) for i in range(LANGUAGE_ROWS)]
    return render_template("people/interpreter_form.html", form=form, county=county, profile=profile,
                           access=_access(profile),
                           absences=_absences_ahead(profile), rows=rows,
                           weekdays=weekday_names(), county_args=_county_args(county), active_form=ActiveForm(),
                           may_plan=current_user.role is Role.LEAD,
                           **(broken_context(county, interpreter_id=profile.id) if profile else {})), status


def _fill_interpreter_choices(form: InterpreterForm) -> None:
    common, others = languages.choices(str(get_locale() or "nb"))
    for i in range(LANGUAGE_ROWS):
        getattr(form, f"lang{i}_code").choices = {_("Common languages"): [("", _("(no language)"))] + common,
                                                   _("All languages"): others}
        getattr(form, f"lang{i}_category").choices = [("", "–")] + [(letter, letter) for letter in CATEGORIES]
    form.municipality_id.choices = [("", _("Choose a municipality"))] + [
        (str(m.id), f"{m.name} ({m.number})") for m in db.session.scalars(select(Municipality).order_by(Municipality.name))]
    form.modes.choices = list(mode_labels().items())
    form.booking_channel.choices = [("direct", _("Directly")),
                                    ("agency", _("Through an agency under a framework agreement"))]


def _interpreter_data(form: InterpreterForm) -> InterpreterData:
    errors: dict[str, list[str]] = {}
    try:
        municipality_id = int(form.municipality_id.data) if form.municipality_id.data else None
    except ValueError:
        municipality_id = None
    rows = [(getattr(form, f"lang{i}_code").data or "", getattr(form, f"lang{i}_category").data or "")
            for i in range(LANGUAGE_ROWS)]
    return InterpreterData(
        name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "", weekly=_weekly(form),
        municipality_id=municipality_id, languages=rows, register_id=form.register_id.data or "",
        register_checked_on=_date(form, "register_checked_on", errors), modes=list(form.modes.data or []),
        hourly_rate_ore=_ore(form, "hourly_rate", errors), travel_rate_ore=_ore(form, "travel_rate", errors),
        min_billed_minutes=_whole(form, "min_billed_minutes", errors),
        booking_channel=form.booking_channel.data or "", agency_name=form.agency_name.data or "",
        input_errors=errors,
    )


def _load_interpreter(form: InterpreterForm, p: InterpreterProfile) -> None:
    form.name.data, form.email.data, form.phone.data = p.user.name, p.user.email, p.user.phone or ""
    form.municipality_id.data = str(p.municipality_id)
    for i, lang in enumerate(p.languages[:LANGUAGE_ROWS]):
        getattr(form, f"lang{i}_code").data = lang.language
        getattr(form, f"lang{i}_category").data = people.category_letter(lang.category)
    form.register_id.data = p.register_id or ""
    form.register_checked_on.data = _iso(p.register_checked_on)
    form.modes.data = list(p.modes or [])
    form.hourly_rate.data, form.travel_rate.data = _kroner(p.hourly_rate_ore), _kroner(p.travel_rate_ore)
    form.min_billed_minutes.data = str(p.min_billed_minutes)
    form.booking_channel.data, form.agency_name.data = p.booking_channel, p.agency_name or ""
    _load_weekly(form, p.weekly)


# ---------------------------------------------------------------------------- reading the forms


def _weekly(form) -> dict[int, tuple[str, str]]:
    return {d: (getattr(form, f"day{d}_start").data or "", getattr(form, f"day{d}_end").data or "") for d in WEEKDAYS}


def _load_weekly(form, weekly) -> None:
    for day, (start, end) in people.weekly_pairs(weekly).items():
        getattr(form, f"day{day}_start").data, getattr(form, f"day{day}_end").data = start, end


def _date(form, name: str, errors: dict) -> dt.date | None:
    raw = (getattr(form, name).data or "").strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    errors[name] = [_("Enter a real date, like 17.03.2027.")]
    return None


def _whole(form, name: str, errors: dict) -> int | None:
    raw = (getattr(form, name).data or "").strip()
    if not re.fullmatch(r"\d{1,4}", raw):
        errors[name] = [_("Enter a whole number.")]
        return None
    return int(raw)


def _ore(form, name: str, errors: dict) -> int | None:
    """An amount in kroner as typed ("720", "720,50", "1 200") in øre."""
    amount = ore_from_kroner(getattr(form, name).data)
    if amount is None:
        errors[name] = [_("Enter an amount in kroner, like 720 or 720,50.")]
    return amount


def _kroner(ore: int | None) -> str:
    return kroner_text(ore)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _absences_ahead(profile) -> list[Absence]:
    if profile is None:
        return []
    return list(db.session.scalars(select(Absence).where(Absence.user_id == profile.user_id,
                                                         Absence.end_date >= local_today())
                                   .order_by(Absence.start_date)))


def _language_names() -> dict[str, str]:
    locale = str(get_locale() or "nb")
    return {code: languages.language_name(code, locale) for code in languages.all_codes()}


# ---------------------------------------------------------------------------- referrers


class ReferrerForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    email = StringField(_l("E-mail address"), validators=[Length(max=254)])
    municipality_id = SelectField(_l("Municipality"), coerce=chosen_id, validate_choice=False)


@bp.route("/referrers", methods=["GET", "POST"])
@requires("people")
def referrers():
    """The municipalities' referrers: the lead adds a programme adviser, who is invited by e-mail
    (onboarding a municipality needed the installation's administrator)."""
    county, chooser = _county_or_chooser("referrers")
    if chooser:
        return chooser
    form = ReferrerForm()
    places = county.municipalities
    form.municipality_id.choices = [(0, _("Choose the municipality"))] + [
        (m.id, m.name) for m in sorted(places, key=lambda m: m.name)]
    status = 200
    if request.method == "POST":
        try:
            user = people.create_referrer(current_user, county, PersonData(name=form.name.data or "",
                                                                          email=form.email.data or ""),
                                          form.municipality_id.data)
        except DomainError as error:
            show_refusal(form, error)
            status = 400
        else:
            flash(invited_message(user.email), "success")
            return redirect(url_for("people.referrers", **_county_args(county)))
    found = people.referrers_of(county.id)
    return render_template("people/referrers.html", county=county, referrers=found, form=form,
                           access={u.id: _access_of(u) for u in found}, active_form=ActiveForm(),
                           county_args=_county_args(county)), status


@bp.post("/referrers/<int:referrer_id>/invitation")
@requires("people")
def referrer_invitation(referrer_id: int):
    user = get_visible(User, referrer_id, "manage_referrer")
    invite_user(user)
    return redirect(url_for("people.referrers", **_county_args(user.municipality.county)))


class EmailForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[Length(max=254)])


@bp.route("/referrers/<int:referrer_id>/email", methods=["GET", "POST"])
@requires("people")
def referrer_email(referrer_id: int):
    """Correct a referrer's mistyped e-mail address before their first login (the invitation goes again)."""
    user = get_visible(User, referrer_id, "manage_referrer")
    back = url_for("people.referrers", **_county_args(user.municipality.county))
    form = EmailForm()
    status = 200
    if request.method == "POST":
        try:
            people.correct_referrer_email(current_user, user, form.email.data or "")
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
            status = 400
        else:
            flash(invited_message(user.email), "success")
            return redirect(back)
    else:
        form.email.data = user.email
    return render_template("people/referrer_email.html", referrer=user, form=form, back=back,
                           signed_in=invitations.has_signed_in(user)), status


@bp.post("/referrers/<int:referrer_id>/active")
@requires("people")
def referrer_active(referrer_id: int):
    user = get_visible(User, referrer_id, "manage_referrer")
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            accounts.set_active(current_user, user, bool(form.active.data))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("%(name)s can log in again.", name=user.name) if user.active
                  else _("%(name)s is deactivated and logged out everywhere.", name=user.name), "success")
    return redirect(url_for("people.referrers", **_county_args(user.municipality.county)))


def _access_of(user) -> dict:
    signed_in, invited_at = invitations.status(user)
    return {"signed_in": signed_in, "invited_at": invited_at, "may_connect": signed_in and invitations.may_connect(user)}
