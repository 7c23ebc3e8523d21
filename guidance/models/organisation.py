"""Counties, municipalities, career centres, their locations and rooms."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guidance.extensions import db


class County(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Hours an interpreter has to answer a booking request before it expires (set by the lead).
    booking_answer_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")
    # Working days between publishing a plan and its first new or changed session (rules/notice.py).
    publish_notice_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")

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

    county: Mapped[County] = relationship(back_populates="municipalities")


class CareerCentre(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    county: Mapped[County] = relationship(back_populates="centres")
    locations: Mapped[list[Location]] = relationship(back_populates="centre", order_by="Location.id")


class Location(db.Model):
    """A centre's office or an outreach venue (open only on some dates) in a municipality."""

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("career_centre.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    name: Mapped[str] = mapped_column(String(200))
    outreach: Mapped[bool] = mapped_column(Boolean, default=False)
    # [["08:00", "16:00"], ...] on every workday, as in the planning instance.
    opening: Mapped[list] = mapped_column(JSON, default=lambda: [["08:00", "16:00"]])
    # None: open every workday; otherwise the ISO dates the venue is open.
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

    location: Mapped[Location] = relationship(back_populates="rooms")


class InterpreterBudget(db.Model):
    """What a county's lead plans to spend on interpreters in one month (øre)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    month: Mapped[dt.date] = mapped_column()  # first day of the month
    amount_ore: Mapped[int] = mapped_column(Integer)
