"""The second factor for local-password sign-in: TOTP (RFC 6238) codes and one-time recovery codes.

Leads and administrators who sign in with a password must have it (`required`); other roles may
enrol from their account page. Users signed in through an OpenID Connect provider never need it:
the provider checks its own second factor.

- The secret is stored encrypted (Fernet, key derived from SECRET_KEY) and never shown again after
  enrolment; it never goes into logs or audit details.
- A code is accepted for the current and the previous time step (and the next, for a clock a little
  ahead), never twice: `User.totp_last_step` remembers the last step used.
- Ten one-time recovery codes, shown once; only their SHA-256 is stored.
- `MAX_FAILURES` wrong codes within `LOCKOUT_WINDOW` (counted from `auth.code_failed` audit events)
  lock the code step until the window has passed.
Times come from `guidance.clock`, so tests move them with `travel_to`.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import func, select, update

from guidance import clock
from guidance.extensions import db
from guidance.models import AuditEvent, RecoveryCode, Role, User
from guidance.services import audit
from guidance.services.errors import DomainError

ISSUER = "Veiled"
STEP_SECONDS = 30
RECOVERY_CODES = 10
MAX_FAILURES = 10
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
REQUIRED_ROLES = (Role.LEAD, Role.ADMIN)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy from paper


class CodeRefused(DomainError):
    """A wrong, reused or locked-out code; `reason` is "wrong", "reused" or "locked"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, {"code": [message]})
        self.reason = reason


# --- who needs it ----------------------------------------------------------------------------

def enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def required(user: User) -> bool:
    """Leads and admins signing in with a local password must use a second factor."""
    return user.role in REQUIRED_ROLES and not user.signs_in_externally


def must_enrol(user: User) -> bool:
    return required(user) and not enrolled(user)


# --- secrets ---------------------------------------------------------------------------------

def new_secret() -> str:
    import pyotp  # imported where used: the queue consumer never needs it

    return pyotp.random_base32()


def _fernet() -> Fernet:
    key = hashlib.sha256(b"veiled-totp:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    """The secret encrypted for storage (the database, or the enrolment page's session)."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The otpauth URI as an inline SVG QR code (dark on light, with a quiet zone)."""
    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, dark="#000", light="#fff",
                                    xmldecl=False, svgns=True, title=title, svgclass="qr-code", lineclass=None)
    return out.getvalue().decode()


def grouped(secret: str) -> str:
    """The secret in groups of four for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _step(at: dt.datetime | None = None) -> int:
    return int((at or clock.now()).timestamp()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    import pyotp

    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


# --- checking a code -------------------------------------------------------------------------

def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The step (previous, current or next) whose code is `code`, later than `after`; None if none.
    A match on a step already used answers -1."""
    now = _step()
    reused = False
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(code_for(secret, step), code):
            if after is not None and step <= after:
                reused = True
                continue
            return step
    return -1 if reused else None


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def failures(user: User) -> int:
    since = clock.now() - LOCKOUT_WINDOW
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.code_failed", AuditEvent.object_type == "user",
        AuditEvent.object_id == user.id, AuditEvent.at >= since)) or 0


def locked(user: User) -> bool:
    return failures(user) >= MAX_FAILURES


def _refuse(user: User, reason: str) -> CodeRefused:
    from flask_babel import gettext as _

    audit.record(None, "auth.code_failed", user, {"reason": reason})
    db.session.commit()
    if reason == "locked" or locked(user):
        return CodeRefused(_("Too many wrong codes. Wait 15 minutes and try again, or ask an administrator "
                             "to reset your second factor."), "locked")
    if reason == "reused":
        return CodeRefused(_("This code has been used already. Wait for the next code in your app."), "reused")
    return CodeRefused(_("The code is wrong. Enter the 6 digits your app shows now, or a recovery code."), "wrong")


def _accept_code(user: User, code: str, *, recovery: bool) -> str:
    """Checks a code in the current transaction; returns "totp" or "recovery", or raises CodeRefused
    (the failure is audited and committed). Does not commit a success."""
    if locked(user):
        raise _refuse(user, "locked")
    typed = _normalise(code)
    secret = unseal(user.totp_secret)
    if secret and typed.isdigit() and len(typed) == 6:
        step = _matching_step(secret, typed, user.totp_last_step)
        if step == -1:
            raise _refuse(user, "reused")
        if step is not None:
            # The conditional UPDATE decides a race between two requests with the same code.
            done = db.session.execute(update(User).where(
                User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
                .values(totp_last_step=step)).rowcount
            if not done:
                raise _refuse(user, "reused")
            db.session.expire(user, ["totp_last_step"])
            return "totp"
    if recovery and len(typed) >= 8:
        row = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(typed),
            RecoveryCode.used_at.is_(None)))
        if row is not None:
            done = db.session.execute(update(RecoveryCode).where(
                RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None)).values(used_at=clock.now())).rowcount
            if done:
                return "recovery"
    raise _refuse(user, "wrong")


def verify_sign_in(user: User, code: str) -> str:
    """The code step of signing in: a TOTP code or an unused recovery code. Audited; one transaction.
    Returns "totp" or "recovery"; raises CodeRefused."""
    kind = _accept_code(user, code, recovery=True)
    if kind == "recovery":
        audit.record(user, "auth.recovery_code_used", user, {"left": remaining_recovery_codes(user)})
    else:
        audit.record(user, "auth.code_accepted", user)
    db.session.commit()
    return kind


# --- enrolment and recovery codes ------------------------------------------------------------

def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                       .values(used_at=clock.now()))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw)))
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def confirm_before_move(user: User, code: str) -> None:
    """Before a new phone replaces the old one: a code from the old app, or a recovery code (a lost
    phone), proves it is the user. Audited; a wrong code is refused like at sign-in."""
    _accept_code(user, code, recovery=True)
    audit.record(user, "auth.second_factor_move_started", user)
    db.session.commit()


def enrol(user: User, secret: str, code: str, *, moved: bool = False) -> list[str]:
    """Confirms a new secret with one code from the user's app (`moved`: it replaces the one they had;
    the old app and the old recovery codes stop working); returns the recovery codes to show once.
    Refuses a wrong code (audited) without storing anything."""
    from flask_babel import gettext as _

    if locked(user):
        raise _refuse(user, "locked")
    typed = _normalise(code)
    step = _matching_step(secret, typed, None) if typed.isdigit() and len(typed) == 6 else None
    if step is None or step < 0:
        audit.record(None, "auth.code_failed", user, {"reason": "enrolment"})
        db.session.commit()
        raise CodeRefused(_("The code is wrong. Check that the app shows Veiled and enter the 6 digits it shows now."),
                          "wrong")
    user.totp_secret = seal(secret)
    user.totp_enabled_at = clock.now()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record(user, "auth.second_factor_moved" if moved else "auth.second_factor_enrolled", user)
    db.session.commit()
    return codes


def turn_on(user: User, secret: str) -> list[str]:
    """Sets a second factor without a confirming code (the demo seed only) and returns its recovery
    codes, as an enrolment would (without them the user is told at every sign-in that few are left);
    the caller commits."""
    user.totp_secret = seal(secret)
    user.totp_enabled_at = clock.now()
    db.session.flush()  # the codes need the user's id
    return _new_recovery_codes(user)


def current_code(user: User) -> str | None:
    """The code the user's app shows now (the demo's `flask demo-code`); None without a second factor."""
    secret = unseal(user.totp_secret)
    return code_for(secret, _step()) if secret else None


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working); needs a current code from the app."""
    _accept_code(user, code, recovery=False)
    codes = _new_recovery_codes(user)
    audit.record(user, "auth.recovery_codes_regenerated", user)
    db.session.commit()
    return codes


def reset(actor: User, user: User) -> None:
    """An administrator removes a user's second factor (lost phone): secret and recovery codes go,
    and the user's sessions end; a lead or admin must enrol again at the next sign-in."""
    from guidance.services import sessions

    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                       .values(used_at=clock.now()))
    sessions.end_all(user.id, "second_factor")
    audit.record(actor, "auth.second_factor_reset", user)
    db.session.commit()
