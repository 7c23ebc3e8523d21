"""Login, logout and the language switcher."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, Email, Length

from guidance.extensions import db, limiter
from guidance.services import second_factor
from guidance.services.accounts import authenticate, set_language
from guidance.web import rate_limits

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address.")), Email(_l("Enter a valid e-mail address, like name@example.no.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])


class LanguageForm(FlaskForm):
    # Each language in its own name; not translated.
    language = SelectField(_l("Language"), choices=[("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("en", "English")])
    next = HiddenField()


def start_code_step(user, next_url):
    from guidance.web.second_factor import start_code_step as start

    return start(user, next_url)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(rate_limits.configured("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    local = current_app.config["LOCAL_LOGIN"]
    if form.validate_on_submit():
        # With passwords switched off only interpreters use the form (rules.sign_in.may_use_password).
        user = authenticate(form.email.data, form.password.data, local_login=local)
        if user is not None:
            if second_factor.enrolled(user):
                return start_code_step(user, request.args.get("next"))
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The e-mail address or password is wrong."))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, local_login=local,
                           providers=current_app.config["OIDC_PROVIDERS"], next=request.args.get("next")), status


@bp.post("/logout")
def logout():
    from guidance.web.sign_in import end_session_url

    from guidance.services.sessions import clear_keeping_language

    provider, id_token = session.get("oidc_provider"), session.get("oidc_id_token")
    user = current_user._get_current_object()
    logout_user()
    clear_keeping_language(user)
    flash(_("You are logged out."), "info")
    # Signed in through a provider: end its session too, or the next visitor at this browser
    # would be signed straight back in by it.
    return redirect(end_session_url(provider, id_token) or url_for("auth.login"))


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            set_language(current_user, form.language.data)
            db.session.commit()
    return redirect(_safe_next(form.next.data))
