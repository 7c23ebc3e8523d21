"""Who may see and do what. Every route and every service asks here; nowhere else decides.

Objects outside a user's reach answer 404 (their existence is itself personal data);
a page the user's role may never use answers 403.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select, true

from guidance.models import (
    Absence,
    ApiToken,
    Attachment,
    CounsellorProfile,
    County,
    GuidanceNote,
    InterpreterBooking,
    InterpreterProfile,
    CareerCentre,
    Location,
    Municipality,
    OutboxMessage,
    Participant,
    ParticipantToTell,
    PlanningRun,
    Referral,
    Role,
    Room,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)

STAFF_ROLES = (Role.LEAD, Role.COUNSELLOR)


def may(user: Any, action: str, target: Any = None) -> bool:
    """The one access decision: may `user` perform `action` on `target`?

    `target` is a model instance, or a string naming an area ("users", "queue", ...).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if isinstance(target, str):
        return _may_use_area(user, action, target)
    if isinstance(target, Referral):
        return _may_referral(user, action, target)
    if isinstance(target, Attachment):
        return _may_referral(user, "view" if action == "view" else "edit", target.referral)
    if isinstance(target, GuidanceNote):
        return _may_note(user, action, target)
    if isinstance(target, InterpreterBooking):
        return _may_booking(user, action, target)
    if isinstance(target, Session):
        return _may_session(user, action, target)
    if isinstance(target, PlanningRun):
        return user.role is Role.LEAD and target.county_id == user.county_id
    if isinstance(target, ParticipantToTell):  # the county's leads tell the participant and mark it
        return user.role is Role.LEAD and target.county_id == user.county_id
    if isinstance(target, Absence):
        if action == "end" and target.user_id == user.id:
            return True  # back earlier than one reported oneself, or than the lead registered
        return user.role is Role.LEAD and target.user.county_id == user.county_id
    if isinstance(target, (CounsellorProfile, InterpreterProfile)):
        if target.user.role is Role.LEAD and user.role is Role.LEAD and target.user_id != user.id:
            return False   # a lead who counsels: their own profile (and the administrators'), not a fellow lead's
        return _may_manage_county(user, target.user.county_id)
    if isinstance(target, User):
        if action == "manage_referrer":
            # A municipality's referrers are onboarded by the lead of its county (and admins).
            return (target.role is Role.REFERRER and target.municipality is not None
                    and may_manage_county(user, target.municipality.county_id))
        return user.role is Role.ADMIN and admin_reaches(user, user_county(target))
    if isinstance(target, ApiToken):
        return user.role is Role.ADMIN and admin_reaches(user, target.municipality.county_id)
    if isinstance(target, OutboxMessage):
        return _may_outbox_message(user, action, target)
    if isinstance(target, County):
        if action == "manage_language":
            # A county's language forms: admins, and the county's own lead.
            return (user.role is Role.ADMIN and admin_reaches(user, target.id)) or (
                user.role is Role.LEAD and target.id == user.county_id)
        return _may_set_up(user, target.id)
    if isinstance(target, CareerCentre):
        return _may_set_up(user, target.county_id)
    if isinstance(target, Location):
        return _may_set_up(user, target.centre.county_id)
    if isinstance(target, Room):
        return _may_set_up(user, target.location.centre.county_id)
    if isinstance(target, Municipality):
        return action == "letters" and _may_municipality_letters(user, target)
    if isinstance(target, Participant):
        # Data-subject access requests are answered by the installation's administrators.
        return user.role is Role.ADMIN and action == "export" and admin_reaches(user, target.municipality.county_id)
    return False


# Which roles use which area of the application.
AREAS: dict[str, tuple[Role, ...]] = {
    "users": (Role.ADMIN,),
    "api_tokens": (Role.ADMIN,),
    "data_subject": (Role.ADMIN,),
    "intake": (Role.REFERRER,),
    "queue": (Role.LEAD,),
    "planning": (Role.LEAD,),
    "dashboard": (Role.LEAD,),
    "week": (Role.COUNSELLOR,),
    "bookings": (Role.INTERPRETER,),
    "referrals": (Role.REFERRER, Role.LEAD, Role.COUNSELLOR),
    "interpreting": (Role.LEAD,),
    "outbox": (Role.ADMIN, Role.LEAD),
    "language_forms": (Role.ADMIN, Role.LEAD),
    "notes": (Role.COUNSELLOR, Role.LEAD, Role.REFERRER),
    "note_writing": (Role.COUNSELLOR,),
    # the open-referral figure on the home page
    "referral_counts": (Role.REFERRER, Role.LEAD),
    # the lead's to-do overview on the home page
    "today": (Role.LEAD,),
    "setup": (Role.LEAD, Role.ADMIN),
    "people": (Role.LEAD, Role.ADMIN),
    # what stops the next plan (issue 21): a county's lead, and admins
    "readiness": (Role.LEAD, Role.ADMIN),
    # summons letters for participants (PDF): the referrer, and the lead of the referral's county
    "letters": (Role.REFERRER, Role.LEAD),
    # week grids of the published plan (a county's counsellors, rooms, locations)
    "grids": (Role.LEAD, Role.ADMIN),
}


# A lead with a counsellor profile counsels too (a small centre's lead holds sessions): their own week,
# outcomes and guidance notes, as a counsellor's.
COUNSELLING_AREAS = ("week", "note_writing")
# What a lead may do to a session of the county only when it is their own, as its counsellor.
OWN_SESSION_ACTIONS = ("record_outcome", "counsel")


# The roles whose users with a counsellor profile are planned as counsellors (a lead who counsels too).
COUNSELLING_ROLES = (Role.COUNSELLOR, Role.LEAD)


def counsels(user: User) -> bool:
    """Does the user hold guidance sessions: a counsellor, or a lead with a counsellor profile?"""
    return user.role in COUNSELLING_ROLES and user.counsellor is not None and user.counsellor.active


def _may_use_area(user: User, action: str, area: str) -> bool:
    return user.role in AREAS.get(area, ()) or (area in COUNSELLING_AREAS and counsels(user))


def admin_reaches(user: User, county_id: int | None) -> bool:
    """An installation administrator (no county) reaches everything; one bound to a county reaches
    only that county's people, tokens and participants, never the installation's own administrators
    (county None): otherwise a county's administrator could take over any account in the country."""
    return user.county_id is None or (county_id is not None and county_id == user.county_id)


def user_county(target: User) -> int | None:
    """The county a user belongs to: their own, or their municipality's (a referrer)."""
    if target.county_id is not None:
        return target.county_id
    return target.municipality.county_id if target.municipality is not None else None


def _of_county(county_id: int | None):
    """A WHERE clause on User: the county's staff and the referrers of its municipalities."""
    return or_(User.county_id == county_id,
               User.municipality_id.in_(select(Municipality.id).where(Municipality.county_id == county_id)))


def admin_user_filter(user: User):
    """A WHERE clause selecting the users an administrator manages (their county's, or everyone)."""
    return true() if user.county_id is None else _of_county(user.county_id)


def admin_municipality_filter(user: User):
    """The municipalities an administrator gives tokens for and finds participants in."""
    return true() if user.county_id is None else Municipality.county_id == user.county_id


def _may_set_up(user: User, county_id: int) -> bool:
    """A county's places and settings: the same people who manage its counsellors and interpreters."""
    return _may_manage_county(user, county_id)


def _may_manage_county(user: User, county_id: int | None) -> bool:
    """A county's set-up (its counsellors and interpreters) is run by its lead, and by admins:
    an admin bound to a county manages that county, an installation admin every county."""
    if user.role is Role.LEAD:
        return county_id is not None and county_id == user.county_id
    if user.role is Role.ADMIN:
        return user.county_id is None or county_id == user.county_id
    return False


def may_manage_county(user: User, county_id: int | None) -> bool:
    """May `user` set up the people of this county?"""
    return may(user, "use", "people") and _may_manage_county(user, county_id)


def _may_referral(user: User, action: str, referral: Referral) -> bool:
    if user.role is Role.REFERRER:
        return referral.referring_municipality_id == user.municipality_id
    if user.role is Role.LEAD:
        if action == "write_note":   # a lead who counsels writes the notes of their own participants
            return referral.county_id == user.county_id and _counsellor_has_referral(user, referral.id)
        return referral.county_id == user.county_id and action in ("view", "plan", "withdraw", "letters")
    if user.role is Role.COUNSELLOR:
        if action == "view" and _asked_follow_up(user, referral):
            return True
        return action in ("view", "write_note") and _counsellor_has_referral(user, referral.id)
    return False


def _asked_follow_up(user: User, referral: Referral) -> bool:
    """A follow-up the counsellor asked for names them (`preferred_counsellor_id`): they may read it
    before it is booked (it answered them 404, and they could not follow what they had asked for)."""
    return (referral.follow_up_of_id is not None and user.counsellor is not None
            and referral.preferred_counsellor_id == user.counsellor.id)


def _may_municipality_letters(user: User, municipality: Municipality) -> bool:
    """The letters for a municipality's referrals: its referrers, and the lead of its county."""
    if user.role is Role.REFERRER:
        return municipality.id == user.municipality_id
    if user.role is Role.LEAD:
        return municipality.county_id == user.county_id
    return False


def _may_note(user: User, action: str, note: GuidanceNote) -> bool:
    referral = note.referral
    if user.role is Role.REFERRER:
        return action == "view" and note.status == "shared" and _may_referral(user, "view", referral)
    if user.role is Role.LEAD:
        if action == "view":
            return referral.county_id == user.county_id
        return referral.county_id == user.county_id and _counsellor_has_referral(user, referral.id)   # their own
    if user.role is Role.COUNSELLOR:
        return _counsellor_has_referral(user, referral.id)
    return False


def _may_booking(user: User, action: str, booking: InterpreterBooking) -> bool:
    if user.role is Role.INTERPRETER:
        return user.interpreter is not None and booking.interpreter_id == user.interpreter.id
    if user.role is Role.LEAD:
        return booking.session.run.county_id == user.county_id
    return False


def _may_session(user: User, action: str, session: Session) -> bool:
    if user.role is Role.LEAD:
        if action in OWN_SESSION_ACTIONS:   # as the session's counsellor: outcomes are theirs to record
            return session.run.county_id == user.county_id and _holds(user, session)
        return session.run.county_id == user.county_id
    if user.role is Role.COUNSELLOR:
        return _holds(user, session)
    if user.role is Role.INTERPRETER:
        return action == "view" and user.interpreter is not None and session.interpreter_id == user.interpreter.id
    return False


def _holds(user: User, session: Session) -> bool:
    """Is the user the session's counsellor?"""
    return user.counsellor is not None and session.counsellor_id == user.counsellor.id


def _may_outbox_message(user: User, action: str, message: OutboxMessage) -> bool:
    from guidance.extensions import db

    if action not in ("view", "retry") or user.role not in AREAS["outbox"]:
        return False
    stmt = select(OutboxMessage.id).where(OutboxMessage.id == message.id, outbox_filter(user)).limit(1)
    return db.session.execute(stmt).first() is not None


# The sessions that give a counsellor a participant: booked for them, or held. Not a draft a lead is
# still trying (every run would widen every counsellor's access), nor a cancelled or replaced one.
COUNSELLING = (SessionStatus.BOOKED, SessionStatus.COMPLETED)


def _counsellor_has_referral(user: User, referral_id: int) -> bool:
    from guidance.extensions import db

    if user.counsellor is None:
        return False
    stmt = (
        select(SessionParticipant.referral_id)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.counsellor_id == user.counsellor.id, SessionParticipant.referral_id == referral_id,
               Session.status.in_(COUNSELLING))
        .limit(1)
    )
    return db.session.execute(stmt).first() is not None


def referral_filter(user: User):
    """A WHERE clause selecting exactly the referrals `user` may view (for lists and counts)."""
    if user.role is Role.REFERRER:
        return Referral.referring_municipality_id == user.municipality_id
    if user.role is Role.LEAD:
        return Referral.county_id == user.county_id
    if user.role is Role.COUNSELLOR and user.counsellor is not None:
        mine = (
            select(SessionParticipant.referral_id)
            .join(Session, Session.id == SessionParticipant.session_id)
            .where(Session.counsellor_id == user.counsellor.id, Session.status.in_(COUNSELLING))
        )
        asked = (Referral.follow_up_of_id.is_not(None)) & (Referral.preferred_counsellor_id == user.counsellor.id)
        return Referral.id.in_(mine) | asked
    return false()


def outbox_filter(user: User):
    """A WHERE clause selecting the outbox messages `user` may view and retry: the installation's
    administrators every message; a lead, or an administrator bound to a county, those to people of
    their county (staff, or referrers of its municipalities)."""
    if user.role is Role.ADMIN and user.county_id is None:
        return true()
    if user.role in (Role.LEAD, Role.ADMIN):
        return OutboxMessage.to_user_id.in_(select(User.id).where(_of_county(user.county_id)))
    return false()


__all__ = ["may", "may_manage_county", "referral_filter", "outbox_filter", "admin_reaches", "admin_user_filter",
           "admin_municipality_filter", "user_county", "AREAS"]
