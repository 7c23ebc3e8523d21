"""The lead's alerts (declined or expired requests of sessions ahead with nobody else asked), who can
replace the interpreter (`availability`), and rebooking one of them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from guidance import clock
from guidance.extensions import db
from guidance.models import InterpreterBooking, InterpreterProfile, Session, SessionStatus
from guidance.models.types import utcnow
from guidance.services import audit, mail
from guidance.services import calendar as cal
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings.availability import Availability, mode_of
from guidance.services.interpreter_bookings.costs import planned_cost
from guidance.services.interpreter_bookings.requests import new_booking, request_messages
from guidance.services.interpreter_bookings.state import ACTIVE, S, IllegalTransition, withdrawn
from guidance.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class Offer:
    """What asking one replacement means: the planned cost (øre, as the budget counts it), their register
    category for the language (1 = A), their one-way travel for an on-site session, and how they would
    interpret (the session's own way when they work so)."""

    cost_ore: int
    category: int | None
    travel_minutes: int
    mode: str = "onsite"


# Another way to interpret when a replacement does not work the session's way: a declined phone booking was
# offered phone interpreters only, and the page said nobody was free while a video interpreter was.
# A participant at home by video has no room for an interpreter on site.
OTHER_MODES = {"phone": ("video", "onsite"), "video": ("phone", "onsite"), "onsite": ("video", "phone")}


def modes_for(session: Session, profile: InterpreterProfile) -> list[str]:
    """The ways `profile` could interpret `session`, its own first."""
    own = mode_of(session)
    allowed = [own, *OTHER_MODES.get(own, ())]
    if session.mode == "video":
        allowed = [m for m in allowed if m != "onsite"]
    return [m for m in allowed if m in (profile.modes or [])]


@dataclass
class Alert:
    booking: InterpreterBooking
    candidates: list[InterpreterProfile]
    withdrawn: bool = False  # declined after accepting (state.withdrawn)
    offers: dict[int, Offer] = field(default_factory=dict)  # by candidate profile id, as they were ranked

    def offer(self, candidate: InterpreterProfile) -> Offer:
        return self.offers[candidate.id]

    @property
    def earlier(self) -> list[InterpreterBooking]:
        """The session's requests before this one that came to nothing (declined, unanswered, withdrawn,
        cancelled), latest first: the alert names the last answer and lists who was asked before."""
        return sorted((b for b in self.booking.session.bookings if b.id < self.booking.id and b.status not in ACTIVE),
                      key=lambda b: -b.id)


def offer_of(session: Session, profile: InterpreterProfile, mode: str | None = None) -> Offer:
    mode = mode or mode_of(session)
    _billed, travel, cost = planned_cost(session, profile, mode)
    category = next((l.category for l in profile.languages if l.language == session.language), None)
    return Offer(cost, category, travel, mode)


def alerts(county_id: int) -> list[Alert]:
    """Declined or expired bookings of booked sessions ahead that have no other active booking and no
    interpreter arranged outside Veiled (outside.py), each with the interpreters who could take it
    (availability judged once for all of them)."""
    from guidance.models import County, PlanningRun

    stmt = (
        select(InterpreterBooking)
        .join(Session, Session.id == InterpreterBooking.session_id)
        .join(PlanningRun, PlanningRun.id == Session.run_id)
        .where(PlanningRun.county_id == county_id, InterpreterBooking.status.in_((S.DECLINED, S.EXPIRED)),
               Session.status == SessionStatus.BOOKED, Session.start > utcnow(),
               Session.outside_interpreter.is_(None))
        # The latest request of each session first: the alert names the last answer (a replacement who said
        # no too had been hidden behind the first interpreter's), and its way of interpreting.
        .order_by(Session.start, Session.id, InterpreterBooking.id.desc())
    )
    found, seen = [], set()
    for booking in db.session.scalars(stmt):
        session = booking.session
        if session.id in seen or any(b.status in ACTIVE for b in session.bookings):
            continue
        seen.add(session.id)
        found.append(booking)
    if not found:
        return []
    availability = Availability(db.session.get(County, county_id), [b.session for b in found])
    gone = withdrawn(b.id for b in found)
    out = []
    for b in found:
        ranked = ranked_candidates(b.session, availability=availability)
        out.append(Alert(b, [profile for profile, _offer in ranked], b.id in gone,
                         {profile.id: offer for profile, offer in ranked}))
    return out


def replacement_candidates(session: Session, limit: int = 3,
                           availability: Availability | None = None) -> list[InterpreterProfile]:
    """Interpreters who could take the session, cheapest first (see `ranked_candidates`)."""
    return [profile for profile, _offer in ranked_candidates(session, limit, availability)]


def ranked_candidates(session: Session, limit: int = 3,
                      availability: Availability | None = None) -> list[tuple[InterpreterProfile, Offer]]:
    """Interpreters who could take the session with what asking each means: those who work the session's
    way first, then those who would interpret another way (`modes_for`), each cheapest first (then the
    better register category). Same county and language, within working hours, not absent, free with time
    to travel, not already asked for it, and accepted by the plan checker (`availability`, failing closed);
    one offer per interpreter, in the first way they are free."""
    availability = availability or Availability(session.run.county, [session])
    asked = {b.interpreter_id for b in session.bookings}
    own = mode_of(session)
    fitting = []
    now = clock.now()
    for profile in availability.candidates_for(session):
        if profile.id in asked:
            continue
        for mode in modes_for(session, profile):
            offer = offer_of(session, profile, mode)
            if now + dt.timedelta(minutes=offer.travel_minutes) > session.start:
                continue  # asked now, they could not be there in time (an hour's drive to a session in 30 minutes)
            fitting.append((mode != own, offer.cost_ore, offer.category or 9, profile.id, profile, offer))
    fitting.sort(key=lambda item: item[:4])
    out, offered = [], set()
    for *_rank, profile, offer in fitting:
        if len(out) == limit:
            break
        if profile.id not in offered and availability.free(profile, session, offer.mode):
            out.append((profile, offer))
            offered.add(profile.id)
    return out


def rebook_all(actor, county_id: int) -> tuple[int, int]:
    """Use case: every session in the alerts asks its first offered replacement (cheapest first), one
    session at a time (each its own transaction: one that changed meanwhile is left as it is). After
    a morning of expired requests the lead pressed "Ask" a hundred times. Returns (asked, left)."""
    asked = left = 0
    for alert in alerts(county_id):
        # Judged again after each request: the interpreter just asked may be the first for the next session too.
        candidates = replacement_candidates(alert.booking.session, limit=1) if alert.candidates else []
        if not candidates:
            left += 1
            continue
        try:
            rebook(actor, alert.booking, candidates[0].id)
        except DomainError:
            db.session.rollback()
            left += 1
        else:
            asked += 1
    return asked, left


def rebook(actor, declined: InterpreterBooking, candidate_id: int) -> InterpreterBooking:
    """Use case: the lead picks an offered interpreter; the session gets a new request to them."""
    with unit_of_work() as uow:
        session = declined.session
        if declined.status not in (S.DECLINED, S.EXPIRED) or any(b.status in ACTIVE for b in session.bookings):
            raise IllegalTransition(_("This session already has an interpreter request."))
        if session.outside_interpreter is not None:  # a page open from before the lead recorded it
            raise DomainError(_("An interpreter arranged outside Veiled is recorded for this session. Remove it "
                                "first if you want to ask someone in Veiled."))
        candidate, offer = next(((c, o) for c, o in ranked_candidates(session, limit=10) if c.id == candidate_id),
                                (None, None))
        if candidate is None:
            raise DomainError(_("That interpreter can no longer take the session. Choose another."))
        session.interpreter = candidate
        session.interpreter_mode = offer.mode   # another way than before when they do not work the session's
        cal.bump_sequence(session)
        booking = new_booking(session, candidate, session.interpreter_mode)
        db.session.flush()
        audit.record(actor, "booking.requested", booking, {"replaces": declined.id})
        messages = request_messages([booking], actor)
        uow.after_commit(mail.deliver_later, messages)
    return booking
