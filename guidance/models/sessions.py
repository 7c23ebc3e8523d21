"""Server-side sign-in sessions: the cookie names one, the database decides whether it is alive."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from guidance.extensions import db
from guidance.models.types import UTCDateTime


class UserSession(db.Model):
    """One signed-in browser. Ended by logout, "log out everywhere", a password change,
    deactivation, inactivity or age; an ended session never comes back."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # SHA-256 of the random id in the (signed) cookie: a copy of the table opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
