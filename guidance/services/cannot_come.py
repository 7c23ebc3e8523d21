"""A referrer tells the centre that a participant cannot come to a booked session.

Before, the referrer's only button cancelled the whole referral ("Withdraw"), and the letter told
the participant to call the referrer, who then had to phone the centre. Now the referrer says so on
the referral page, with when the participant can come instead; the county's leads get an e-mail and
the request waits on the lead's home, with a link to the move page, until the session is moved,
cancelled or has started (nothing to close by hand).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from guidance import clock
from guidance.extensions import db
from guidance.models import CannotCome, Participant, Referral, Session, SessionParticipant, SessionStatus, User
from guidance.services import audit, mail
from guidance.services.errors import DomainError
from guidance.services.unit_of_work import unit_of_work

MAX_NOTE = 500


def session_ahead(referral: Referral, session_id: int) -> Session | None:
    """The referral's booked session ahead with this id (None: not theirs, held, cancelled or moved on)."""
    session = db.session.get(Session, session_id)
    if session is None or session.status is not SessionStatus.BOOKED or session.start <= clock.now():
        return None
    if not any(sp.referral_id == referral.id for sp in session.participants):
        return None
    return session


def already_told(referral: Referral, session: Session) -> CannotCome | None:
    """The request already made about this appointment at its present time, if any: asked about this
    session or an earlier version of it (a re-plan publishes a kept session again, same uid, new row)."""
    asked = aliased(Session)
    return db.session.scalar(select(CannotCome).join(asked, asked.id == CannotCome.session_id).where(
        CannotCome.referral_id == referral.id, asked.uid == session.uid,
        CannotCome.session_start == session.start).order_by(CannotCome.id.desc()).limit(1))


def tell(referrer: User, referral: Referral, session: Session, note: str) -> CannotCome:
    """Use case: the referrer says the participant cannot come; audited (no text), the leads e-mailed."""
    from guidance.services.calendar import app_url

    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        message = _("Keep it under %(count)d characters.", count=MAX_NOTE)
        raise DomainError(message, {"note": [message]})
    with unit_of_work() as uow:
        request = already_told(referral, session)
        if request is None:
            request = CannotCome(session=session, referral=referral, requested_by=referrer,
                                 session_start=session.start, note=note)
            db.session.add(request)
            db.session.flush()
            audit.record(referrer, "session.cannot_come", session, {"referral_id": referral.id})
            county_id = session.run.county_id
            when = session.start
            messages = mail.queue_to_leads(county_id, lambda: (
                _("A participant cannot come: %(reference)s", reference=referral.reference),
                _("The referrer says that the participant of referral %(reference)s cannot come to the session on "
                  "%(when)s. Find another time in Veiled: %(link)s", reference=referral.reference,
                  when=format_datetime(when, clock.year_shown("EEEE d. MMMM HH:mm", when)),
                  link=app_url("planning.edit_session", session_id=session.id))))
            uow.after_commit(mail.deliver_later, messages)
    return request


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
    return [Waiting(r.id, s.id, r.referral_id, reference, s.start, r.note, r.created_at, s.uid, name)
            for r, s, reference, name in rows]
