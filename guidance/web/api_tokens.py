"""Administration of the API tokens municipal case systems use."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from guidance.extensions import db
from guidance.models import ApiToken, Municipality
from guidance.rules.access import admin_municipality_filter
from guidance.services import api_tokens
from guidance.services.errors import DomainError
from guidance.web.forms import chosen_id, show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")


class TokenForm(FlaskForm):
    municipality_id = SelectField(_l("Municipality"), coerce=chosen_id, validate_choice=False)
    name = StringField(_l("System name"))


class RevokeForm(FlaskForm):
    pass


def _page(form: TokenForm, plaintext: str | None = None, created: ApiToken | None = None, status: int = 200):
    form.municipality_id.choices = [(0, _("Choose a municipality"))] + [
        (m.id, f"{m.name} ({m.number})") for m in db.session.scalars(
            select(Municipality).where(admin_municipality_filter(current_user)).order_by(Municipality.name))]
    tokens = db.session.scalars(
        select(ApiToken).join(Municipality, Municipality.id == ApiToken.municipality_id)
        .where(admin_municipality_filter(current_user))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).all()
    return render_template("admin/api_tokens.html", form=form, tokens=tokens, plaintext=plaintext, created=created,
                           revoke_form=RevokeForm()), status


@bp.route("/", methods=["GET", "POST"])
@requires("api_tokens")
def index():
    form = TokenForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        token, plaintext = api_tokens.create_token(current_user, municipality_id=form.municipality_id.data, name=form.name.data)
    except DomainError as error:
        show_refusal(form, error)
        return _page(form, status=400)
    # Shown in this response only (never flashed, never stored): the page is not cached (no-store).
    return _page(TokenForm(formdata=None), plaintext=plaintext, created=token)


@bp.post("/<int:token_id>/revoke")
@requires("api_tokens")
def revoke(token_id: int):
    token = get_visible(ApiToken, token_id, "manage")
    if RevokeForm().validate_on_submit():
        api_tokens.revoke_token(current_user, token)
        flash(_("The token for %(name)s was revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
