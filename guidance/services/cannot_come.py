"""A referrer tells the centre that a participant cannot come to a booked session.

Before, the referrer's only button cancelled the whole referral ("Withdraw"), and the letter told
the participant to call the referrer, who then had to phone the centre. Now the referrer says so on
the referral page, with when the participant can come instead; the county's leads get an e-mail and
the request waits on the lead's home, with a link to the move page, until the session is moved,
cancelled or has started (nothing to close by hand). While it stands, a re-plan or a suggested time
never puts the participant at that time (planning/cannot_come.py).
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from guidance import clock
from guidance.extensions import db
from guidance.models import CannotCome, Referral, Session, SessionStatus, User
from guidance.planning.cannot_come import Waiting, waiting  # noqa: F401  (read from here by the pages)
from guidance.planning.ids import plan_minute
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


def current_version(referral: Referral, session_id: int) -> Session | None:
    """The referral's booked session ahead that a later publication made of this (replaced) one, if any."""
    from guidance.services.calendar import current_of

    session = db.session.get(Session, session_id)
    current = current_of(session) if session is not None else None
    return session_ahead(referral, current.id) if current is not None else None


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
            # `at`: the time they cannot come to; the referral's history showed the session's time after the move.
            audit.record(referrer, "session.cannot_come", session,
                         {"referral_id": referral.id, "at": plan_minute(session.start)})
            county_id = session.run.county_id
            when = session.start
            messages = mail.queue_to_leads(county_id, lambda: (
                _("A participant cannot come: %(reference)s", reference=referral.reference),
                _("The referrer says that the participant of referral %(reference)s cannot come to the session on "
                  "%(when)s. Find another time in Veiled: %(link)s", reference=referral.reference,
                  when=clock.when_text(when),
                  link=app_url("planning.edit_session", session_id=session.id))))
            uow.after_commit(mail.deliver_later, messages)
    return request


RECENT_WORD_DAYS = 30


def recent_word(referral: Referral) -> CannotCome | None:
    """The referrer's latest "cannot come" for this referral with words in it, from the last RECENT_WORD_DAYS: Find a
    time shows it, for the lead who takes a participant out of a group and books them again ("Tuesdays and
    Thursdays before 12" was on the move page and gone from the page where the new time is chosen)."""
    since = clock.now() - dt.timedelta(days=RECENT_WORD_DAYS)
    return db.session.scalar(select(CannotCome).where(CannotCome.referral_id == referral.id, CannotCome.note != "",
                                                      CannotCome.created_at >= since)
                             .order_by(CannotCome.id.desc()).limit(1))
