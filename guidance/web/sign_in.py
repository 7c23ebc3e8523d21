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
@limiter.limit(rate_limits.configured("OIDC_START_RATE_LIMIT"))
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
        # The error's type only: messages can echo the token, and the token holds personal data. The
        # provider's own error code (RFC 6749: a short ASCII word such as access_denied) tells the county's IT
        # staff what went wrong there; its free-text description is not kept.
        said = _provider_error(request.args.get("error"))
        log.warning("sign-in with %s failed: %s%s", name, type(error).__name__, f" ({said})" if said else "")
        audit.record(None, "user.sign_in_failed", None, {"provider": name, "error": type(error).__name__,
                                                         **({"provider_error": said} if said else {})})
        db.session.commit()
        # Shown from its own address: a reload, or choosing a language, re-ran this one-time callback and
        # replaced the reason with "already used".
        session["sign_in_outcome"] = {"provider": name, "failed": said or "unaccepted"}
        return redirect(url_for("sign_in.outcome", provider_name=name))
    invited = invitations.user_for_token(session.pop("sign_in_invitation", None))
    try:
        user = sign_in(provider, claims, invited=invited)
    except SignInRefused as refusal:
        # The refused person may want another account: signing out there lets them choose one.
        session["sign_in_outcome"] = {"provider": name, "refused": refusal.reason,
                                      "id_token": token.get("id_token")}
        return redirect(url_for("sign_in.outcome", provider_name=name))
    target = session.pop("sign_in_next", None) or url_for("main.home")
    language = session.get("language")
    session.clear()  # nothing from before the sign-in survives it but the chosen language
    if language:
        session["language"] = language
    login_user(user)
    session["oidc_provider"] = name
    session["oidc_id_token"] = token["id_token"]
    return redirect(target)


def _provider_error(code: str | None) -> str | None:
    """The provider's error code when it is one (RFC 6749 4.1.2.1: printable ASCII, no quotes), else None."""
    import re

    return code if code and re.fullmatch(r"[a-z_]{1,64}", code) else None


@bp.get("/login/oidc/<provider_name>/outcome")
def outcome(provider_name: str):
    """Why a sign-in did not end signed in: refused (no group, deactivated, ...) or failed (cancelled at the
    provider, a token that failed a check). Read from the session, so a reload or a language change keeps it."""
    provider = oidc.provider(provider_name) or abort(404)
    said = session.get("sign_in_outcome") or {}
    if said.get("provider") != provider.name:
        return redirect(url_for("auth.login"))
    if "refused" in said:
        return render_template("auth/sign_in_refused.html", provider=provider, reason=said["refused"],
                               sign_out_there=end_session_url(provider.name, said.get("id_token"))), 403
    return render_template("auth/sign_in_failed.html", provider=provider, unreachable=False,
                           cancelled=said.get("failed") == "access_denied"), 400


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
