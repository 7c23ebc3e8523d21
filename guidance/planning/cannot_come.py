"""The referrers' "cannot come" requests that still stand (services/cannot_come.py records them).

A request stands while its participant is still booked in that appointment at the time they cannot
come. The lead's home and the move page list them; the bridge (planning/instance.py) gives each as
the participant's `busy` time, so a re-plan or a suggestion moves them instead of keeping them there.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from guidance import clock
from guidance.extensions import db
from guidance.models import CannotCome, Participant, Referral, Session, SessionParticipant, SessionStatus


@dataclass
class Waiting:
    """One request on the lead's home."""

    request_id: int
    session_id: int
    referral_id: int
    reference: str
    start: dt.datetime
    note: str
    asked_at: dt.datetime
    session_uid: str   # the appointment: a re-plan that keeps it publishes it again under the same uid
    name: str = ""     # the participant's, for the lead who calls them (the home listed references only)
    end: dt.datetime | None = None   # the session's end: with `start`, the time they cannot come


def waiting(county_id: int, now: dt.datetime | None = None, referral_id: int | None = None,
            session_id: int | None = None) -> list[Waiting]:
    """The county's requests still to act on (one referral's or one session's when given): the session
    is booked, ahead, and still at the time the referrer said the participant cannot come to (a move or
    a cancellation meets the request). The session is the appointment's present version: a re-plan that
    kept the participant there published it again (same uid, new row), and the request stood."""
    now = now or clock.now()
    only = [CannotCome.referral_id == referral_id] if referral_id is not None else []
    if session_id is not None:
        only.append(Session.id == session_id)
    asked = aliased(Session)
    rows = db.session.execute(
        select(CannotCome, Session, Referral.reference, Participant.name)
        .join(asked, asked.id == CannotCome.session_id)
        .join(Session, Session.uid == asked.uid)
        .join(Referral, Referral.id == CannotCome.referral_id)
        .join(Participant, Participant.id == Referral.participant_id)
        .join(SessionParticipant, (SessionParticipant.session_id == Session.id)
              & (SessionParticipant.referral_id == CannotCome.referral_id))
        .where(Referral.county_id == county_id, Session.status == SessionStatus.BOOKED, Session.start > now,
               Session.start == CannotCome.session_start, *only)
        .order_by(Session.start, CannotCome.id)).all()
    return [Waiting(r.id, s.id, r.referral_id, reference, s.start, r.note, r.created_at, s.uid, name, s.end)
            for r, s, reference, name in rows]


def days_they_cannot_come(county_id: int, now: dt.datetime | None = None) -> list[tuple[int, dt.date]]:
    """(referral id, Oslo date) of every day a referrer said a participant cannot come to, ahead, on which the
    centre has not booked them at another time since. A request that stands (`waiting`) counts, and so does one
    met by taking the participant out of a group or moving them to another day: a suggestion for the
    participant taken out of Monday's group offered that group again. A session the lead moved within the day
    is the lead's choice, and the day is not blocked for it."""
    now = now or clock.now()
    asked = db.session.execute(
        select(CannotCome.referral_id, CannotCome.session_start)
        .join(Referral, Referral.id == CannotCome.referral_id)
        .where(Referral.county_id == county_id, CannotCome.session_start > now)).all()
    if not asked:
        return []
    booked: dict[tuple[int, dt.date], set[dt.datetime]] = {}
    for referral_id, start in db.session.execute(
            select(SessionParticipant.referral_id, Session.start)
            .join(Session, Session.id == SessionParticipant.session_id)
            .where(SessionParticipant.referral_id.in_({r for r, _s in asked}),
                   Session.status == SessionStatus.BOOKED, Session.start > now)).all():
        booked.setdefault((referral_id, clock.local_date(start)), set()).add(start)
    days = set()
    for referral_id, start in asked:
        day = clock.local_date(start)
        there = booked.get((referral_id, day), set())
        if not there or start in there:
            days.add((referral_id, day))
    return sorted(days)
