"""Users and their roles, counsellor and interpreter profiles, absences, API tokens."""
from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from guidance.extensions import db
from guidance.models.organisation import County, Location, Municipality
from guidance.models.types import StrEnumType, UTCDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    COUNSELLOR = "counsellor"
    REFERRER = "referrer"
    INTERPRETER = "interpreter"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Leads, counsellors and interpreters work for one county; admins for the installation.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"), nullable=True, index=True)
    # Referrers act for one municipality.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    calendar_token_hash: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lead's "new referrals since your last visit": when the home was last opened, and where the
    # current visit's "new" begins (kept while the lead comes back within services.today.VISIT_GAP).
    last_seen_home_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    home_new_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The user's choice per kind of notice: {"referral_sessions": "digest", ...} (services/notices.py).
    notice_settings: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The second factor (services.second_factor): the TOTP secret, encrypted with a key derived from
    # SECRET_KEY, never shown again after enrolment; when it was confirmed; the last time step used
    # (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(String(300), nullable=True)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Someone else chose the password (an administrator, the create-admin command's one-time password): the
    # user chooses their own before anything else (web.account's guard), as the one-time password promised.
    password_set_by_other: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    county: Mapped[County | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    counsellor: Mapped[CounsellorProfile | None] = relationship(back_populates="user", uselist=False)
    interpreter: Mapped[InterpreterProfile | None] = relationship(back_populates="user", uselist=False)
    identities: Mapped[list[UserIdentity]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def signs_in_externally(self) -> bool:
        """The county's identity provider vouches for this user: no local password to change or reset."""
        return bool(self.identities)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserIdentity(db.Model):
    """An account at an OpenID Connect provider (issuer + subject) that signs in as this user.

    `access_withdrawn_at` is set when a sign-in's claims no longer grant a role: the user is then
    deactivated, and a later sign-in whose claims grant a role again brings the account back."""

    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    access_withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="identities")


counsellor_location = Table(
    "counsellor_location",
    db.metadata,
    Column("counsellor_id", ForeignKey("counsellor_profile.id"), primary_key=True),
    Column("location_id", ForeignKey("location.id"), primary_key=True),
)


class CounsellorProfile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    multicultural: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["nb"])  # ISO 639 codes
    # {"1": [["08:00", "15:30"]], ...} ISO weekday -> working intervals
    weekly: Mapped[dict] = mapped_column(JSON, default=dict)
    max_sessions_per_day: Mapped[int] = mapped_column(Integer, default=4)
    # When the multicultural-guidance course was completed (None: unknown or not taken).
    multicultural_completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Outside these dates the counsellor is not planned (None: open-ended).
    employment_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    employment_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # The counsellor's standing video meeting room (https), sent to participants, referrers and interpreters
    # with every video session of theirs; None: the counsellor sends a link for each session.
    video_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # {"12": [2]}: location id -> the ISO weekdays the counsellor is there ("Tuesdays in Voss"); a location not
    # named: every day they work. The planner reads it as the instance's `location_days` (solver/README.md).
    location_days: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # Deactivated profiles stay (published plans and statistics point at them) but are not planned.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    user: Mapped[User] = relationship(back_populates="counsellor")
    locations: Mapped[list[Location]] = relationship(secondary=counsellor_location)

    def days_at(self, location_id: int) -> list[int] | None:
        """The ISO weekdays the counsellor is at the location when they are named (`location_days`), else None:
        every day they work."""
        return (self.location_days or {}).get(str(location_id)) or None


class InterpreterProfile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    modes: Mapped[list] = mapped_column(JSON, default=lambda: ["onsite", "video", "phone"])
    weekly: Mapped[dict] = mapped_column(JSON, default=dict)
    hourly_rate_ore: Mapped[int] = mapped_column(Integer)
    min_billed_minutes: Mapped[int] = mapped_column(Integer, default=60)
    travel_rate_ore: Mapped[int] = mapped_column(Integer)
    # The national interpreter register's id (tolk-ID) and when the centre last checked it.
    register_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    register_checked_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # "direct": the centre books the interpreter itself; "agency": through an agency under a
    # framework agreement (agency_name).
    booking_channel: Mapped[str] = mapped_column(String(16), default="direct", server_default="direct")
    agency_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # New requests by e-mail: "each" (one calendar invitation per request) or "summary" (one e-mail
    # per publication listing them; accepted assignments reach their calendar subscription).
    request_mail: Mapped[str] = mapped_column(String(16), default="each", server_default="each")

    user: Mapped[User] = relationship(back_populates="interpreter")
    municipality: Mapped[Municipality] = relationship()
    languages: Mapped[list[InterpreterLanguage]] = relationship(
        back_populates="interpreter", cascade="all, delete-orphan", order_by="InterpreterLanguage.language"
    )


class InterpreterLanguage(db.Model):
    """A language an interpreter works in, with the national register category (1 best .. 5)."""

    __table_args__ = (UniqueConstraint("interpreter_id", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    interpreter_id: Mapped[int] = mapped_column(ForeignKey("interpreter_profile.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    category: Mapped[int] = mapped_column(Integer)

    interpreter: Mapped[InterpreterProfile] = relationship(back_populates="languages")


class Absence(db.Model):
    """A counsellor's or interpreter's absence: whole days (inclusive dates), or part of one day (the
    dentist 10:00-12:00), when `away_from` and `away_until` hold the instants (UTC) and both dates are
    that day in Oslo, so that a query by date finds it either way."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    away_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    away_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def part_day(self) -> bool:
        return self.away_from is not None


class ApiToken(db.Model):
    """A municipal case system's bearer token; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When a request last came with it (to the nearest few minutes): which token is the live one, and which an
    # administrator can revoke without stopping a case system.
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    municipality: Mapped[Municipality] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


def password_hash_method() -> str:
    """scrypt (werkzeug's default) everywhere but in the test suite, whose app config names a cheap
    method: a scrypt hash costs a tenth of a second of CPU by design, and the suite makes thousands.
    Not read from the environment, so no deployment can weaken it by accident."""
    from flask import current_app, has_app_context

    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
