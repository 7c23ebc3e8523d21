"""Revocable sign-in sessions on top of Flask-Login (issue 25, item 3).

Flask-Login keeps the user id in the signed session cookie; that alone cannot be revoked. Here
every sign-in also gets a row in `user_session` whose random id goes into the cookie, and every
request checks the row: logout, "log out everywhere", a password change and deactivation end
rows, so a copied cookie is dead afterwards; reactivating a user revives nothing. A session
also ends after `SESSION_IDLE_MINUTES` without a request and `SESSION_MAX_HOURS` after sign-in.

Kept apart from the login views (signals and one before_request hook), so any way of signing
in that calls `login_user` (password, OpenID Connect) gets the same sessions.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import Flask, current_app, g, request, session
from flask_login import current_user, logout_user, user_logged_in, user_logged_out
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session as OrmSession

from guidance import clock
from guidance.extensions import db
from guidance.models import User, UserSession
from guidance.services import audit

COOKIE_KEY = "sid"
# last_seen_at is written at most this often: not one UPDATE per request.
TOUCH_EVERY = dt.timedelta(seconds=60)


def register(app: Flask) -> None:
    """Check the session on every request; start and end rows with Flask-Login's signals."""
    app.before_request(check_current)
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    _listen_for_account_changes()


def start(user: User) -> None:
    """A new session row for `user`, named in this request's cookie (after `login_user`)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(UserSession(user_id=user.id, token_hash=_hash(token), created_at=now, last_seen_at=now))
    audit.record(user, "auth.logged_in", user)
    db.session.commit()
    session[COOKIE_KEY] = token


def end_current(reason: str, user: User | None = None) -> None:
    """End the session of this request's cookie (if any); with `user`, the account's history says they logged
    out, in the same transaction (a history that said so of a session still live would mislead)."""
    token = session.get(COOKIE_KEY)
    if user is not None:
        audit.record(user, "auth.logged_out", user)
    if token:
        db.session.execute(update(UserSession).where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
                           .values(ended_at=clock.now(), end_reason=reason))
    if token or user is not None:
        db.session.commit()


def log_out_everywhere(user: User) -> int:
    """Every session of the user ends, this one too; returns how many there were."""
    count = end_all(user.id, "everywhere")
    audit.record(user, "auth.logged_out_everywhere", user, {"sessions": count})
    db.session.commit()
    return count


def end_all(user_id: int, reason: str, *, keep_current: bool = False) -> int:
    """End every live session of a user (in the caller's transaction); returns how many."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    token = session.get(COOKIE_KEY) if keep_current and _in_request() else None
    if token:
        query = query.where(UserSession.token_hash != _hash(token))
    return db.session.execute(query.values(ended_at=clock.now(), end_reason=reason)).rowcount


def check_current() -> None:
    """before_request: a signed-in cookie whose session row is missing, ended, idle or too old
    is logged out here, so the view sees an anonymous user (and the login page follows)."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    if not current_user.is_authenticated:  # deactivated or deleted: Flask-Login found nobody
        _drop_cookie()
        return
    token = session.get(COOKIE_KEY)
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token))) if token else None
    now = clock.now()
    reason = _why_ended(row, now)
    if reason is not None:
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = now, reason
            db.session.commit()
        minutes = idle_minutes(current_user)
        _drop_cookie()
        _say_why(reason, minutes)
        return
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()


def _why_ended(row: UserSession | None, now: dt.datetime) -> str | None:
    if row is None or row.user_id != current_user.id:
        return "unknown"
    if row.ended_at is not None:
        return row.end_reason or "ended"
    if now - row.last_seen_at > dt.timedelta(minutes=idle_minutes(current_user)):
        return "idle"
    if now - row.created_at > dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"]):
        return "expired"
    return None


def idle_minutes(user: User) -> int:
    """Minutes without a request before a session ends: the user's county's setting, or the
    installation's SESSION_IDLE_MINUTES (admins without a county, referrers, unset)."""
    county = getattr(user, "county", None)
    if county is not None and county.session_idle_minutes:
        return county.session_idle_minutes
    return current_app.config["SESSION_IDLE_MINUTES"]


def _say_why(reason: str, minutes: int) -> None:
    """The login page that follows says why the user must sign in again, and where their text may be."""
    from flask import flash
    from flask_babel import gettext as _

    if reason == "idle":
        message = _("You were signed out after %(minutes)d minutes without using Veiled.", minutes=minutes)
    elif reason == "expired":
        message = _("You were signed out because you had been signed in for %(hours)d hours.",
                    hours=current_app.config["SESSION_MAX_HOURS"])
    else:
        message = _("You were signed out (for instance on all your devices). Sign in again to go on.")
    if request.method == "POST":
        message += " " + unsaved_text_hint()
    flash(message, "warning")


def unsaved_text_hint() -> str:
    """What a user who sent a form after their sign-in ended is told about the text they wrote."""
    from flask_babel import gettext as _

    return _("What you had just written was not saved. Go back in the browser after signing in: the text may "
             "still be on the page, so you can copy it.")


def _drop_cookie() -> None:
    g.session_dropped = True
    user = current_user._get_current_object()
    logout_user()
    clear_keeping_language(user)
    # A form sent from a page opened before this (its CSRF token went with the session) is answered
    # with the login page and why, not "the form had expired" (web.errors).
    session[SIGNED_OUT] = True


SIGNED_OUT = "signed_out"


def clear_keeping_language(user) -> None:
    """Empty the session at sign-out, but keep the user's language (chosen on the page or in their
    profile): the login page that follows, and its message, are in it, not in the browser's."""
    language = session.get("language") or getattr(user, "language", None)
    session.clear()
    if language:
        session["language"] = language


def _on_login(_app, user: User, **_extra) -> None:
    session.pop(SIGNED_OUT, None)
    _keep_chosen_language(user)
    start(user)


def _keep_chosen_language(user: User) -> None:
    """A language picked on the login page becomes the user's own when they have none: the pages followed it
    while e-mails and the calendar feed followed the county's form (bokmål on screen, a nynorsk feed)."""
    from guidance.rules.language import UI_LANGUAGES

    chosen = session.get("language")
    if user.language is None and chosen in UI_LANGUAGES:
        user.language = chosen   # committed with the session row


def _on_logout(_app, user, **_extra) -> None:
    if not g.get("session_dropped"):   # the person logged out (not a session the app ended)
        end_current("logout", user if getattr(user, "is_authenticated", False) else None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


# --- a new password or a deactivation ends the user's sessions, whichever code path sets it ----

_listening = False


def _listen_for_account_changes() -> None:
    global _listening
    if _listening:
        return
    _listening = True
    event.listen(User.password_hash, "set", _password_set, active_history=True, retval=True)
    event.listen(User.active, "set", _active_set, active_history=True, retval=True)
    event.listen(OrmSession, "before_flush", _end_marked_sessions)


def _mark(user: User, reason: str, keep_current: bool) -> None:
    if user.id is None:  # a new user has no sessions
        return
    db.session.info.setdefault("end_sessions", {})[user.id] = (reason, keep_current)


def _password_set(user: User, value, oldvalue, _initiator):
    if value != oldvalue:
        # Someone changing their own password stays signed in here; every other browser is out.
        own = _in_request() and current_user.is_authenticated and current_user.id == user.id
        _mark(user, "password", keep_current=own)
    return value


def _active_set(user: User, value, oldvalue, _initiator):
    if value is False and oldvalue is not False:
        _mark(user, "deactivated", keep_current=False)
    return value


def _end_marked_sessions(orm_session, _flush_context, _instances) -> None:
    marked = orm_session.info.pop("end_sessions", None)
    for user_id, (reason, keep_current) in (marked or {}).items():
        query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        token = session.get(COOKIE_KEY) if keep_current and _in_request() else None
        if token:
            query = query.where(UserSession.token_hash != _hash(token))
        orm_session.execute(query.values(ended_at=clock.now(), end_reason=reason))
