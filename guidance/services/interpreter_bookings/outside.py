"""An interpreter arranged outside Veiled for one session.

When nobody in Veiled can take a session (the only interpreter of the language declined, or none is
free), the lead phones an interpreting agency or a freelancer who is not in Veiled. Recording it here
covers the session's interpreter need everywhere Veiled reads it: the alert goes, the pages and the
counsellor's calendar name them and how they take part, the participant's letter says an interpreter
takes part (never who), the agreed price counts in the budget as planned cost, and planning runs keep
the session with them (planning.instance: a stand-in interpreter free at that time only).

The session then has no interpreter in Veiled (`interpreter_id` empty); its requests stay as they were,
so removing the arrangement puts back the interpreter who declined and the lead's alert with them.
Veiled sends the outside interpreter nothing: the lead keeps them informed.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from guidance import clock
from guidance.extensions import db
from guidance.labels import money, ore_from_kroner
from guidance.models import PlanningRun, Session, SessionStatus
from guidance.rules.outside_interpreter import MAX_PRICE_ORE, MAX_TEXT, allowed_modes
from guidance.services import audit
from guidance.services import calendar as cal
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.state import ACTIVE
from guidance.services.referrals import has_control_characters
from guidance.services.unit_of_work import unit_of_work


@dataclass
class OutsideData:
    """The form as typed: who, how, the agreed price in kroner (text, optional) and a note (optional).
    Field errors are keyed by these names, which are also the form's."""

    who: str = ""
    mode: str = ""
    price: str = ""
    note: str = ""


def modes_for(session: Session) -> list[str]:
    """The ways an interpreter may take part in this session (rules.outside_interpreter)."""
    return allowed_modes(group=session.type == "group", room_has_video=bool(session.room and session.room.video))


def refusal(session: Session) -> str | None:
    """Why an interpreter cannot be recorded as arranged outside Veiled for this session now, or None."""
    if session.status is not SessionStatus.BOOKED or session.run is None or session.run.published_at is None:
        return _("Only a booked session of the published plan can have an interpreter arranged outside Veiled.")
    if session.start <= clock.now():
        return _("The session has started, so its interpreter can no longer be changed here.")
    if not session.language:
        return _("This session has no interpreted language.")
    if session.outside_interpreter is None and any(b.status in ACTIVE for b in session.bookings):
        return _("An interpreter in Veiled is asked for this session or has said yes. Record an interpreter "
                 "arranged outside Veiled only when nobody in Veiled can take it.")
    return None


def validate(session: Session, data: OutsideData) -> tuple[dict, dict[str, list[str]]]:
    """The values to store and the field errors (every field's, so the form shows them all at once)."""
    errors: dict[str, list[str]] = {}
    who, note = (data.who or "").strip(), (data.note or "").strip()
    if not who:
        errors["who"] = [_("Enter the agency or the interpreter's name.")]
    elif len(who) > MAX_TEXT:
        errors["who"] = [_("Use at most %(count)d characters.", count=MAX_TEXT)]
    elif has_control_characters(who):
        errors["who"] = [_("Remove the invisible control characters.")]
    if data.mode not in modes_for(session):
        errors["mode"] = [_("Choose how the interpreter takes part.")]
    price = None
    if (data.price or "").strip():
        price = ore_from_kroner(data.price)
        if price is None:
            errors["price"] = [_("Enter an amount in kroner, like 720 or 720,50.")]
        elif not 0 <= price <= MAX_PRICE_ORE:
            errors["price"] = [_("Enter an amount between 0 and %(most)s.", most=money(MAX_PRICE_ORE))]
    if len(note) > MAX_TEXT:
        errors["note"] = [_("Use at most %(count)d characters.", count=MAX_TEXT)]
    elif has_control_characters(note):
        errors["note"] = [_("Remove the invisible control characters.")]
    return {"who": who, "mode": data.mode, "price": price, "note": note or None}, errors


def record(actor, session: Session, data: OutsideData) -> Session:
    """Use case: the lead records (or corrects) the interpreter arranged outside Veiled for one booked
    session ahead. The session's interpreter in Veiled, who declined or was never found, steps aside;
    calendars get a new SEQUENCE (the event names the interpreter); audited with what the lead typed
    but the note (an order number may be anything)."""
    with unit_of_work():
        reason = refusal(session)
        if reason is not None:
            raise DomainError(reason)
        values, errors = validate(session, data)
        if errors:
            raise DomainError(_("The interpreter was not recorded. Correct what is marked."), errors)
        changed = session.outside_interpreter is not None
        session.outside_interpreter, session.outside_interpreter_mode = values["who"], values["mode"]
        session.outside_interpreter_price_ore, session.outside_interpreter_note = values["price"], values["note"]
        session.interpreter_id, session.interpreter_mode = None, None
        cal.bump_sequence(session)
        audit.record(actor, "session.outside_interpreter_changed" if changed else "session.outside_interpreter_recorded",
                     session, {"who": values["who"], "mode": values["mode"], "price_ore": values["price"]})
    return session


def remove(actor, session: Session) -> Session:
    """Use case: the lead removes the interpreter arranged outside Veiled (it fell through, or was
    recorded by mistake). The session's latest request in Veiled is its interpreter again, so the
    declined or expired one is back in the lead's alerts with the replacements on offer."""
    with unit_of_work():
        if session.outside_interpreter is None:
            raise DomainError(_("No interpreter arranged outside Veiled is recorded for this session."))
        if session.status is not SessionStatus.BOOKED or session.start <= clock.now():
            raise DomainError(_("The session has started, so its interpreter can no longer be changed here."))
        who = session.outside_interpreter
        session.take_outside_interpreter(None)
        _back_to_latest_request(session)
        cal.bump_sequence(session)
        audit.record(actor, "session.outside_interpreter_removed", session, {"who": who})
    return session


def end_for_change(actor, session: Session) -> str | None:
    """Part of a move that changes the session's time or place, or books an interpreter in Veiled for it
    (plan_edits): the arrangement was for the old time and place, so it ends; audited. Returns who it
    was, for the lead's message (Veiled cannot tell them). In the caller's transaction."""
    who = session.outside_interpreter
    if who is None:
        return None
    session.take_outside_interpreter(None)
    audit.record(actor, "session.outside_interpreter_ended", session, {"who": who})
    return who


def carry_over(old: Session, new: Session) -> None:
    """Part of publishing a plan that keeps a session with its interpreter arranged outside Veiled (the
    run's draft `new` copied the arrangement when it was planned): the arrangement as it stands now on the
    published session `old` goes on (the lead may have corrected it since, or removed it: then the draft
    gets back the interpreter of its latest request, as `remove` does), and so do its requests in Veiled,
    so removing it later brings back the one who declined, and the alert. In the caller's transaction."""
    for booking in list(old.bookings):
        booking.session = new
    new.take_outside_interpreter(old)
    if new.outside_interpreter is None:
        _back_to_latest_request(new)


def latest_request(session: Session):
    """The session's latest request to an interpreter in Veiled (whatever its answer), or None."""
    return max(session.bookings, key=lambda b: b.id) if session.bookings else None


def _back_to_latest_request(session: Session) -> None:
    """The session's interpreter in Veiled is again the one of its latest request (declined or expired:
    the lead's alert offers replacements), when it has one."""
    latest = latest_request(session)
    if latest is not None:
        session.interpreter_id, session.interpreter_mode = latest.interpreter_id, latest.mode


def arranged_ahead(county_id: int) -> list[Session]:
    """The county's booked sessions ahead with an interpreter arranged outside Veiled, soonest first."""
    return list(db.session.scalars(
        select(Session).join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, Session.status == SessionStatus.BOOKED,
               Session.start > clock.now(), Session.outside_interpreter.is_not(None))
        .options(selectinload(Session.location), selectinload(Session.room))
        .order_by(Session.start, Session.id)))
