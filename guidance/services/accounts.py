"""User accounts: authentication, creation and changes by an administrator."""
from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from guidance.extensions import db
from guidance.models import Role, User
from guidance.models.people import password_hash_method
from guidance.services import audit
from guidance.services.errors import DomainError

def _dummy_hash() -> str:
    """A hash to check against when the e-mail is unknown, so both paths cost the same."""
    return _dummy_hash_for(password_hash_method())


@functools.cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@dataclass(frozen=True)
class UserFilter:
    """What an administrator narrows the user list to: part of a name or an e-mail address, a role, a
    municipality (its referrers), active or deactivated. Empty means all."""
    text: str = ""
    role: str = ""
    municipality_id: int | None = None
    status: str = ""

    @property
    def active(self) -> bool:
        return bool(self.text or self.role or self.municipality_id or self.status)


def users_for(where, chosen: UserFilter) -> list[User]:
    """The users `where` selects (the administrator's scope, `rules.access.admin_user_filter`), narrowed as chosen,
    by role then name: a county has a referrer or two in each of its municipalities, and the list ran to
    hundreds of rows with no way to find one."""
    query = select(User).where(where)
    if chosen.role in {r.value for r in Role}:
        query = query.where(User.role == Role(chosen.role))
    if chosen.municipality_id:
        query = query.where(User.municipality_id == chosen.municipality_id)
    if chosen.status in ("active", "deactivated"):
        query = query.where(User.active.is_(chosen.status == "active"))
    found = db.session.scalars(query.order_by(User.role, User.name))
    # Text in Python: SQLite's lower() leaves "Ø" as it is, and a county's staff are hundreds, not millions.
    text = " ".join(chosen.text.casefold().split())
    return [u for u in found if not text or text in u.name.casefold() or text in u.email.casefold()]


def authenticate(email: str, password: str, local_login: bool = True) -> User | None:
    """The active user with these credentials, or None; with passwords switched off (`local_login` False), only an
    interpreter (rules.sign_in.may_use_password)."""
    from guidance.rules.sign_in import may_use_password

    user = find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        _failed_login(None, "unknown_account")
        return None
    if not user.active or not user.check_password(password):
        _failed_login(user, "inactive" if not user.active else "wrong_password")
        return None
    if user.signs_in_externally:
        # The county's identity provider vouches for this person (its groups, its second factor, its
        # leavers): a password here would go around all of it, even one an administrator typed in.
        _failed_login(user, "signs_in_externally")
        return None
    if not may_use_password(user.role, local_login):
        _failed_login(user, "passwords_off")
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


def set_phone(user: User, phone: str | None) -> None:
    """A user's own phone number: the participant's letter gives a referrer's, the centre rings an
    interpreter's for interpreting by phone. Empty removes it. The number is not written to the audit."""
    from guidance.services.referrals import canonical_phone, dialable

    tidy = canonical_phone(phone)
    if tidy and not dialable(tidy):
        message = _("Enter a phone number of 8 to 15 digits, like +47 400 00 000.")
        raise DomainError(message, {"phone": [message]})
    if tidy != user.phone:
        user.phone = tidy
        audit.record(user, "account.phone_changed", user, {"removed": tidy is None})
    db.session.commit()


def strong_enough(password: str, user_inputs: list[str] | None = None) -> bool:
    """False for common and breached-pattern passwords ("password1234", a name plus digits)."""
    from zxcvbn import zxcvbn

    # zxcvbn's running time grows with length; beyond 100 characters length alone is enough.
    return zxcvbn(password[:100], user_inputs=[u for u in user_inputs or [] if u])["score"] >= MIN_PASSWORD_SCORE


def password_problem(password: str, user: User | None = None, user_inputs: list[str] | None = None) -> str | None:
    """What is wrong with a new password, or None: the one rule for every way a password is set
    (created by an administrator, changed by its owner, set through a reset or an invitation link)."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The new password must be at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)
    known = list(user_inputs or []) + ([user.email, user.name] if user is not None else [])
    if not strong_enough(password, known):
        return _("This password is too easy to guess: it is common or follows a common pattern. "
                 "Choose another, for example a few unrelated words.")
    return None


def new_user_problems(actor, *, email: str | None, name: str | None, password: str | None, role: Role | None,
                      county_id=None, municipality_id=None) -> dict[str, list[str]]:
    """What is wrong with a new account, by field; a field the caller could not read is None and not checked. The
    form asks it even when its own checks failed: the taken e-mail and the missing county came one submit after a
    short password."""
    from flask_babel import gettext as _

    from guidance.services.referrals import has_control_characters

    errors: dict[str, list[str]] = {}
    if password is not None and (problem := password_problem(password, user_inputs=[email or "", name or ""])):
        errors["password"] = [problem]
    if name and has_control_characters(name):
        errors["name"] = [_("Remove the invisible control characters from this field.")]
    if email and find_by_email(email) is not None:
        errors["email"] = [_("A user with this e-mail address already exists.")]
    if role is None:
        return errors
    if role is Role.REFERRER and not municipality_id:
        errors["municipality_id"] = [_("A referrer must belong to a municipality.")]
    if role in (Role.LEAD, Role.COUNSELLOR, Role.INTERPRETER) and not county_id:
        errors["county_id"] = [_("This role must belong to a county.")]
    _outside_scope(actor, role, county_id, municipality_id, errors)
    _referrals_reach_a_centre(role, county_id, municipality_id, errors)
    return errors


def create_user(actor, *, email: str, name: str, password: str | None, role: Role, county_id=None, municipality_id=None,
                language=None, temporary: bool = True) -> User:
    """Create a user in one transaction; refuses a taken e-mail or a role without its binding. Without a
    `password` the person is e-mailed an invitation to choose one (or to connect their organisation's sign-in),
    as the lead's people pages do: an administrator creating a county's first lead had to pass a password on
    some other way. A `password` given is `temporary` (the person chooses their own at the first login)
    unless the caller says it is the person's own."""
    from flask_babel import gettext as _

    errors = new_user_problems(actor, email=email, name=name, password=password, role=role, county_id=county_id,
                               municipality_id=municipality_id)
    if errors:
        raise DomainError(_("The user could not be created."), errors)
    user = User(email=email.strip().lower(), name=name.strip(), role=role, language=language,
                county_id=county_id if role is not Role.REFERRER else None,
                municipality_id=municipality_id if role is Role.REFERRER else None)
    user.set_password(password if password is not None else secrets.token_urlsafe(32))   # nobody knows it
    # A password an administrator typed (or the command printed) is theirs to replace at the first login.
    user.password_set_by_other = password is not None and temporary
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", user, {"role": role.value})
    messages = []
    if password is None:
        from guidance.services import invitations

        messages = invitations.queue_if_usable(actor, user)
    db.session.commit()
    if messages:
        from guidance.services import mail

        mail.deliver_later(messages)
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
    if password and user.signs_in_externally:
        errors["password"] = [_("This person logs in with the county's account, which decides their access: a "
                                "password here would go around it.")]
    if user.signs_in_externally:
        # The groups decide at every login: a change here gave rights for the rest of a session, then reverted
        # without a word at the next login.
        external = _("This follows the county's groups at every login: change it there.")
        for field, changed in (("name", name != user.name), ("email", email.strip().lower() != user.email.lower()),
                               ("role", role is not user.role), ("county_id", (county_id or None) != user.county_id),
                               ("municipality_id", (municipality_id or None) != user.municipality_id)):
            if changed:
                errors[field] = [external]
    if getattr(actor, "id", None) == user.id and (role is not Role.ADMIN or not active):
        errors["role" if role is not Role.ADMIN else "active"] = [
            _("You cannot take away your own administrator access; ask another administrator.")]
    _outside_scope(actor, role, county_id, municipality_id, errors)
    if role is not user.role or municipality_id != user.municipality_id:   # a name fix keeps a referrer as is
        _referrals_reach_a_centre(role, county_id, municipality_id, errors)
    if errors:
        raise DomainError(_("The user was not saved."), errors)
    before = _snapshot(user)
    role_leaves_counselling(user, role)
    role_returns_to_counselling(user, role)
    if user.active and not active:
        _switched_off(user)
    user.email, user.name, user.role, user.active = email.strip().lower(), name.strip(), role, active
    # Admins belong to the installation or one county; referrers to a municipality; staff to a county.
    user.county_id = county_id if role is not Role.REFERRER else None
    user.municipality_id = municipality_id if role is Role.REFERRER else None
    if password:
        user.set_password(password)
        user.password_set_by_other = getattr(actor, "id", None) != user.id
    changed = sorted(k for k, v in _snapshot(user).items() if before[k] != v) + (["password"] if password else [])
    audit.record(actor, "user.updated", user, {"fields": changed, "role": role.value})
    db.session.commit()


def role_leaves_counselling(user: User, role: Role) -> None:
    """A counsellor (or a lead who counsels) given a role that does not counsel (referrer, interpreter,
    administrator) keeps their profile (published sessions point at it) but is no longer planned: it is
    deactivated. A counsellor made lead goes on counselling (rules.access.counsels): switching them off had
    broken 38 booked sessions."""
    from guidance.rules.access import COUNSELLING_ROLES

    if user.role in COUNSELLING_ROLES and role not in COUNSELLING_ROLES and user.counsellor is not None:
        user.counsellor.active = False


def role_returns_to_counselling(user: User, role: Role) -> None:
    """Made a counsellor again (a role changed by mistake and back, or a lead back to counselling): the profile
    the earlier change switched off is planned again; it had stayed "Deactivated" with its sessions broken."""
    if user.role is not Role.COUNSELLOR and role is Role.COUNSELLOR and user.counsellor is not None:
        user.counsellor.active = True


def _switched_off(user: User) -> None:
    """An account switched off loses its calendar address for good: switched on again, the person makes a new
    one (the old address had come back to life with the account)."""
    user.calendar_token_hash = None


def _referrals_reach_a_centre(role: Role, county_id, municipality_id, errors: dict) -> None:
    """A referrer's referrals go to their municipality's county: one whose county has no career centre in
    Veiled reached nobody while the deadline ran (an Oslo referrer was accepted, told "sent to the career
    centre"). A county chosen beside the municipality must be its own (it had been ignored)."""
    from flask_babel import gettext as _

    from guidance.models import Municipality
    from guidance.services import setup

    if role is not Role.REFERRER or not municipality_id:
        return
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        return
    if county_id and municipality.county_id != county_id:
        errors.setdefault("municipality_id", []).append(
            _("%(municipality)s is not in the county chosen above. Choose one of its municipalities, or no county.",
              municipality=municipality.name))
    elif not setup.takes_referrals(municipality):
        errors.setdefault("municipality_id", []).append(setup.reaches_nobody(municipality))


def _outside_scope(actor, role: Role, county_id, municipality_id, errors: dict) -> None:
    """An administrator bound to a county keeps every account they create or change in that county
    (and cannot make anyone, themselves included, an administrator of the whole installation)."""
    from flask_babel import gettext as _

    from guidance.models import Municipality
    from guidance.rules.access import admin_reaches

    if actor is None or getattr(actor, "county_id", None) is None:
        return
    if role is Role.REFERRER:
        municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
        if municipality is not None and not admin_reaches(actor, municipality.county_id):
            errors.setdefault("municipality_id", []).append(_("Choose a municipality in your own county."))
    elif not admin_reaches(actor, county_id):
        errors.setdefault("county_id", []).append(_("Choose your own county: you administer only its accounts."))


def _snapshot(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role, "county": user.county_id,
            "municipality": user.municipality_id, "active": user.active}


def set_active(actor, user: User, active: bool) -> None:
    """Use case: an administrator (any account) or a county's lead (its referrers) switches an account
    on or off. An account an administrator switched off stays off for a lead: the administrator may
    have had a reason the lead does not see (a shared password, a person who left)."""
    from guidance.models import AuditEvent

    if active and not user.active and getattr(actor, "role", None) is not Role.ADMIN:
        last = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "user.deactivated", AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id.desc()).limit(1))
        if last is not None and last.actor is not None and last.actor.role is Role.ADMIN:
            raise DomainError(_("An administrator switched this account off. Ask the administrator to switch it on."))
    if user.active and not active:
        _switched_off(user)
    user.active = active
    for identity in user.identities:
        # An administrator's decision overrides a withdrawal by the provider's claims: a
        # deactivated account stays out even if a later sign-in maps to a role again.
        identity.access_withdrawn_at = None
    audit.record(actor, "user.activated" if active else "user.deactivated", user)
    db.session.commit()


MIN_PASSWORD_LENGTH = 12


def change_password(user: User, current: str, new: str) -> None:
    """A user changes their own password: the current one must be right, the new one long enough."""
    from flask_babel import gettext as _

    errors: dict[str, list[str]] = {}
    if user.signs_in_externally:
        raise DomainError(_("Your password is managed by your organisation's identity provider."))
    if not user.check_password(current):
        errors["current_password"] = [_("The current password is wrong.")]
    if problem := password_problem(new, user):
        errors["new_password"] = [problem]
    if errors:
        raise DomainError(_("The password was not changed."), errors)
    user.set_password(new)
    user.password_set_by_other = False
    audit.record(user, "user.password_changed", user)
    db.session.commit()


# A one-time link (a password reset, an invitation) carries the user's id, its expiry and a
# fingerprint of the password hash it may replace, signed with SECRET_KEY under its own salt: once
# the password changes (by this link or otherwise) every earlier link stops working, so a link is
# single-use without a table of spent tokens.
_RESET_SALT = "password-reset"


def _serializer(salt: str):
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash: a link that carries it works until the password changes."""
    import hashlib

    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def one_time_token(user: User, salt: str, seconds: int) -> str:
    """A signed link token for `user` that works for `seconds` and until their password changes."""
    from guidance import clock

    expires = int(clock.now().timestamp()) + seconds
    return _serializer(salt).dumps({"user": user.id, "expires": expires, "password": password_fingerprint(user)})


def user_for_one_time_token(token: str | None, salt: str, external_ok: bool = False) -> User | None:
    """The user a one-time link is for, or None when it is forged, expired, used, for an inactive
    user or (unless `external_ok`: an administrator's link to connect a replaced county account) for one
    who signs in with an identity provider."""
    from itsdangerous import BadData

    from guidance import clock

    if not token:
        return None
    try:
        data = _serializer(salt).loads(token)
        user_id, expires, fingerprint = int(data["user"]), int(data["expires"]), str(data["password"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if clock.now().timestamp() > expires:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or (user.signs_in_externally and not external_ok):
        return None
    if not secrets.compare_digest(fingerprint, password_fingerprint(user)):
        return None
    return user


def password_reset_token(user: User) -> str:
    from flask import current_app

    return one_time_token(user, _RESET_SALT, current_app.config["PASSWORD_RESET_SECONDS"])


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link is for, or None when it is forged, expired, used or for an inactive user."""
    return user_for_one_time_token(token, _RESET_SALT)


def request_password_reset(email: str) -> list:
    """Queue a reset link to a local account with this address; the caller says the same either way.

    Returns the queued messages for `mail.deliver_later` after the commit (none when there is no
    such active local account)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from guidance.services import mail
    from guidance.services.calendar import app_url

    from flask import current_app

    from guidance.rules.sign_in import may_use_password

    user = find_by_email(email)
    if user is None or not user.active or user.signs_in_externally or \
            not may_use_password(user.role, current_app.config["LOCAL_LOGIN"]):
        return []
    link = app_url("account.reset_password", reset_token=password_reset_token(user))
    with force_locale(user.language or "nb"):
        subject = _("Reset your password for Veiled")
        body = _("Someone (we hope you) asked to reset your password for Veiled. Choose a new password here "
                 "within an hour: %(link)s\n\nThe link works once. If you did not ask for this, ignore this "
                 "e-mail: your password stays as it is.", link=link)
    message = mail.queue(user, subject, body)
    audit.record(None, "user.password_reset_requested", user)
    db.session.commit()
    return [message]


def reset_password(token: str, new: str) -> User:
    """Set a new password through a reset link; the link then stops working."""
    from flask_babel import gettext as _

    return set_password_by_link(user_for_reset_token(token), new, "user.password_reset",
                                invalid=_("This link is no longer valid. Ask for a new one."),
                                refused=_("The password was not changed."))


def set_password_by_link(user: User | None, new: str, action: str, *, invalid: str, refused: str) -> User:
    """Set the password of the user a one-time link is for (None: the link is not valid any more);
    the link then stops working. Audited as `action`."""
    from flask_babel import gettext as _

    if user is None:
        raise DomainError(invalid)
    if problem := password_problem(new, user):
        raise DomainError(refused, {"new_password": [problem]})
    user.set_password(new)
    user.password_set_by_other = False
    audit.record(user, action, user)
    db.session.commit()
    return user


# What the account's owner did that an administrator asks about ("why was Kari refused?", "who tried the admin
# pages?"): besides every event about the account itself.
OWN_ACTIONS = ("access.refused", "auth.login_failed", "auth.code_failed", "auth.logged_in", "auth.recovery_code_used")
HISTORY_LENGTH = 50


def history(user: User, limit: int = HISTORY_LENGTH) -> list:
    """The account's latest audit events, newest first: changes to it (by whom), its sign-ins and refusals, and the
    pages it was refused. The trail was in the database only, and an administrator could not say why someone
    had been refused or who had made someone an administrator."""
    from sqlalchemy import and_, or_

    from guidance.models import AuditEvent

    events = list(db.session.scalars(
        # Someone else refused this account's page is not the account's doing (it named another county's admin).
        select(AuditEvent).where(or_(and_(AuditEvent.object_type == "user", AuditEvent.object_id == user.id,
                                          AuditEvent.action != "access.refused"),
                                     and_(AuditEvent.actor_id == user.id, AuditEvent.action.in_(OWN_ACTIONS))))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit + 1)))
    # A sign-in through the county's provider starts a session as a password login does: the trail keeps both,
    # the history one line ("logged in with a password" stood under each sign-in with the county's account).
    kept = [e for older, e in zip(events[1:] + [None], events)
            if not (e.action == "auth.logged_in" and older is not None and older.action == "user.signed_in")]
    return kept[:limit]
