"""Planning runs, the sessions of a plan, their participants and interpreter bookings."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guidance.extensions import db
from guidance.models.organisation import CareerCentre, County, Location, Room
from guidance.models.people import CounsellorProfile, InterpreterProfile, User
from guidance.models.referral import Referral
from guidance.models.types import StrEnumType, UTCDateTime, utcnow


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PlanningRun(db.Model):
    """One solve of a county's planning instance; the instance is kept so any plan can be re-checked."""

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("career_centre.id"), nullable=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    status: Mapped[RunStatus] = mapped_column(StrEnumType(RunStatus), default=RunStatus.QUEUED, index=True)
    time_limit_seconds: Mapped[int] = mapped_column(Integer, default=60)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # Half a megabyte each at 2,000 referrals: read when used (checking, editing, the review of a
    # plan), not with every run a page loads (a run's sessions page, the list of runs).
    instance_json: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    plan_json: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    metrics: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A fingerprint of the data the instance was built from; a different one now means stale.
    data_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Re-plans only the published plan's participants (planning.instance.InstanceOptions.repair_only).
    repair_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Pinned sessions (guidance-plan/1 session shape) this run must keep; see guidance.planning.pins.
    pinned: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    county: Mapped[County] = relationship()
    centre: Mapped[CareerCentre | None] = relationship()
    sessions: Mapped[list[Session]] = relationship(back_populates="run", order_by="Session.start")


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    # Replaced by the session with the same uid in a later published plan (not a cancellation).
    SUPERSEDED = "superseded"
    # A draft session dropped at publication because its participant's referral closed since
    # the run: it was never booked, so it is in no calendar (unlike a cancelled session).
    LEFT_OUT = "left_out"


class Session(db.Model):
    # A counsellor's calendar (week, day, feed): their sessions in a time range, in order.
    __table_args__ = (Index("ix_session_counsellor_start", "counsellor_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("planning_run.id"), index=True)
    plan_session_id: Mapped[str] = mapped_column(String(40))  # the "id" in guidance-plan/1
    # Stable across re-plans so calendar UIDs and bookings survive a re-publish.
    uid: Mapped[str] = mapped_column(String(64), index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(16))
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellor_profile.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(16), default="onsite")
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    interpreter_id: Mapped[int | None] = mapped_column(ForeignKey("interpreter_profile.id"), nullable=True)
    interpreter_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[SessionStatus] = mapped_column(StrEnumType(SessionStatus), default=SessionStatus.PLANNED)
    # Why a lead cancelled it (interpreter_bookings.changes.CANCEL_REASONS): a counsellor or interpreter
    # who could not hold it is kept free at that time in later plans (planning/instance.py, `busy`).
    cancel_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # An interpreter the lead arranged outside Veiled for this one session (an agency, or a freelancer
    # who is not in Veiled) when nobody in Veiled could take it: who, as the lead typed it; how they
    # take part; the price agreed (øre, optional: the budget counts it as planned cost); the lead's
    # order number or note. While it is set the session has no interpreter in Veiled (interpreter_id
    # is empty) and its need is covered: services/interpreter_bookings/outside.py.
    outside_interpreter: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outside_interpreter_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outside_interpreter_price_ore: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outside_interpreter_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    run: Mapped[PlanningRun] = relationship(back_populates="sessions")
    counsellor: Mapped[CounsellorProfile] = relationship()
    location: Mapped[Location] = relationship()
    room: Mapped[Room] = relationship()
    interpreter: Mapped[InterpreterProfile | None] = relationship()
    participants: Mapped[list[SessionParticipant]] = relationship(back_populates="session", cascade="all, delete-orphan")
    bookings: Mapped[list[InterpreterBooking]] = relationship(back_populates="session")

    @property
    def shown_status(self) -> str:
        """The status a person reads: a completed session where every participant missed it (no-show
        or cancelled late) was not held, though its outcomes are recorded ("not_held")."""
        if self.status is SessionStatus.COMPLETED and all(sp.outcome in MISSED for sp in self.participants):
            return "not_held"
        return self.status.value

    @property
    def interpreter_gone(self) -> bool:
        """It names an interpreter whose latest request was declined, expired or cancelled: nobody
        interprets until the centre finds another (the name alone read as if they came)."""
        if self.interpreter_id is None or not self.bookings or self.status is SessionStatus.CANCELLED:
            return False   # a cancelled session's booking is cancelled with it: nobody is being found
        return max(self.bookings, key=lambda b: b.id).status.value in ("declined", "expired", "cancelled")

    @property
    def interpreter_state(self) -> str | None:
        """Where the interpreting stands, as the referrer reads it: "confirmed" (accepted, or arranged outside
        Veiled), "asked" (not answered yet), "finding" (declined or expired: the centre finds another), None
        without an interpreter."""
        if self.outside_interpreter:
            return "confirmed"
        if self.interpreter_id is None or not self.bookings or self.status is SessionStatus.CANCELLED:
            return None
        if self.interpreter_gone:
            return "finding"
        latest = max(self.bookings, key=lambda b: b.id).status.value
        return "confirmed" if latest == "accepted" else "asked"

    def take_outside_interpreter(self, other: "Session | None") -> None:
        """The interpreter arranged outside Veiled as `other` has it (none when `other` is None or has none):
        a session that follows another (a re-plan, publishing) carries the arrangement as it stands."""
        self.outside_interpreter = other.outside_interpreter if other else None
        self.outside_interpreter_mode = other.outside_interpreter_mode if other else None
        self.outside_interpreter_price_ore = other.outside_interpreter_price_ore if other else None
        self.outside_interpreter_note = other.outside_interpreter_note if other else None

    @property
    def interpreting_mode(self) -> str | None:
        """How the session's interpreter takes part (onsite, video, phone): the one arranged outside
        Veiled when there is one, else the one planned in Veiled."""
        return self.outside_interpreter_mode if self.outside_interpreter else self.interpreter_mode

    def shown_status_for(self, referral_id: int, now: dt.datetime | None = None) -> str:
        """The status as one participant's page reads it: a group held for the others was not held
        for a member who did not come ("no_show" / "cancelled_late", their outcome); a booked session
        that has ended without their outcome is not "booked" any more, it waits for the outcome (as
        the referral's tag says, referral_reading.shown_statuses)."""
        mine = next((sp for sp in self.participants if sp.referral_id == referral_id), None)
        if self.status is SessionStatus.COMPLETED and mine is not None and mine.outcome in MISSED:
            return mine.outcome.value
        if self.status is SessionStatus.BOOKED and mine is not None and mine.outcome is None \
                and self.end <= (now or utcnow()):
            return "awaiting_outcome"
        return self.shown_status


class Outcome(enum.StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED_LATE = "cancelled_late"


# Outcomes of a participant who did not get the session: it was not held for them (the
# statistics' first held session and a session's shown status both read this).
MISSED = (Outcome.NO_SHOW, Outcome.CANCELLED_LATE)


class SessionParticipant(db.Model):
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), primary_key=True, index=True)
    outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome), nullable=True)
    outcome_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    session: Mapped[Session] = relationship(back_populates="participants")
    referral: Mapped[Referral] = relationship()


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class InterpreterBooking(db.Model):
    """A request to an interpreter for one session; the county pays for act-based referrals."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    interpreter_id: Mapped[int] = mapped_column(ForeignKey("interpreter_profile.id"), index=True)
    status: Mapped[BookingStatus] = mapped_column(StrEnumType(BookingStatus), default=BookingStatus.REQUESTED)
    mode: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    billed_minutes: Mapped[int] = mapped_column(Integer)
    travel_minutes: Mapped[int] = mapped_column(Integer, default=0)
    cost_ore: Mapped[int] = mapped_column(Integer)
    actual_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actual_cost_ore: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    answer_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship(back_populates="bookings")
    interpreter: Mapped[InterpreterProfile] = relationship()


class OutboxMessage(db.Model):
    """An e-mail as sent (or, in the demo, as it would have been sent).

    Pending while `sent_at` and `failed_at` are empty: the delivery job claims it (`locked_until`),
    sends it and marks it sent; a temporary failure records `error` and the earliest
    `next_attempt_at` (backoff). A permanent refusal (SMTP 5xx) or the last allowed attempt sets
    `failed_at`: the message is no longer tried until someone retries it from the outbox page.
    An unsent invitation is `superseded_by` a newer message to the same address about the same
    calendar event (a changed or cancelled booking): it is out of date, never sent again and no
    longer counted as undelivered."""

    id: Mapped[int] = mapped_column(primary_key=True)
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), nullable=True)

    to_user: Mapped[User | None] = relationship()
    superseded_by: Mapped[OutboxMessage | None] = relationship(remote_side=[id])


class CannotCome(db.Model):
    """A referrer's word that a participant cannot come to a booked session, with when they can
    instead: it waits on the lead's home until the session is moved, cancelled or held."""

    __tablename__ = "cannot_come"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The session's start when asked: once it has moved (or is no longer booked) the request is met.
    session_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # When the participant can come instead, in the referrer's words (no health details: the form says so).
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()
    referral: Mapped[Referral] = relationship()
    requested_by: Mapped[User] = relationship()


class ParticipantToTell(db.Model):
    """A participant the lead tells of a change to their published session themselves: nobody hears of
    it in Veiled (their municipality has no referrer with an account), or it is sooner than the
    county's notice (a letter may not arrive in time). It waits on the lead's home until marked told
    or until the session's time has passed (services/to_tell.py). One open row per participant and
    session (its calendar UID, which a new plan keeps); a later change updates it."""

    __tablename__ = "participant_to_tell"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    session_uid: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))  # the session as it stands after the change
    change: Mapped[str] = mapped_column(String(16))  # booked, moved, cancelled
    reason: Mapped[str] = mapped_column(String(16))  # no_referrer, short_notice
    # The start that matters: the new one, or the one that is off (a cancellation). Past it, telling is moot.
    session_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # A move's old start: the time the participant's letter gives. Sooner than a new letter reaches them, they
    # would come then; the lead tells them first (the list puts the sooner of the two first).
    previous_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    told_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    referral: Mapped[Referral] = relationship()
    session: Mapped[Session] = relationship()


class LetterPrinted(db.Model):
    """A participant's letter for one booked session as its time stood, downloaded by their municipality's
    referrer. In a settlement wave the referrer had every booked session ahead in parts of a hundred (617
    letters in seven files) and no way to print only the new ones; a moved session's new time is a new letter."""

    __tablename__ = "letter_printed"
    __table_args__ = (Index("ix_letter_printed_referral_session", "referral_id", "session_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"))
    session_uid: Mapped[str] = mapped_column(String(64))  # the calendar UID a new plan keeps for the same session
    session_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the time the letter gives
    printed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
