"""The municipalities' intake: the referral form, correction, withdrawal and bulk upload."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from types import SimpleNamespace

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from guidance import languages
from guidance.extensions import db
from guidance.models import Referral
from guidance.planning.ids import local_date, local_today
from guidance.rules.deadlines import (
    SHORT_DEADLINE_WORKING_DAYS,
    TEMPORARY_ACT_DEFAULT_MONTHS,
    deadline_passed,
    working_days_left,
)
from guidance.rules.eligibility import served_municipalities
from guidance.rules.notice import first_new_day
from guidance.services import queue, referral_csv, referrals
from guidance.services.attachments import MAX_BYTES, MAX_PER_REFERRAL, Upload, check_uploads
from guidance.services.errors import DomainError
from guidance.services.referral_reading import first_guidance_in_time, read_referral
from guidance.services.referrals import ReferralData
from guidance.web.forms import CheckboxesField, PromptSelect, can_come_fields, row_id, show_refusal
from guidance.web.guards import get_visible, requires
from guidance.web.templating import centre_contacts
from guidance.labels import LEGAL_BASIS, SESSION_TYPE

bp = Blueprint("intake", __name__, url_prefix="/intake")


@bp.context_processor
def _attachment_limits() -> dict:
    """The form's file field tells the browser the limits the service checks (static/js/intake.js)."""
    return {"attachment_limits": SimpleNamespace(count=MAX_PER_REFERRAL, bytes=MAX_BYTES)}


class ReferralForm(FlaskForm):
    """Parsing only: every rule is checked once, in services.referrals.validate."""

    # In the order of the page (templates/intake/form.html): the error summary lists the fields so.
    name = StringField(_l("Participant's full name"))
    phone = StringField(_l("Participant's phone number (optional)"))
    municipality_id = SelectField(_l("Home municipality"), coerce=str, validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False, widget=PromptSelect(_l("Choose the language")))
    needs_interpreter = BooleanField(_l("Needs an interpreter"))
    video_ok = BooleanField(_l("Can take a session by video"))
    needs_step_free = BooleanField(_l("Needs step-free access"))
    accessibility_needs = TextAreaField(_l("Accessibility needs (optional)"))
    legal_basis = RadioField(_l("Legal basis"), validate_choice=False)
    settlement_date = StringField(_l("Settlement date"))
    programme_decision_date = StringField(_l("Expected date of the programme decision (optional)"))
    window_months = IntegerField(_l("Window for guidance under the temporary act, in months"))
    needs = CheckboxesField(_l("Sessions needed"), validate_choice=False)
    earliest_date = StringField(_l("Earliest date for guidance"))
    # When the participant can come: the planner books only then (a course in the mornings, a child to fetch).
    can_come_weekdays, can_come_part = can_come_fields()
    adviser_attends = BooleanField(_l("The programme adviser wishes to attend"))
    notes = TextAreaField(_l("Notes for the career centre (optional)"))
    attachments = MultipleFileField(_l("Attachments: notes and plans (optional)"))
    confirm_duplicate = BooleanField(_l("Yes, send this referral even though the participant may already be referred"))
    # One token per form shown: a double click or a resent POST carries the same one, and the
    # unique (municipality, idempotency key) constraint lets only one referral in.
    submission = HiddenField()


def _new_submission_token() -> str:
    return secrets.token_hex(16)


def _submission_key(form: ReferralForm) -> str | None:
    token = (form.submission.data or "").strip()
    if not (16 <= len(token) <= 64 and token.isascii() and token.isalnum()):
        return None
    return f"form:{token}"


def _fingerprint(data: ReferralData) -> str:
    return hashlib.sha256(json.dumps(vars(data), default=str, sort_keys=True).encode()).hexdigest()


class ContactForm(FlaskForm):
    name = StringField(_l("Participant's full name"))
    phone = StringField(_l("Participant's phone number (optional)"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why is the referral withdrawn?"))


def _fill_choices(form: ReferralForm) -> None:
    form.municipality_id.choices = [(str(m.id), m.name) for m in served_municipalities(current_user.municipality)]
    form.legal_basis.choices = [(code, str(label)) for code, label in LEGAL_BASIS.items()]
    common, others = languages.choices(str(get_locale() or "nb"))
    form.language.choices = {_("Common languages"): common, _("All languages"): others}
    form.needs.choices = [(code, str(label)) for code, label in SESSION_TYPE.items()]


@bp.context_processor
def _needs_defaults():
    return {"needs_defaults": {basis: referrals.default_needs(basis) for basis in LEGAL_BASIS}}


def _parse_date(form: ReferralForm, name: str, errors: dict) -> dt.date | None:
    raw = (getattr(form, name).data or "").strip()
    if not raw:
        return None
    day = referrals.parse_typed_date(raw)
    if day is None:
        errors.setdefault(name, []).append(_("Enter a real date, like 17.03.2027."))
    return day


def _parse(form: ReferralForm) -> tuple[ReferralData, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    try:
        municipality_id = int(form.municipality_id.data) if form.municipality_id.data else None
    except ValueError:
        municipality_id = None
    window = None
    if form.legal_basis.data == "temporary_act":
        if form.window_months.raw_data and form.window_months.raw_data[0].strip() and form.window_months.data is None:
            errors["window_months"] = [_("Enter a whole number of months.")]
        window = form.window_months.data
    data = ReferralData(
        name=form.name.data or "", phone=form.phone.data, municipality_id=municipality_id,
        legal_basis=form.legal_basis.data or "", settlement_date=_parse_date(form, "settlement_date", errors),
        programme_decision_date=_parse_date(form, "programme_decision_date", errors), window_months=window,
        language=form.language.data or "", needs_interpreter=bool(form.needs_interpreter.data),
        video_ok=bool(form.video_ok.data), needs_step_free=bool(form.needs_step_free.data), needs=list(form.needs.data or []),
        earliest_date=_parse_date(form, "earliest_date", errors), accessibility_needs=form.accessibility_needs.data,
        adviser_attends=bool(form.adviser_attends.data), notes=form.notes.data,
        can_come_weekdays=list(form.can_come_weekdays.data or []), can_come_part=form.can_come_part.data or None,
    )
    return data, errors


def _uploads(form: ReferralForm) -> list[Upload]:
    files = [f for f in request.files.getlist(form.attachments.name) if f and f.filename]
    return [Upload(filename=f.filename, data=f.read()) for f in files]


def _show_errors(form: ReferralForm, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        target = getattr(form, name, None) or form.name
        target.errors = list(target.errors or []) + [m for m in messages if m not in (target.errors or [])]


def _form_again(form: ReferralForm, uploads: list[Upload], status: int = 400, **context):
    """The form shown again with what was typed. A browser never refills a file field, so chosen files
    are asked for again at the field and in the error summary, by name: a note below the summary was
    missed, and the referral went without its plans."""
    if uploads:
        # A file that will be refused anyway is named now, not after the form is sent a second time.
        problems, _types = check_uploads(uploads)
        good = [u for u, kind in zip(uploads, _types) if kind and 0 < len(u.data) <= MAX_BYTES]
        again = [_("Choose the attachments again (%(files)s): a browser cannot keep chosen files when the form "
                   "comes back.", files=", ".join(u.filename for u in good))] if good else []
        _show_errors(form, {"attachments": problems + again})
    if any(getattr(form, name).errors for name in DEADLINE_FIELDS):
        # An answer the deadline comes from could not be read: no "no statutory deadline" from the rest.
        context["preview"] = None
    return render_template("intake/form.html", form=form, **context), status


def _deadline_preview(data: ReferralData, today: dt.date, created: dt.date | None = None) -> dict | None:
    """The deadline these answers give, and whether it is short, for the form to show."""
    data = referrals.normalise(data, today)
    deadline = referrals.deadline_for(data, created or today)
    if deadline is None:
        return {"deadline": None, "short": False, "left": None}
    left = working_days_left(deadline, today, queue.closure_days_of(current_user))   # the centres' closed days
    return {"deadline": deadline, "short": left < SHORT_DEADLINE_WORKING_DAYS, "left": left,
            "passed": deadline_passed(deadline, today)}


# The answers the deadline is computed from: "Show the deadline" names their problems instead of
# previewing no deadline from a date it could not read.
DEADLINE_FIELDS = ("legal_basis", "settlement_date", "programme_decision_date", "window_months")


def _deadline_problems(form: ReferralForm, data, errors: dict, municipality, today: dt.date, **validate) -> bool:
    """Show the problems of the deadline's answers on their fields; True when there are some."""
    found = {**referrals.validate(referrals.normalise(ReferralData(**vars(data)), today), municipality, today,
                                  **validate), **errors}
    found = {k: v for k, v in found.items() if k in DEADLINE_FIELDS}
    _show_errors(form, found)
    return bool(found)


def _flash_short_deadline(referral: Referral, today: dt.date) -> None:
    left = working_days_left(referral.deadline, today, referral.county.closure_days or ())
    if deadline_passed(referral.deadline, today):
        flash(_("The deadline %(deadline)s has passed. Call the career centre: the participant is now among the "
                "most urgent.", deadline=format_date(referral.deadline, "long")) + _numbers_to_call(), "warning")
    elif left is not None and left < SHORT_DEADLINE_WORKING_DAYS:
        flash(_("The deadline %(deadline)s leaves only %(days)d working days. Call the career centre if the referral is urgent.",
                deadline=format_date(referral.deadline, "long"), days=left) + _numbers_to_call(), "warning")


def _numbers_to_call() -> str:
    """" Karrieresenter Bergen: +47 55 00 00 00.": the nearest centre with a phone number (the page lists
    them all; four numbers in one warning left the referrer to guess)."""
    nearest = next((c for c in centre_contacts() if c.phone), None)
    return " " + _("%(centre)s: %(phone)s.", centre=nearest.name, phone=nearest.phone) if nearest else ""


@bp.route("/new", methods=["GET", "POST"])
@requires("intake")
def new():
    form = ReferralForm()
    _fill_choices(form)
    today = local_today()
    if request.method == "GET":
        form.municipality_id.data = str(current_user.municipality_id)
        form.legal_basis.data = "integration_act"
        form.needs.data = referrals.default_needs("integration_act")
        form.needs_interpreter.data = True
        form.window_months.data = TEMPORARY_ACT_DEFAULT_MONTHS
        form.submission.data = _new_submission_token()
        again = None
        if request.args.get("again"):
            # "Send a new referral" from a guidance note: the participant as the earlier referral has them (the form
            # was empty, and name, phone, language and needs were typed again). The dates and the basis are new.
            again = get_visible(Referral, request.args.get("again", type=row_id) or 0)
            person = again.participant
            if person.anonymised_at is not None:   # nothing of them is kept to copy
                abort(404)
            read_referral(current_user, again)   # their data is read, as opening the referral is (audited)
            form.name.data, form.phone.data = person.name, person.phone
            form.municipality_id.data = str(person.municipality_id)
            form.language.data, form.needs_interpreter.data = person.language, person.needs_interpreter
            form.video_ok.data, form.needs_step_free.data = person.video_ok, person.needs_step_free
            form.accessibility_needs.data = person.accessibility_needs
        return render_template("intake/form.html", form=form, preview=None, mode="new", again=again)
    if _submission_key(form) is None:  # an old page or a hand-made POST: from now on, this form has one
        form.submission.data = _new_submission_token()
    if not form.validate_on_submit():  # only the CSRF token can fail here
        return render_template("intake/form.html", form=form, preview=None, mode="new"), 400
    data, errors = _parse(form)
    uploads = _uploads(form)
    preview = _deadline_preview(ReferralData(**vars(data)), today)
    if request.form.get("action") == "preview":
        if _deadline_problems(form, data, errors, current_user.municipality, today):
            return _form_again(form, uploads, preview=None, mode="new")
        return _form_again(form, uploads, 200, preview=preview, mode="new")
    if errors:
        # Show the parse errors and every other rule at once.
        more = referrals.validate(referrals.normalise(ReferralData(**vars(data)), today), current_user.municipality, today)
        _show_errors(form, {**{k: v for k, v in more.items() if k not in errors}, **errors})
        return _form_again(form, uploads, preview=preview, mode="new")
    try:
        result = referrals.submit_referral(current_user, data, uploads, referring=current_user.municipality,
                                           confirm_duplicate=bool(form.confirm_duplicate.data), today=today,
                                           idempotency_key=_submission_key(form), fingerprint=_fingerprint(data))
    except referrals.IdempotencyConflict:
        # This page was sent before with other answers (back button, then edited): a new form.
        form.submission.data = _new_submission_token()
        _show_errors(form, {"name": [_("This form was already sent with other answers. Check the answers and send the form again.")]})
        return _form_again(form, uploads, preview=preview, mode="new")
    except DomainError as error:
        _show_errors(form, error.field_errors)
        duplicate = isinstance(error, referrals.DuplicateSuspected)
        return _form_again(form, uploads, preview=preview, mode="new", error=error, duplicate=duplicate)
    flash(_("Referral %(reference)s was sent to the career centre.", reference=result.referral.reference), "success")
    _flash_short_deadline(result.referral, today)
    return redirect(url_for("referrals.show", referral_id=result.referral.id))


@bp.route("/referrals/<int:referral_id>/correct", methods=["GET", "POST"])
@requires("intake")
def correct(referral_id: int):
    referral = get_visible(Referral, referral_id, "edit")
    today = local_today()
    if referral.status not in referrals.CORRECTABLE:
        flash(_("This referral can no longer be corrected: a session is booked or it is closed. Contact the career centre."), "error")
        return redirect(url_for("referrals.show", referral_id=referral.id))
    form = ReferralForm()
    _fill_choices(form)
    if request.method == "GET":
        current = ReferralData.from_referral(referral)
        for name in referrals.FIELD_NAMES:
            value = getattr(current, name)
            if isinstance(value, dt.date):
                value = value.strftime("%d.%m.%Y")
            elif name == "municipality_id":
                value = str(value)
            elif name == "can_come_weekdays":
                value = value or []
            elif name == "can_come_part":
                value = value or ""
            getattr(form, name).data = value
        if form.window_months.data is None:
            form.window_months.data = TEMPORARY_ACT_DEFAULT_MONTHS
        return render_template("intake/form.html", form=form, preview=None, mode="correct", referral=referral)
    if not form.validate_on_submit():
        return render_template("intake/form.html", form=form, preview=None, mode="correct", referral=referral), 400
    data, errors = _parse(form)
    uploads = _uploads(form)
    preview = _deadline_preview(ReferralData(**vars(data)), today, local_date(referral.created_at))
    if request.form.get("action") == "preview":
        if _deadline_problems(form, data, errors, referral.referring_municipality, today,
                              referral_date=local_date(referral.created_at), stored_settlement=referral.settlement_date):
            return _form_again(form, uploads, preview=None, mode="correct", referral=referral)
        return _form_again(form, uploads, 200, preview=preview, mode="correct", referral=referral)
    try:
        if errors:
            more = referrals.validate(referrals.normalise(ReferralData(**vars(data)), today), referral.referring_municipality,
                                      today, local_date(referral.created_at), stored_settlement=referral.settlement_date)
            raise DomainError(_("The correction could not be saved. Check the fields marked below."),
                              {**{k: v for k, v in more.items() if k not in errors}, **errors})
        changed = referrals.correct_referral(current_user, referral, data, uploads, today=today)
    except DomainError as error:
        db.session.rollback()
        _show_errors(form, error.field_errors)
        return _form_again(form, uploads, preview=preview, mode="correct", referral=referral, error=error)
    if changed or uploads:
        flash(_("The referral was corrected."), "success")
        _flash_short_deadline(referral, today)
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("referrals.show", referral_id=referral.id))


@bp.route("/referrals/<int:participant_referral_id>/contact", methods=["GET", "POST"])
@requires("intake")
def correct_contact(participant_referral_id: int):
    """After booking: the participant's name as written and phone number (the rest goes through the centre).
    (The URL names the referral as the cannot-come page does: the access matrix walks both with a booked one.)"""
    referral = get_visible(Referral, participant_referral_id, "edit")
    if referral.status not in referrals.CONTACT_CORRECTABLE:
        flash(str(referrals.CONTACT_CLOSED), "error")
        return redirect(url_for("referrals.show", referral_id=referral.id))
    form = ContactForm()
    if request.method == "GET":
        form.name.data, form.phone.data = referral.participant.name, referral.participant.phone
    elif form.validate_on_submit():
        try:
            changed = referrals.correct_contact(current_user, referral, form.name.data, form.phone.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The name and phone number were saved.") if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    status = 400 if request.method == "POST" else 200
    return render_template("intake/contact.html", form=form, referral=referral), status


class AttachForm(FlaskForm):
    attachments = MultipleFileField(_l("Add notes or plans"))


@bp.post("/referrals/<int:referral_id>/attachments")
@requires("intake")
def attach(referral_id: int):
    """Files for a referral that can no longer be corrected (booked): the referral page's small form."""
    referral = get_visible(Referral, referral_id, "edit")
    form = AttachForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Choose the files again."), "error")
        return redirect(url_for("referrals.show", referral_id=referral.id))
    uploads = [Upload(filename=f.filename, data=f.read())
               for f in request.files.getlist(form.attachments.name) if f and f.filename]
    try:
        referrals.add_attachments(current_user, referral, uploads)
    except DomainError as error:
        db.session.rollback()
        from guidance.web.referrals import page

        form.attachments.errors = list(error.field_errors.get("attachments", [error.message]))
        return page(referral, attach_form=form, status=400)
    flash(ngettext("%(num)d file was attached.", "%(num)d files were attached.", len(uploads)), "success")
    return redirect(url_for("referrals.show", referral_id=referral.id, _anchor="referral-attachments"))


@bp.post("/referrals/<int:referral_id>/attachments/<int:attachment_id>/remove")
@requires("intake")
def remove_attachment(referral_id: int, attachment_id: int):
    """A file attached by mistake (another participant's plan) taken off the referral page."""
    from guidance.models import Attachment

    referral = get_visible(Referral, referral_id, "edit")
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.referral_id != referral.id:
        abort(404)
    if not RemoveAttachmentForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return redirect(url_for("referrals.show", referral_id=referral.id, _anchor="referral-attachments"))
    name = attachment.original_name
    try:
        referrals.remove_attachment(current_user, referral, attachment)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("%(name)s was removed from the referral.", name=name), "success")
    return redirect(url_for("referrals.show", referral_id=referral.id, _anchor="referral-attachments"))


class RemoveAttachmentForm(FlaskForm):
    """The CSRF token of the remove button."""


@bp.route("/referrals/<int:referral_id>/withdraw", methods=["GET", "POST"])
@requires("intake")
def withdraw(referral_id: int):
    referral = get_visible(Referral, referral_id, "edit")
    if referral.status in referrals.NOT_WITHDRAWABLE:
        # Said before a reason is typed, not after (an old link, a second tab).
        flash(_("This referral is already closed."), "info")
        return redirect(url_for("referrals.show", referral_id=referral.id))
    form = WithdrawForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            referrals.withdraw_referral(current_user, referral, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            if not error.field_errors:
                flash(error.message, "error")
                return redirect(url_for("referrals.show", referral_id=referral.id))
            form.reason.errors = error.field_errors.get("reason", [])
            return render_template("intake/withdraw.html", form=form, referral=referral, ahead=_ahead(referral)), 400
        flash(_("Referral %(reference)s was withdrawn.", reference=referral.reference), "success")
        return redirect(url_for("referrals.show", referral_id=referral.id))
    return render_template("intake/withdraw.html", form=form, referral=referral, ahead=_ahead(referral)), \
        400 if request.method == "POST" else 200


class CannotComeForm(FlaskForm):
    note = TextAreaField(_l("When can the participant come instead? (optional)"))


@bp.route("/referrals/<int:participant_referral_id>/cannot-come/<int:booked_session_id>", methods=["GET", "POST"])
@requires("intake")
def cannot_come(participant_referral_id: int, booked_session_id: int):
    """The referrer tells the centre that the participant cannot come to one booked session (a group
    session has several participants: the referral says whose)."""
    from guidance.services import cannot_come as service

    referral = get_visible(Referral, participant_referral_id, "edit")
    session = service.session_ahead(referral, booked_session_id)
    if session is None:
        # A page open before a re-plan links the row it replaced: the appointment as it stands now.
        current = service.current_version(referral, booked_session_id)
        if current is None:
            abort(404)
        return redirect(url_for("intake.cannot_come", participant_referral_id=referral.id, booked_session_id=current.id),
                        code=307)
    form = CannotComeForm()
    told = service.already_told(referral, session)
    # The next time the centre can give comes after the notice: a deadline before it cannot be kept, and "finds
    # another time" read as a promise of one in time.
    first_new = first_new_day(referral.county, local_today())
    # (Not when another session of theirs keeps the deadline: the first guidance does, as the reports count it.)
    late = referral.deadline if referral.deadline is not None and referral.deadline < first_new \
        and not first_guidance_in_time(referral.id, referral.deadline, besides=session.id) else None
    if request.method == "POST" and told is None and form.validate_on_submit():
        try:
            service.tell(current_user, referral, session, form.note.data or "")
        except DomainError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            flash(_("The career centre is told and finds another time, on %(date)s at the earliest: after the "
                    "deadline. You get a notice when the session is moved.", date=format_date(first_new, "long"))
                  if late else
                  _("The career centre is told and finds another time. You get a notice when the session is moved."),
                  "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return render_template("intake/cannot_come.html", form=form, referral=referral, session=session, told=told,
                           late=late, first_new=first_new), \
        400 if request.method == "POST" and told is None else 200


def _ahead(referral: Referral) -> list:
    """The booked sessions a withdrawal would cancel or leave (the page says so before the click)."""
    from guidance.services.referral_reading import sessions_ahead

    return sessions_ahead(referral.id)


class BulkForm(FlaskForm):
    file = FileField(_l("CSV file"))
    confirm_duplicates = BooleanField(_l("Send rows even if a participant may already be referred"))


@bp.get("/bulk/template.csv")
@requires("intake")
def bulk_template():
    nynorsk = str(get_locale() or "nb") == "nn"
    name = "tilvisingar-mal.csv" if nynorsk else "henvisninger-mal.csv"
    own = current_user.municipality.number if current_user.municipality is not None else None
    return Response(referral_csv.template(local_today(), nynorsk=nynorsk, municipality=own), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


# What each column of the template takes, in the page's language: on an English page the template's Norwegian
# headers ("bosettingsdato", "frist_maaneder") were explained nowhere.
COLUMN_HELP = {
    "name": _l("The participant's full name."),
    "phone": _l("Mobile number (optional)."),
    "municipality_id": _l("Home municipality: its number or its name."),
    "legal_basis": _l("integreringsloven (the Integration Act) or midlertidig lov (the temporary act)."),
    "settlement_date": _l("Settlement date, like 17.03.2027."),
    "programme_decision_date": _l("Expected date of the programme decision, like 17.03.2027 (optional)."),
    "window_months": _l("The temporary act only: months from the referral for guidance (empty: 3)."),
    "language": _l("The participant's language, by name or code: tigrinja, ukrainsk, ar, prs."),
    "needs_interpreter": _l("ja or nei (yes or no): needs an interpreter."),
    "video_ok": _l("ja or nei: can take a session by video."),
    "needs_step_free": _l("ja or nei: needs a way in without steps."),
    "needs_individual": _l("ja or nei: individual guidance."),
    "needs_group": _l("ja or nei: group guidance."),
    "earliest_date": _l("The earliest date for guidance (optional)."),
    "can_come_weekdays": _l("Only if not every day: the days, like man, tir, ons, tor, fre."),
    "can_come_part": _l("Only if not all day: før 12 (mornings) or etter 12 (afternoons)."),
    "accessibility_needs": _l("Other needs the centre should know of (optional); no health details."),
    "adviser_attends": _l("ja or nei: the programme adviser wishes to attend."),
    "notes": _l("Notes for the career centre (optional)."),
}


@bp.context_processor
def _csv_columns():
    """The template's columns, in the words of the template the page offers (nynorsk on a nynorsk page)."""
    def columns():
        chosen = referral_csv.NYNORSK_COLUMNS if str(get_locale() or "nb") == "nn" else referral_csv.COLUMNS
        return [(header, COLUMN_HELP.get(attr, "")) for header, attr in chosen]
    return {"csv_columns": columns}


@bp.route("/bulk", methods=["GET", "POST"])
@requires("intake")
def bulk():
    """A whole group at once: every row is checked, and all are sent or none."""
    form = BulkForm()
    if request.method == "GET":
        return render_template("intake/bulk.html", form=form, problems=None)
    upload = request.files.get(form.file.name)
    if not form.validate_on_submit() or upload is None or not upload.filename:
        form.file.errors = [_("Choose a CSV file.")]
        return render_template("intake/bulk.html", form=form, problems=None), 400
    parsed = referral_csv.parse(upload.read(), current_user.municipality.county_id)
    confirm = bool(form.confirm_duplicates.data)
    try:
        if parsed.errors:
            # Report every problem at once: what could not be read, and every rule the rest breaks.
            raise referrals.BulkRejected("", referrals.check_many(parsed.items, referring=current_user.municipality,
                                                                  confirm_duplicates=confirm, row_numbers=parsed.rows))
        made = referrals.submit_many(current_user, parsed.items, referring=current_user.municipality,
                                     confirm_duplicates=confirm, row_numbers=parsed.rows)
    except referrals.BulkRejected as error:
        unreadable = {(p.row, p.column) for p in parsed.errors}
        problems = list(parsed.errors) + [
            cell for cell in (referral_csv.CellError(parsed.rows[p.index], parsed.column_of(p.field), p.message,
                                                     parsed.value_of(p.index, p.field), p.may_send_anyway)
                              for p in error.rows)
            if (cell.row, cell.column) not in unreadable
        ]
    else:
        # Which ones: sorted by deadline, the new referrals were not on the list's first page.
        shown = ", ".join(r.reference for r in made[:10])
        more = _(" and %(num)d more", num=len(made) - 10) if len(made) > 10 else ""
        flash(ngettext("%(num)d referral was sent to the career centre: %(references)s%(more)s.",
                       "%(num)d referrals were sent to the career centre: %(references)s%(more)s.",
                       len(made), references=shown, more=more), "success")
        if parsed.not_read:
            flash(_not_read(parsed.not_read), "info")
        return redirect(url_for("referrals.index"))
    problems.sort(key=lambda p: (p.row, p.column))
    return render_template("intake/bulk.html", form=form, problems=problems,
                           not_read=_not_read(parsed.not_read) if parsed.not_read else None), 400


def _not_read(headers: list[str]) -> str:
    """Columns that are not the template's (a case number, the case system's own) are left out, not refused:
    the referrer is told which, so a column they meant to send is not lost without a word."""
    return ngettext("The column %(columns)s is not in the template: it was not read, and nothing in it is kept.",
                    "The columns %(columns)s are not in the template: they were not read, and nothing in them is kept.",
                    len(headers), columns=", ".join(headers))
