"""User accounts: authentication, creation and changes by an administrator."""
from __future__ import annotations

import functools
import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from guidance.extensions import db
from guidance.models import Role, User
from guidance.services import audit
from guidance.services.errors import DomainError

@functools.cache
def _dummy_hash() -> str:
    """A hash to check against when the e-mail is unknown, so both paths cost the same."""
    return generate_password_hash(secrets.token_urlsafe(16))


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        _failed_login(None, "unknown_account")
        return None
    if not user.active or not user.check_password(password):
        _failed_login(user, "inactive" if not user.active else "wrong_password")
        return None
    return user


def _failed_login(user: User | None, reason: str) -> None:
    """Audited (never the typed address or password): guessing shows up in the trail."""
    audit.record(None, "auth.login_failed", user, {"reason": reason})
    db.session.commit()


def set_language(user: User, language: str) -> None:
    user.language = language


# zxcvbn's scale: 3 is "safely unguessable" for an online attack (about 10^8 guesses and up).
MIN_PASSWORD_SCORE = 3


def strong_enough(password: str, user_inputs: list[str] | None = None) -> bool:
    """False for common and breached-pattern passwords ("password1234", a name plus digits)."""
    from zxcvbn import zxcvbn

    # zxcvbn's running time grows with length; beyond 100 characters length alone is enough.
    return zxcvbn(password[:100], user_inputs=[u for u in user_inputs or [] if u])["score"] >= MIN_PASSWORD_SCORE


def create_user(actor, *, email: str, name: str, password: str, role: Role, county_id=None, municipality_id=None, language=None) -> User:
    """Create a user in one transaction; refuses a taken e-mail or a role without its binding."""
    from flask_babel import gettext as _

    errors: dict[str, list[str]] = {}
    from guidance.services.referrals import has_control_characters

    if not strong_enough(password, [email, name]):
        errors["password"] = [_("This password is too easy to guess: it is common or follows a common pattern. "
                                "Choose another, for example a few unrelated words.")]
    if has_control_characters(name):
        errors["name"] = [_("Remove the invisible control characters from this field.")]
    if find_by_email(email) is not None:
        errors["email"] = [_("A user with this e-mail address already exists.")]
    if role is Role.REFERRER and not municipality_id:
        errors["municipality_id"] = [_("A referrer must belong to a municipality.")]
    if role in (Role.LEAD, Role.COUNSELLOR, Role.INTERPRETER) and not county_id:
        errors["county_id"] = [_("This role must belong to a county.")]
    if errors:
        raise DomainError(_("The user could not be created."), errors)
    user = User(email=email.strip().lower(), name=name.strip(), role=role, language=language,
                county_id=county_id if role is not Role.REFERRER else None,
                municipality_id=municipality_id if role is Role.REFERRER else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", user, {"role": role.value})
    db.session.commit()
    return user


def set_active(actor, user: User, active: bool) -> None:
    user.active = active
    audit.record(actor, "user.activated" if active else "user.deactivated", user)
    db.session.commit()
