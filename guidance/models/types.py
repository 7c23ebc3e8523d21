"""Column types shared by the models."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, String, TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant, stored as UTC on every database.

    SQLite has no time zones, so naive values would silently mean "whatever the server
    thought"; we refuse naive input and always hand back aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    """Now, as an aware UTC instant (reads `guidance.clock`, the one clock)."""
    from guidance import clock

    return clock.now()


class StrEnumType(TypeDecorator):
    """Stores a Python StrEnum as its value in a plain VARCHAR (portable, easy to migrate)."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_class: type[enum.Enum], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)


def render_item(type_, obj, autogen_context):
    """Alembic: write our column types as the plain SQL types they store, so migrations
    do not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, StrEnumType):
        return "sa.String(length=32)"
    return False
