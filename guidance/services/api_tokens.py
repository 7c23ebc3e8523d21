"""Bearer tokens for municipal case systems: created and revoked by an admin, stored hashed."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from guidance import clock
from guidance.extensions import db
from guidance.models import ApiToken, Municipality, User
from guidance.models.types import utcnow
from guidance.rules.access import admin_reaches
from guidance.services import audit, setup
from guidance.services.errors import DomainError

log = logging.getLogger(__name__)
PREFIX = "vld_"


def hash_token(plaintext: str) -> str:
    # A random 256-bit token needs no slow hash: SHA-256 cannot be brute-forced back to it.
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(actor: User | None, *, municipality_id: int | None, name: str, note: str | None = None) -> tuple[ApiToken, str]:
    """A new token for one municipality; the plaintext is returned once and never stored."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the system that will use the token, like the case system's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name can be at most 200 characters.")]
    municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
    if municipality is None:
        errors["municipality_id"] = [_("Choose the municipality the token acts for.")]
    elif actor is not None and not admin_reaches(actor, municipality.county_id):
        errors["municipality_id"] = [_("Choose a municipality in your own county.")]
    elif not setup.takes_referrals(municipality):
        errors["municipality_id"] = [setup.reaches_nobody(municipality)]
    if errors:
        raise DomainError(_("The token was not created."), errors)
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(municipality_id=municipality_id, name=name, note=(note or "").strip() or None,
                     token_hash=hash_token(plaintext), created_by_id=getattr(actor, "id", None))
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, {"municipality": municipality_id})
    db.session.commit()
    return token, plaintext


def revoke_token(actor: User, token: ApiToken) -> None:
    """Revoke at once; a revoked token never works again."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "api_token.revoked", token, {"municipality": token.municipality_id})
        db.session.commit()


def authenticate(plaintext: str | None) -> ApiToken | None:
    """The live token with this value, or None."""
    if not plaintext or not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    return token


USE_RECORDED_EVERY = dt.timedelta(minutes=5)


def mark_used(token: ApiToken) -> None:
    """Record that the token was used, at most once every few minutes (one conditional UPDATE in its own short
    transaction, after the rate limit let the request in and before its use case): a case system sends many
    requests, and a write for each would make every read a write. Bookkeeping only: a failed write is logged and
    the request goes on."""
    now = clock.now()
    if token.last_used_at is not None and now - token.last_used_at < USE_RECORDED_EVERY:
        return
    try:
        db.session.execute(update(ApiToken).where(
            ApiToken.id == token.id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - USE_RECORDED_EVERY))
            .values(last_used_at=now).execution_options(synchronize_session=False))
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("the use of API token %s was not recorded (%s)", token.id, type(error).__name__)
