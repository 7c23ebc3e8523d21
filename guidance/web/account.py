"""A user's own account: change the password; a forgotten one is reset by an e-mailed link; an
invitation lets a person the centre entered choose one, or connect the county's sign-in."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from guidance.extensions import limiter
from guidance.models import Role
from guidance.services import accounts, invitations, mail
from guidance.services.errors import DomainError
from guidance.web import rate_limits
from guidance.web.forms import show_refusal
from guidance.web.guards import requires
from guidance.web.i18n import keep_speaking_to, speak_to

bp = Blueprint("account", __name__, url_prefix="/account")

# What a user whose password someone else chose may open before choosing their own (and the second
# factor's enrolment, which comes first for a lead or an administrator).
_OPEN_BEFORE_OWN_PASSWORD = {"static", "account.password", "auth.logout", "auth.language", "sessions.logout_everywhere",
                             "second_factor.enrol"}


@bp.before_app_request
def _own_password_first():
    """A password an administrator set, or the one-time password the create-admin command printed, is
    replaced by the user's own before anything else ("change it" had been a request nobody enforced)."""
    if request.endpoint in _OPEN_BEFORE_OWN_PASSWORD or request.endpoint is None:
        return None
    if not current_user.is_authenticated or not current_user.password_set_by_other or current_user.signs_in_externally:
        return None
    from guidance.services import second_factor

    if second_factor.must_enrol(current_user):
        return None   # the second factor first (web.second_factor's guard): the account is protected, then its own
    return redirect(url_for("account.password"))   # the page says why

_too_short = _l("The new password must be at least 12 characters.")


def _new_password():
    return PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")), Length(min=12, max=200, message=_too_short)])


def _repeat_password():
    return PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(_l("Repeat the new password.")), EqualTo("new_password", _l("The two new passwords are not the same."))])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=200)])
    new_password = _new_password()
    repeat_password = _repeat_password()


class PhoneForm(FlaskForm):
    phone = StringField(_l("Your phone number"), validators=[Optional(), Length(max=40)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter your e-mail address.")),
        Email(_l("Enter a valid e-mail address, like name@example.no.")), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = _new_password()
    repeat_password = _repeat_password()


def _local_passwords_only(user=None) -> None:
    """Password pages exist while passwords are on, and for interpreters always (rules.sign_in.may_use_password);
    `user`: whose password it is, when known (the forgotten-password form does not know yet)."""
    from guidance.rules.sign_in import may_use_password

    if current_app.config["LOCAL_LOGIN"]:
        return
    if user is not None and not may_use_password(user.role, False):
        abort(404)


@bp.route("/password", methods=["GET", "POST"])
@requires()
def password():
    _local_passwords_only(current_user)
    if current_user.signs_in_externally:
        abort(404)  # the organisation's identity provider holds this user's password
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Your password was changed."), "success")
            return redirect(url_for("main.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(rate_limits.configured("LOGIN_RATE_LIMIT"), methods=["POST"])
def forgot_password():
    _local_passwords_only()
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        messages = accounts.request_password_reset(form.email.data)
        mail.deliver_later(messages)
        # The same answer whether or not the address has an account: it reveals nothing.
        return render_template("account/reset_sent.html")
    status = 400 if request.method == "POST" else 200
    return render_template("account/forgot_password.html", form=form), status


@bp.route("/reset-password/<reset_token>", methods=["GET", "POST"])
@limiter.limit(rate_limits.configured("LOGIN_RATE_LIMIT"), methods=["POST"])
def reset_password(reset_token: str):
    token = reset_token
    _local_passwords_only(accounts.user_for_reset_token(token))
    if accounts.user_for_reset_token(token) is None:
        return render_template("account/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.new_password.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Your password was changed. Log in with the new password."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("account/reset_password.html", form=form), status


@bp.route("/invitation/<invitation_token>", methods=["GET", "POST"])
@limiter.limit(rate_limits.configured("LOGIN_RATE_LIMIT"), methods=["POST"])
def invitation(invitation_token: str):
    """Where an invitation e-mail leads: choose a password, or log in with the county's provider
    (that sign-in is then connected to this account, services/invitations.py)."""
    token = invitation_token
    user = invitations.user_for_token(token)
    if user is None:
        return render_template("account/invitation_invalid.html"), 400
    speak_to(user)
    # Someone who has logged in before came to connect the county's account: no password is set here.
    from guidance.rules.sign_in import may_use_password

    local = may_use_password(user.role, current_app.config["LOCAL_LOGIN"]) and not invitations.has_signed_in(user)
    # Interpreters are freelancers outside the county's directory: they keep local passwords.
    providers = [] if user.role is Role.INTERPRETER else current_app.config["OIDC_PROVIDERS"]
    form = ResetPasswordForm()
    if local and form.validate_on_submit():
        try:
            invitations.accept_with_password(token, form.new_password.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Your password is saved. Log in with your e-mail address and the new password."), "success")
            keep_speaking_to(user)
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("account/invitation.html", form=form, invited=user, token=token, local=local,
                           providers=providers, role=invitations.role_words(user.role)), status


@bp.route("/phone", methods=["GET", "POST"])
@requires()
def phone():
    form = PhoneForm()
    if request.method == "GET":
        form.phone.data = current_user.phone
    elif form.validate_on_submit():
        try:
            accounts.set_phone(current_user, form.phone.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Your phone number was saved.") if current_user.phone else _("Your phone number was removed."),
                  "success")
            return redirect(url_for("account.phone"))
    status = 400 if request.method == "POST" else 200
    return render_template("account/phone.html", form=form), status


@bp.get("/alive")
@limiter.exempt
def alive():
    """Typing in a form counts as using Veiled (static/js/keep-alive.js asks here every few minutes
    while someone writes), so a long note is not lost to the idle sign-out. Answers 204 while signed
    in and 401 once the session has ended, so the page can say so before the text is sent."""
    return ("", 204) if current_user.is_authenticated else ("", 401)
