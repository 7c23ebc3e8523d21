"""The second factor: the code step after the password, enrolment, recovery codes, an admin's reset.

The password step (auth.login) does not sign in a user who has a second factor: it remembers them
in the session for `PENDING_MINUTES` and sends them here. A lead or admin with a local password who
has none yet is signed in but sent to the enrolment page before any other page (`_enrol_first`).
"""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from guidance import clock
from guidance.extensions import db, limiter
from guidance.models import User
from guidance.services import second_factor
from guidance.services.errors import DomainError
from guidance.web import rate_limits
from guidance.web.forms import show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("second_factor", __name__)

PENDING_KEY = "second_factor_pending"
ENROL_KEY = "second_factor_enrol"
MOVE_KEY = "second_factor_move"  # when the user proved a code to set up a new phone
MOVE_MINUTES = 10
PENDING_MINUTES = 5
# Pages a user who must enrol may still reach: enrolment itself, logging out, the language switcher.
_OPEN_WHILE_ENROLLING = {"static", "second_factor.enrol", "auth.logout", "auth.language", "sessions.logout_everywhere"}


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the code.")), Length(max=40)])


class SignInCodeForm(FlaskForm):
    code = StringField(_l("Code from your app, or a recovery code"),
                       validators=[DataRequired(_l("Enter the code.")), Length(max=40)])


class ResetForm(FlaskForm):
    pass


def start_code_step(user: User, next_url: str | None):
    """Called by the password step: the user is not signed in until the code is accepted."""
    session[PENDING_KEY] = {"user": user.id, "at": clock.now().timestamp(), "next": next_url}
    return redirect(url_for("second_factor.code"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if not _recent(pending.get("at", 0), PENDING_MINUTES):
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.active else None


@bp.before_app_request
def _enrol_first():
    """A lead or admin with a local password and no second factor enrols before anything else."""
    if request.endpoint in _OPEN_WHILE_ENROLLING or request.endpoint is None:
        return None
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    if session.get("oidc_provider") or not second_factor.must_enrol(current_user):
        return None
    return redirect(url_for("second_factor.enrol"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(rate_limits.configured("LOGIN_RATE_LIMIT"), methods=["POST"])
def code():
    from guidance.web.auth import _safe_next

    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        if session.pop(PENDING_KEY, None) is not None:
            flash(_("Log in again: the time to enter the code ran out."), "info")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            second_factor.verify_sign_in(user, form.code.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            target = _safe_next(session.pop(PENDING_KEY, {}).get("next"))
            login_user(user)
            if second_factor.remaining_recovery_codes(user) <= 2:
                flash(_("You have few recovery codes left. Make new ones on your account page."), "info")
            return redirect(target)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/code.html", form=form), status


@bp.route("/account/second-factor", methods=["GET", "POST"])
@requires()
def status():
    """Status, and new recovery codes (POST, with a current code from the app)."""
    form = CodeForm()
    enrolled = second_factor.enrolled(current_user)
    if request.method == "POST" and not enrolled:
        return redirect(url_for("second_factor.status"))
    if form.validate_on_submit():
        try:
            codes = second_factor.regenerate_recovery_codes(current_user, form.code.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            return _show_codes(codes)
    return _status_page(form, _move_form(formdata=None), enrolled)


def _status_page(form, move_form, enrolled: bool):
    page = render_template("account/second_factor.html", form=form, move_form=move_form, enrolled=enrolled,
                           required=second_factor.required(current_user),
                           external=current_user.signs_in_externally,
                           remaining=second_factor.remaining_recovery_codes(current_user) if enrolled else 0)
    return page, (400 if request.method == "POST" else 200)


@bp.post("/account/second-factor/move")
@requires()
def move():
    """A new phone: a code from the old app (or a recovery code) first, then the enrolment page sets up
    the new one; the old app works until the new one is confirmed."""
    if not second_factor.enrolled(current_user):
        return redirect(url_for("second_factor.enrol"))
    move_form = _move_form()
    if move_form.validate_on_submit():
        try:
            second_factor.confirm_before_move(current_user, move_form.code.data)
        except DomainError as error:
            show_refusal(move_form, error)
        else:
            session[MOVE_KEY] = clock.now().timestamp()
            session.pop(ENROL_KEY, None)  # a fresh key for the new phone
            return redirect(url_for("second_factor.enrol"))
    return _status_page(CodeForm(formdata=None), move_form, True)


def _move_form(**kwargs) -> SignInCodeForm:
    """The new-phone form takes what the code step takes (an app code or a recovery code), beside the
    status page's own code field."""
    return SignInCodeForm(prefix="move", **kwargs)


def _moving() -> bool:
    return _recent(session.get(MOVE_KEY), MOVE_MINUTES)


def _recent(stamp, minutes: int) -> bool:
    """A timestamp this session stored no more than `minutes` ago."""
    return stamp is not None and 0 <= clock.now().timestamp() - float(stamp) <= minutes * 60


@bp.route("/account/second-factor/enrol", methods=["GET", "POST"])
@requires()
def enrol():
    moving = _moving()
    if second_factor.enrolled(current_user) and not moving:
        return redirect(url_for("second_factor.status"))
    secret = second_factor.unseal(session.get(ENROL_KEY))
    if secret is None:
        secret = second_factor.new_secret()
        session[ENROL_KEY] = second_factor.seal(secret)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.enrol(current_user, secret, form.code.data, moved=moving)
        except DomainError as error:
            show_refusal(form, error)
        else:
            session.pop(ENROL_KEY, None)
            session.pop(MOVE_KEY, None)
            return _show_codes(codes, enrolled_now=True)
    uri = second_factor.provisioning_uri(current_user, secret)
    page = render_template("account/enrol.html", form=form, secret=second_factor.grouped(secret),
                           qr=second_factor.qr_svg(uri, _("QR code for your authenticator app")),
                           must=second_factor.required(current_user), moving=moving)
    response = make_response(page, 400 if request.method == "POST" else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


def _show_codes(codes: list[str], enrolled_now: bool = False):
    response = make_response(render_template("account/recovery_codes.html", codes=codes, enrolled_now=enrolled_now))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/users/<int:user_id>/second-factor/reset")
@requires("users")
def reset(user_id: int):
    user = get_visible(User, user_id, "manage")
    if ResetForm().validate_on_submit():
        second_factor.reset(current_user, user)
        flash(_("The second factor was removed. The user sets up a new one at the next login."), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))
