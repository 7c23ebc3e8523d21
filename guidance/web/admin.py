"""Administration: users and their roles."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from guidance.extensions import db
from guidance.models import County, Municipality, Role, User
from guidance.rules.access import admin_municipality_filter, admin_user_filter
from guidance.services import accounts, invitations, mail, second_factor
from guidance.services.errors import DomainError
from guidance.web.forms import PostForm, row_id, show_refusal
from guidance.web.guards import get_visible, requires
from guidance.web.people import invite_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


def role_labels() -> dict[str, str]:
    return {
        Role.ADMIN.value: _("Administrator"),
        Role.LEAD.value: _("Career-centre lead"),
        Role.COUNSELLOR.value: _("Counsellor"),
        Role.REFERRER.value: _("Municipality referrer"),
        Role.INTERPRETER.value: _("Interpreter"),
    }


class UserForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter an e-mail address.")), Email(_l("Enter a valid e-mail address, like name@example.no.")), Length(max=254)])
    # No default: an administrator is never created by leaving the first option.
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose the user's role."))])
    county_id = SelectField(_l("County"), coerce=int, validators=[Optional()])
    municipality_id = SelectField(_l("Municipality"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("Initial password (optional)"), validators=[
        Optional(), Length(min=12, max=200, message=_l("The password must be at least 12 characters."))])


class EditUserForm(UserForm):
    active = BooleanField(_l("Active: the user may sign in"))
    password = PasswordField(_l("New password (optional)"), validators=[
        Optional(), Length(min=12, max=200, message=_l("The password must be at least 12 characters."))])


class ActiveForm(FlaskForm):
    active = BooleanField(_l("Active"))


def _fill_choices(form: UserForm) -> None:
    form.role.choices = [("", _("Choose a role"))] + list(role_labels().items())
    # An administrator bound to a county chooses only among its county and municipalities.
    counties = select(County).order_by(County.name)
    if current_user.county_id is not None:
        counties = counties.where(County.id == current_user.county_id)
    form.county_id.choices = ([(0, _("(none)"))] if current_user.county_id is None else []) + [
        (c.id, c.name) for c in db.session.scalars(counties)]
    form.municipality_id.choices = [(0, _("(none)"))] + [
        (m.id, f"{m.name} ({m.number})") for m in db.session.scalars(
            select(Municipality).where(admin_municipality_filter(current_user)).order_by(Municipality.name))
    ]


@bp.get("/users")
@requires("users")
def users():
    args = request.args
    chosen = accounts.UserFilter(text=args.get("q", "")[:200], role=args.get("role", ""),
                                 municipality_id=args.get("municipality", type=row_id), status=args.get("status", ""))
    all_users = accounts.users_for(admin_user_filter(current_user), chosen)
    total = db.session.scalar(select(func.count(User.id)).where(admin_user_filter(current_user)))
    municipalities = db.session.scalars(select(Municipality).where(admin_municipality_filter(current_user))
                                        .order_by(Municipality.name)).all()
    # Someone who never logged in reads so under "Active" (they had looked like everyone else).
    invitation = {u.id: invitations.status(u) for u in all_users if u.active}
    return render_template("admin/users.html", users=all_users, role_labels=role_labels(), chosen=chosen, total=total,
                           municipalities=municipalities,
                           sign_in={u.id: _sign_in(u, *(invitation[u.id] if u.id in invitation else (True, None)))
                                    for u in all_users},
                           invitation=invitation)


def _sign_in(user: User, signed_in: bool = True, invited_at=None) -> tuple[str, str]:
    """How the user signs in, as (tag colour, words) for the user list. `signed_in`: they have logged in once;
    `invited_at`: when they were sent an invitation (to choose a password)."""
    if user.signs_in_externally:
        return "blue", _("Through their organisation")
    if second_factor.enrolled(user):
        return "green", _("Password and code")
    if second_factor.required(user):
        return "yellow", _("Sets up a code at the next login")
    if not signed_in and invited_at is not None and not user.password_set_by_other:
        # Invited, with a password nobody knows: "Password only" read as if they had one.
        return "grey", _("Chooses a password at the first login")
    return "grey", _("Password only")


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users")
def new_user():
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            accounts.create_user(
                current_user, email=form.email.data, name=form.name.data, password=form.password.data or None,
                role=Role(form.role.data), county_id=form.county_id.data or None,
                municipality_id=form.municipality_id.data or None,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The user was created.") if form.password.data else
                  _("The user was created and e-mailed an invitation to choose a password or log in.")
                  if mail.leaves() else
                  _("The user was created. No e-mail leaves Veiled yet (no mail server is set up): show them the "
                    "invitation link on their user page."), "success")
            if form.role.data in (Role.COUNSELLOR.value, Role.INTERPRETER.value):
                # Nothing is planned for them until their details exist; the lead's list names them.
                flash(_("The county's lead enters their details (locations and hours, or languages and rates) "
                        "under Counsellors or Interpreters; until then nothing is planned for them."), "info")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        _all_problems_at_once(form)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form), status


def _all_problems_at_once(form: UserForm) -> None:
    """The account's own problems beside the form's: a short password was named alone, and the taken e-mail
    address and the missing county came one submit later. Only fields the form could read are checked."""
    def readable(field, value):
        return value if not field.errors else None

    role = Role(form.role.data) if form.role.data in {r.value for r in Role} else None
    problems = accounts.new_user_problems(
        current_user, email=readable(form.email, form.email.data), name=readable(form.name, form.name.data),
        password=readable(form.password, form.password.data or None), role=role,
        county_id=readable(form.county_id, form.county_id.data) or None,
        municipality_id=readable(form.municipality_id, form.municipality_id.data) or None)
    for name, messages in problems.items():
        field = getattr(form, name, None)
        if field is not None and not field.errors:
            field.errors = list(field.errors) + messages


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("users")
def edit_user(user_id: int):
    user = get_visible(User, user_id, "manage")
    form = EditUserForm(obj=user) if request.method == "GET" else EditUserForm()
    _fill_choices(form)
    if request.method == "GET":
        form.role.data = user.role.value
        form.county_id.data, form.municipality_id.data = user.county_id or 0, user.municipality_id or 0
        form.password.data = ""
    elif form.validate_on_submit():
        county = user.county  # before the change: a counsellor made a referrer leaves the county's sessions behind
        try:
            accounts.update_user(
                current_user, user, email=form.email.data, name=form.name.data, role=Role(form.role.data),
                county_id=form.county_id.data or None, municipality_id=form.municipality_id.data or None,
                active=bool(form.active.data), password=form.password.data or None,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The user was updated."), "success")
            _warn_broken(user, county)
            return redirect(url_for("admin.users"))
    return _user_page(user, form), 400 if request.method == "POST" else 200


def _user_page(user: User, form, **links) -> str:
    """The user's page: the form, the invitation or county-account links, the two-step login and the history."""
    signed_in, invited_at = invitations.status(user)
    return render_template("admin/user_edit.html", form=form, user=user, signed_in=signed_in, invited_at=invited_at,
                           may_connect=invitations.may_connect(user), role_label=role_labels(),
                           history=[_history_line(e, user) for e in accounts.history(user)], **links)


# Why a login was refused, in words (services.sign_in and accounts.authenticate record the code).
REFUSAL_REASON = {
    "no_role": _l("no group of theirs gives a role"), "ambiguous": _l("their groups give conflicting access"),
    "deactivated": _l("the account is deactivated"), "email_taken": _l("the e-mail address belongs to another account"),
    "invitation_mismatch": _l("not the account the invitation was for"), "no_email": _l("no e-mail address came"),
    "unknown_place": _l("the group names a county or municipality not in Veiled"),
    "no_centre": _l("the municipality's county has no career centre"), "wrong_password": _l("wrong password"),
    "inactive": _l("the account is deactivated"), "unknown_account": _l("no such account"),
    "signs_in_externally": _l("logs in with the county's account"), "passwords_off": _l("passwords are switched off"),
}


# The account's fields an administrator's change names (services.accounts.update_user).
CHANGED_FIELD = {"email": _l("e-mail address"), "name": _l("name"), "role": _l("role"), "county": _l("county"),
                 "municipality": _l("municipality"), "active": _l("active"), "password": _l("password")}


def _history_line(event, user: User) -> dict:
    """One event of an account's history as the administrator reads it: when, what, by whom, and why."""
    from guidance.labels import ACCOUNT_ACTION

    detail = json.loads(event.detail) if event.detail else {}
    why = []
    if detail.get("reason") in REFUSAL_REASON:
        why.append(str(REFUSAL_REASON[detail["reason"]]))
    roles = role_labels()
    for key in ("from", "to"):
        if isinstance(detail.get(key), dict) and detail[key].get("role") in roles:
            why.append(f"{'→ ' if key == 'to' else ''}{roles[detail[key]['role']]}")
    if detail.get("fields"):
        why.append(", ".join(str(CHANGED_FIELD.get(f, f)) for f in detail["fields"]))
    if detail.get("link_shown"):   # an invitation the administrator handed over themselves
        why.append(str(_("the link was shown to the administrator, not e-mailed")))
    if detail.get("email_taken"):   # the provider's address was another account's: this one kept its own
        why.append(str(REFUSAL_REASON["email_taken"]))
    if event.action == "access.refused" and detail.get("endpoint"):
        why.append(str(detail["endpoint"]))   # the page, as the code names it: what they tried to open
    return {"at": event.at, "what": str(ACCOUNT_ACTION.get(event.action, event.action)),
            "by": event.actor.name if event.actor is not None and event.actor_id != user.id else "",
            "why": " ".join(why)}


def _warn_broken(user: User, county=None) -> None:
    """After a change to an account: the published sessions ahead it broke (a deactivated interpreter's 28
    bookings went without a word here), which the county's lead also finds on their home. `county`: the
    account's county before the change, when it had one."""
    from guidance.services import readiness

    county = county or user.county
    if county is None:
        return
    only = ({"counsellor_id": user.counsellor.id} if user.counsellor is not None else
            {"interpreter_id": user.interpreter.id} if user.interpreter is not None else None)
    broken = readiness.broken_sessions(county, **only) if only else []
    if broken:
        flash(ngettext("%(num)d published session ahead no longer fits after this change; the county's lead sees it "
                       "on their home page.",
                       "%(num)d published sessions ahead no longer fit after this change; the county's lead sees them "
                       "on their home page.", len(broken)), "warning")


@bp.post("/users/<int:user_id>/invitation")
@requires("users")
def invitation(user_id: int):
    """E-mail the person a new invitation (the last one expired, or went to a mistyped address since corrected)."""
    user = get_visible(User, user_id, "manage")
    if user.active:
        invite_user(user)   # checks the form's CSRF token
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/invitation-link")
@requires("users")
def invitation_link(user_id: int):
    """Without a mail server no invitation reaches anyone: the administrator is shown a new invitation's link,
    once, to hand over another way (in person, or a message they trust). Audited; never e-mailed or logged."""
    user = get_visible(User, user_id, "manage")
    if mail.leaves() or not user.active or invitations.has_signed_in(user) \
            or not PostForm().validate_on_submit():
        return redirect(url_for("admin.edit_user", user_id=user.id))
    link = invitations.link_to_hand_over(current_user, user)
    db.session.commit()
    return _user_page_with(user, link=link)


def _user_page_with(user: User, **links):
    """The user's page with a one-time link shown to hand over (`link`: an invitation, `connect_link`: to log in with
    the county's account), never cached."""
    form = EditUserForm(obj=user)
    _fill_choices(form)
    form.role.data = user.role.value
    form.county_id.data, form.municipality_id.data = user.county_id or 0, user.municipality_id or 0
    response = make_response(_user_page(user, form, **links))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/users/<int:user_id>/connect")
@requires("users")
def connect(user_id: int):
    """E-mail a link that moves the user from their password here to the county's own sign-in."""
    user = get_visible(User, user_id, "manage")
    reconnect = user.signs_in_externally and user.active and bool(current_app.config["OIDC_PROVIDERS"])
    if not mail.leaves() and (reconnect or invitations.may_connect(user)) and user.active \
            and PostForm().validate_on_submit():
        # No e-mail leaves Veiled: the link is shown once to hand over (the flash promised a button there was not).
        link = invitations.link_to_hand_over(current_user, user)
        db.session.commit()
        return _user_page_with(user, connect_link=link)
    if reconnect:
        invite_user(user, reconnect=True)   # their county account was replaced: the new one takes over
    elif not invitations.may_connect(user):
        flash(_("%(name)s cannot be moved to the county's account.", name=user.name), "error")
    else:
        invite_user(user)
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@requires("users")
def set_active(user_id: int):
    from guidance.services import readiness

    user = get_visible(User, user_id, "manage")
    form = ActiveForm()
    if form.validate_on_submit() and user.id != current_user.id:
        # One click had switched off a counsellor with 38 sessions ahead, the warning coming after the fact.
        ahead = readiness.sessions_ahead_of(user) if user.active and not form.active.data else 0
        if ahead and not request.form.get("confirm"):
            return render_template(
                "confirm_deactivate.html", person=user, action=url_for("admin.set_active", user_id=user.id),
                back=url_for("admin.users"),
                warning=ngettext("%(name)s has %(num)d published session ahead. Once the account is off, the county's "
                                 "lead must give it to someone else or move it; the lead sees it on their home page.",
                                 "%(name)s has %(num)d published sessions ahead. Once the account is off, the county's "
                                 "lead must give them to someone else or move them; the lead sees them on their home "
                                 "page.", ahead, name=user.name),
                detail=_("They can no longer log in, and their calendar address stops working."))
        accounts.set_active(current_user, user, bool(form.active.data))
        flash(_("The user was updated."), "success")
        _warn_broken(user)
    return redirect(url_for("admin.users"))
