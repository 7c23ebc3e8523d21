"""Notices to users about sessions (e-mail, now or in a daily digest) and text-message reminders.

Each row has a `key` unique per notice (a hash of its kind, object, version and recipient): a use
case or job that runs twice finds the row and sends nothing twice."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guidance.extensions import db
from guidance.models.organisation import Location
from guidance.models.people import User
from guidance.models.plan import OutboxMessage, Session
from guidance.models.referral import Referral
from guidance.models.types import UTCDateTime, utcnow


class Notice(db.Model):
    """One thing a user is told: a session of their referral booked, moved or cancelled, a session of
    theirs changed, a reminder. `delivery` is "immediate" (an e-mail of its own, written by the
    dispatch job) or "digest" (listed in the day's digest). `message_id` is the e-mail it went out in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), nullable=True, index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id"), nullable=True, index=True)
    delivery: Mapped[str] = mapped_column(String(12), default="immediate")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), nullable=True)
    # The time and place the notice tells of when they are not the session's own: a session handed to
    # another counsellor is cancelled for the first one at the time and place it had.
    told_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    told_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), nullable=True)
    # A moved session's start before the move: "moved from Tuesday 10:00 to Thursday 13:00" tells a
    # referrer with a participant of several sessions which one moved.
    moved_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()
    referral: Mapped[Referral | None] = relationship()
    session: Mapped[Session | None] = relationship()
    message: Mapped[OutboxMessage | None] = relationship()
    told_location: Mapped[Location | None] = relationship()


class TextMessage(db.Model):
    """A text message (SMS) reminder to a participant through the gateway. Neither the phone number
    nor the text is kept: the key, the ids, the language and what the gateway answered."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="sending")  # sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    gateway_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
