"""Referrals from municipalities, the participants they concern, and attachments."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guidance.extensions import db
from guidance.models.organisation import County, Municipality
from guidance.models.people import User
from guidance.models.types import StrEnumType, UTCDateTime, utcnow


class LegalBasis(enum.StrEnum):
    INTEGRATION_ACT = "integration_act"
    TEMPORARY_ACT = "temporary_act"
    ORDINARY = "ordinary"


class SessionType(enum.StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class ReferralStatus(enum.StrEnum):
    RECEIVED = "received"
    PLANNED = "planned"
    BOOKED = "booked"
    COMPLETED = "completed"
    NOTE_SHARED = "note_shared"
    WITHDRAWN = "withdrawn"
    NO_SHOW = "no_show"


OPEN_STATUSES = (ReferralStatus.RECEIVED, ReferralStatus.PLANNED, ReferralStatus.BOOKED, ReferralStatus.NO_SHOW)


class Participant(db.Model):
    """The guidance seeker: only what planning and contact need (no national identity number)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=True)
    video_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    # Comes on site only where the way in has no steps: the planner books a step-free location.
    needs_step_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    accessibility_needs: Mapped[str | None] = mapped_column(Text, nullable=True)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    municipality: Mapped[Municipality] = relationship()
    referrals: Mapped[list[Referral]] = relationship(back_populates="participant")


class Referral(db.Model):
    __table_args__ = (UniqueConstraint("referring_municipality_id", "idempotency_key"),
                      # A county's lists (referrals, queue) by deadline.
                      Index("ix_referral_county_deadline", "county_id", "deadline"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short pseudonymous reference used in calendars, exports and e-mails instead of names.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    referring_municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    legal_basis: Mapped[LegalBasis] = mapped_column(StrEnumType(LegalBasis))
    settlement_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    programme_decision_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    needs: Mapped[list] = mapped_column(JSON, default=lambda: ["individual", "group"])
    earliest_date: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    # Temporary act only: the needs-based window in months the referrer set (None: the default).
    window_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    adviser_attends: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the participant can come, as the referrer knows it (a course in the mornings, a child to fetch):
    # ISO weekdays (None: any working day) and a part of the day (planning/wish.py PARTS_OF_DAY; None: all day).
    can_come_weekdays: Mapped[list | None] = mapped_column(JSON, nullable=True)
    can_come_part: Mapped[str | None] = mapped_column(String(16), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[ReferralStatus] = mapped_column(StrEnumType(ReferralStatus), default=ReferralStatus.RECEIVED, index=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    preferred_counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellor_profile.id"), nullable=True)
    # A follow-up session the counsellor asked for is a new referral linked to the first.
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), nullable=True, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # SHA-256 of the API request body that created the referral: a replayed key with another body is refused.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    participant: Mapped[Participant] = relationship(back_populates="referrals")
    county: Mapped[County] = relationship()
    referring_municipality: Mapped[Municipality] = relationship()
    referred_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="referral", order_by="Attachment.id")


class Attachment(db.Model):
    """A note or plan attached to a referral; the file lives outside static/ under a random name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="attachments")


class NotSamePerson(db.Model):
    """Two referrals from different municipalities that look like one person (a family that moved on), which a
    lead has checked and found to be two people: the warning is not shown for the pair again. The pair is
    kept in id order, once."""
    __table_args__ = (UniqueConstraint("referral_id", "other_referral_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    other_referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
