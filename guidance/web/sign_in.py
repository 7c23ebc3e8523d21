"""Sign-in with the county's OpenID Connect providers: start, callback, and the provider's sign-out.

Authlib does the protocol: authorization code flow with PKCE (S256), state and nonce kept in the
session and checked once, the ID token's signature checked against the issuer's published keys and
its claims (iss, aud, exp, iat, nonce, at_hash) checked here with the configured issuer and client.
"""
from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from joserfc.errors import JoseError

from guidance import oidc
from guidance.extensions import db, limiter
from guidance.services import audit, invitations
from guidance.services.calendar import app_url
from guidance.services.sign_in import SignInRefused, sign_in
from guidance.web import rate_limits

log = logging.getLogger(__name__)
bp = Blueprint("sign_in", __name__)

# What a broken sign-in can raise: protocol errors (a bad state, an error from the provider, a
# token that fails a check), an unreachable provider, or a provider answering nonsense.
SIGN_IN_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError, RuntimeError)


def absolute(endpoint: str, **values) -> str:
    """An absolute URL from BASE_URL (registered at the provider), never from the request's Host."""
    return app_url(endpoint, **values)


@bp.post("/login/oidc/<provider_name>")
@limiter.limit(rate_limits.configured("LOGIN_RATE_LIMIT"))
def start(provider_name: str):
    name = provider_name
    """Send the browser to the provider's sign-in page (CSRF-checked like every POST)."""
    provider = oidc.provider(name) or abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    from guidance.web.auth import _safe_next

    session["sign_in_next"] = _safe_next(request.args.get("next"))
    # From an invitation's page: the sign-in that comes back is connected to the invited account.
    invitation = request.form.get("invitation", "")[:1000]
    if invitation:
        session["sign_in_invitation"] = invitation
    else:
        session.pop("sign_in_invitation", None)
    try:
        return oidc.client(provider.name).authorize_redirect(redirect_uri=absolute("sign_in.callback", provider_name=name))
    except SIGN_IN_ERRORS as error:
        log.warning("sign-in: provider %s unreachable: %s", name, type(error).__name__)
        return render_template("auth/sign_in_failed.html", provider=provider, unreachable=True), 502


@bp.get("/login/oidc/<provider_name>/callback")
def callback(provider_name: str):
    name = provider_name
    provider = oidc.provider(name) or abort(404)
    try:
        token = oidc.client(name).authorize_access_token(claims_options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        })
        claims = token.get("userinfo")
        if claims is None:  # no ID token (or no nonce): nothing checked to sign in with
            raise ValueError("no verified ID token in the token response")
    except SIGN_IN_ERRORS as error:
        # The error's type only: messages can echo the token, and the token holds personal data.
        log.warning("sign-in with %s failed: %s", name, type(error).__name__)
        audit.record(None, "user.sign_in_failed", None, {"provider": name, "error": type(error).__name__})
        db.session.commit()
        return render_template("auth/sign_in_failed.html", provider=provider, unreachable=False), 400
    invited = invitations.user_for_token(session.pop("sign_in_invitation", None))
    try:
        user = sign_in(provider, claims, invited=invited)
    except SignInRefused as refusal:
        return render_template("auth/sign_in_refused.html", provider=provider, reason=refusal.reason), 403
    target = session.pop("sign_in_next", None) or url_for("main.home")
    language = session.get("language")
    session.clear()  # nothing from before the sign-in survives it but the chosen language
    if language:
        session["language"] = language
    login_user(user)
    session["oidc_provider"] = name
    session["oidc_id_token"] = token["id_token"]
    return redirect(target)


def end_session_url(provider_name: str | None, id_token: str | None) -> str | None:
    """The provider's sign-out (RP-initiated logout) when it offers one, back to our login page."""
    provider = oidc.provider(provider_name) if provider_name else None
    if provider is None:
        return None
    client = oidc.client(provider.name)
    try:
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(post_logout_redirect_uri=absolute("auth.login"), id_token_hint=id_token,
                                        client_id=provider.client_id)["url"]
    except SIGN_IN_ERRORS as error:
        log.warning("sign-out at %s not possible: %s", provider.name, type(error).__name__)
        return None
