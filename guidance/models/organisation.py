"""Counties, municipalities, career centres, their locations and rooms."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, true
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guidance.extensions import db


class County(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Hours an interpreter has to answer a booking request before it expires (set by the lead).
    booking_answer_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")
    # The county's written form, nb or nn (rules.language): pages and letters without another choice.
    language_form: Mapped[str] = mapped_column(String(7), default="nb", server_default="nb")
    # The county's settings for planning (the lead's "Centre set-up" page).
    individual_minutes: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    group_minutes: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    group_min_size: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    group_max_size: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    # The longest trip (minutes) a participant is asked to make to a location.
    max_travel_minutes: Mapped[int] = mapped_column(Integer, default=150, server_default="150")
    # ISO dates the county's centres are closed on top of Norway's public holidays.
    closure_days: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # Journeys the straight-line rule gets wrong (a ferry: Bergen-Stord is two hours, not 72 minutes):
    # [{"from": municipality number, "to": number, "minutes": one way}], both ways (planning/instance.py).
    known_travel: Mapped[list | None] = mapped_column(JSON, nullable=True)

    @property
    def closure_dates(self) -> list[dt.date]:
        """The closure days as dates, in order (stored as ISO text)."""
        return sorted(dt.date.fromisoformat(d) for d in self.closure_days or [])
    # Working days between publishing a plan and its first new or changed session (rules/notice.py).
    publish_notice_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Working days before a session the referrer gets a reminder (services/notices.py).
    reminder_working_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # Minutes without a request after which a sign-in session of the county's users ends
    # (services.sessions); empty: the installation's SESSION_IDLE_MINUTES.
    session_idle_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What a plan may pay more, per session, for an interpreter one category better in the national
    # register (NOK; the instance's `category_step_nok`). The Interpreter Act asks for qualified
    # interpreters; what a step is worth against price is the county's procurement decision.
    category_step_nok: Mapped[int] = mapped_column(Integer, default=250, server_default="250")
    # An interpreter who accepted is paid the booked time when the session is cancelled less than this
    # many hours before it starts (the usual term of interpreting agreements; 0: never). The budget
    # counts that cost (interpreter_bookings.costs.bill_late_cancellation).
    interpreter_late_cancel_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")

    municipalities: Mapped[list[Municipality]] = relationship(back_populates="county")
    centres: Mapped[list[CareerCentre]] = relationship(back_populates="county")


class Municipality(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)
    # The form the municipality chose under the Language Act: nb, nn or neutral (rules.language).
    language_form: Mapped[str] = mapped_column(String(7), default="neutral", server_default="neutral")
    # The municipality asked for text-message reminders to its participants (services/sms.py).
    sms_reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    county: Mapped[County] = relationship(back_populates="municipalities")


class CareerCentre(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # How referrers and participants reach the centre: on the referrer's pages and the letterhead of
    # the participant's letters (set by the lead; a county may leave them empty).
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)

    county: Mapped[County] = relationship(back_populates="centres")
    locations: Mapped[list[Location]] = relationship(back_populates="centre", order_by="Location.id")


WEEKDAYS = (1, 2, 3, 4, 5)  # the planning calendar's workdays (ISO weekdays)


def default_weekly_hours() -> dict:
    return {str(d): [["08:00", "16:00"]] for d in WEEKDAYS}


class Location(db.Model):
    """A centre's office or an outreach venue (open only on some dates) in a municipality.

    Deactivated, never deleted: published sessions keep pointing at it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("career_centre.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    name: Mapped[str] = mapped_column(String(200))
    outreach: Mapped[bool] = mapped_column(Boolean, default=False)
    # Street address and directions: for letters and calendar invitations.
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    directions: Mapped[str | None] = mapped_column(Text, nullable=True)
    step_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # {"1": [["08:00", "16:00"]], ...}: ISO weekday -> opening intervals; a weekday left out is closed.
    weekly_hours: Mapped[dict] = mapped_column(JSON, default=default_weekly_hours)
    # Outreach venues only: open on the weekdays of this pattern, [{"weekday": 2, "weeks": "even"}]
    # ("every", "even" or "odd" ISO weeks), and on the single ISO dates of `open_dates`.
    open_pattern: Mapped[list | None] = mapped_column(JSON, nullable=True)
    open_dates: Mapped[list | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    centre: Mapped[CareerCentre] = relationship(back_populates="locations")
    municipality: Mapped[Municipality] = relationship()
    rooms: Mapped[list[Room]] = relationship(back_populates="location", order_by="Room.id")


class Room(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    video: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deactivated, never deleted: published sessions keep pointing at it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    location: Mapped[Location] = relationship(back_populates="rooms")


class InterpreterBudget(db.Model):
    """What a county's lead plans to spend on interpreters in one month (øre)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    month: Mapped[dt.date] = mapped_column()  # first day of the month
    amount_ore: Mapped[int] = mapped_column(Integer)
