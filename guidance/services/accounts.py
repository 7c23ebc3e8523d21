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
        return None
    if not user.active or not user.check_password(password):
        return None
    return user


def set_language(user: User, language: str) -> None:
    user.language = language


def create_user(actor, *, email: str, name: str, password: str, role: Role, county_id=None, municipality_id=None, language=None) -> User:
    """Create a user in one transaction; refuses a taken e-mail or a role without its binding."""
    from flask_babel import gettext as _

    errors: dict[str, list[str]] = {}
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


def update_user(actor, user: User, *, email: str, name: str, role: Role, county_id=None, municipality_id=None,
                active: bool = True, password: str | None = None) -> None:
    """An administrator changes a user: name, e-mail, role, scope (county or municipality), active,
    and optionally a new password. Refuses a taken e-mail, a role without its binding, and an
    administrator taking away their own access. The audit event names the changed fields."""
    from flask_babel import gettext as _

    errors: dict[str, list[str]] = {}
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        errors["email"] = [_("A user with this e-mail address already exists.")]
    if role is Role.REFERRER and not municipality_id:
        errors["municipality_id"] = [_("A referrer must belong to a municipality.")]
    if role in (Role.LEAD, Role.COUNSELLOR, Role.INTERPRETER) and not county_id:
        errors["county_id"] = [_("This role must belong to a county.")]
    if getattr(actor, "id", None) == user.id and (role is not Role.ADMIN or not active):
        errors["role" if role is not Role.ADMIN else "active"] = [
            _("You cannot take away your own administrator access; ask another administrator.")]
    if errors:
        raise DomainError(_("The user was not saved."), errors)
    before = _snapshot(user)
    user.email, user.name, user.role, user.active = email.strip().lower(), name.strip(), role, active
    # Admins belong to the installation or one county; referrers to a municipality; staff to a county.
    user.county_id = county_id if role is not Role.REFERRER else None
    user.municipality_id = municipality_id if role is Role.REFERRER else None
    if password:
        user.set_password(password)
    changed = sorted(k for k, v in _snapshot(user).items() if before[k] != v) + (["password"] if password else [])
    audit.record(actor, "user.updated", user, {"fields": changed, "role": role.value})
    db.session.commit()


def _snapshot(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role, "county": user.county_id,
            "municipality": user.municipality_id, "active": user.active}


def set_active(actor, user: User, active: bool) -> None:
    user.active = active
    audit.record(actor, "user.activated" if active else "user.deactivated", user)
    db.session.commit()
