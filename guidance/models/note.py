"""The guidance note a counsellor writes for the referring municipality."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guidance.extensions import db
from guidance.models.people import User
from guidance.models.referral import Referral
from guidance.models.types import UTCDateTime, utcnow


class GuidanceNote(db.Model):
    """One version of a note; once shared it is read-only and a correction is a new version."""

    __table_args__ = (UniqueConstraint("referral_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    goals: Mapped[str] = mapped_column(Text, default="")
    background: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    further_guidance: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | shared
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    shared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    referral: Mapped[Referral] = relationship()
    author: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Who did what, when: every change to a referral and every view of personal data."""

    # A referral's history reads its events; the table grows with every view, so not a scan.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    actor: Mapped[User | None] = relationship()
