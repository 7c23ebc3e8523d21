"""A lead's hand edits of a reviewed plan: pin a session, or move/re-staff it.

Every edit is checked by the solver's independent checker against the run's own instance;
an edit that breaks a hard rule is refused with the rule named in the lead's language.
An edited session is pinned: the lead knows better, so later runs keep it.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from flask_babel import format_date
from flask_babel import gettext as _

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import InterpreterProfile, Room, RunStatus, Session, SessionStatus, User
from guidance.planning import ids
from guidance.planning.store import plan_from_sessions
from guidance.planning.wish import Wish
from guidance.rules.outside_interpreter import ends_with_change
from guidance.services import audit, to_tell
from guidance.services.interpreter_bookings import outside
from guidance.services.errors import DomainError
from guidance.services.unit_of_work import unit_of_work

RULES = {
    0: _l("The plan would no longer add up: a participant would be planned twice for the same kind of session."),
    1: _l("The time is not allowed: outside the planning period, not a working day, not on the quarter-hour grid, "
          "or outside the location's opening hours."),
    2: _l("A participant would be planned before their earliest date, after their deadline, or in two sessions at once."),
    3: _l("The counsellor cannot take it: they do not work at this location or at this time, are absent, already "
          "have the most sessions they can take that day, are in another session, or cannot travel there in time."),
    4: _l("A participant under the Integration Act or the temporary act needs a counsellor with multicultural-guidance "
          "training."),
    5: _l("A participant would not be understood: the counsellor does not speak their language and no interpreter "
          "for it is booked."),
    6: _l("The interpreter cannot take it: they lack the language or the way of interpreting, are not working or "
          "absent then, are in another session, or cannot travel there in time."),
    7: _l("Video or phone is not allowed here: video only for individual sessions in a room with video, with "
          "participants who can take video; phone interpreting only in individual sessions."),
    8: _l("The room is taken at that time, or too small for the group."),
    9: _l("A participant cannot come to the location: it is too far from where they live, or they need step-free "
          "access and it has steps."),
    10: _l("A session that this run had to keep unchanged would change."),
}


def rule_sentence(rule: int) -> str:
    return str(RULES.get(rule, RULES[0]))


def set_pinned(lead: User, session: Session, pinned: bool) -> Session:
    """Pin (keep in every later run) or unpin a session."""
    if session.status not in (SessionStatus.PLANNED, SessionStatus.BOOKED):
        raise DomainError(_("Only planned or booked sessions can be pinned."))
    session.pinned = pinned
    audit.record(lead, "planning.session_pinned" if pinned else "planning.session_unpinned", session)
    db.session.commit()
    return session


def edit_session(lead: User, session: Session, *, start: dt.datetime, room_id: int, counsellor_id: int,
                 interpreter_id: int | None, interpreter_mode: str | None, mode: str | None = None) -> Session:
    """Move or re-staff a session of an unpublished plan; refuses with the broken rules named.

    `start` is an Oslo wall-clock time (naive). The session's length stays its type's length. `mode`: how the
    participant takes part ("onsite" or "video"; None keeps it, see `_take_part`).
    """
    from solver.check import check_plan

    run = session.run
    if run.status is not RunStatus.SUCCEEDED or run.published_at is not None or session.status is not SessionStatus.PLANNED:
        raise DomainError(_("Only sessions of a plan that is not yet published can be edited. Published sessions "
                            "change through a new planning run."))
    instance = json.loads(run.instance_json)
    room = db.session.get(Room, room_id)
    if room is None or ids.location_id(room.location_id) not in {loc["id"] for loc in instance["locations"]}:
        raise DomainError(_("Choose one of the county's rooms."), {"room_id": [_("Choose one of the county's rooms.")]})
    minutes = instance["session_types"][session.type]["minutes"]
    # An interpreter arranged outside Veiled goes with the session unless the lead books one in Veiled.
    keeps_outside = session.outside_interpreter is not None and not ends_with_change(
        interpreter_in_veiled=bool(interpreter_id))
    language = None
    if interpreter_id:
        interpreter = db.session.get(InterpreterProfile, interpreter_id)
        if interpreter is None:
            raise DomainError(_("Choose an interpreter from the list."),
                              {"interpreter_id": [_("Choose an interpreter from the list.")]})
        language = session.language or _interpreted_language(session, instance)
        interpreter_mode = interpreter_mode or "onsite"
    else:
        interpreter_mode = None
    sessions = list(run.sessions)
    plan = plan_from_sessions(sessions, instance_name=instance.get("name", ""),
                              unscheduled=json.loads(run.plan_json)["unscheduled"])
    raw = next(s for s in plan["sessions"] if s["id"] == session.plan_session_id)
    raw.update(start=start.strftime("%Y-%m-%dT%H:%M"), end=(start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M"),
               room=ids.room_id(room.id), location=ids.location_id(room.location_id),
               counsellor=ids.counsellor_id(counsellor_id))
    if keeps_outside:
        _stand_in_at(instance, session, ids.to_utc(start), ids.to_utc(start + dt.timedelta(minutes=minutes)), room)
    else:
        raw.update(language=language, interpreter=ids.interpreter_id(interpreter_id) if interpreter_id else None,
                   interpreter_mode=interpreter_mode)
    raw["mode"] = _take_part(raw["mode"], mode, room)
    before = {(v.rule, v.session) for v in check_plan(instance, json.loads(run.plan_json)).violations}
    result = check_plan(instance, plan)
    broken = [v for v in result.violations if (v.rule, v.session) not in before]
    if broken:
        from guidance.services.rule_words import Words, explain

        names = {ids.room_id(r.id): r.name for r in db.session.scalars(
            select(Room).where(Room.id.in_([ids.db_id(r["id"], "room") for loc in instance["locations"]
                                            for r in loc["rooms"]] or [0])))}
        raise DomainError(_("This change breaks a planning rule, so it was not saved."),
                          explain(Words(instance, plan, session.plan_session_id, names), broken, rule_sentence))
    session.start, session.end = ids.to_utc(start), ids.to_utc(start + dt.timedelta(minutes=minutes))
    session.room_id, session.location_id, session.counsellor_id = room.id, room.location_id, counsellor_id
    if not keeps_outside:
        session.interpreter_id, session.interpreter_mode, session.language = interpreter_id or None, interpreter_mode, language
        session.take_outside_interpreter(None)  # a draft: nothing to audit apart
    session.mode = raw["mode"]
    session.pinned = True
    plan["stats"] = json.loads(run.plan_json).get("stats", {})
    run.plan_json = json.dumps(plan, ensure_ascii=False)
    run.metrics = {**result.metrics, "violated_rules": sorted(result.rules_broken())}
    audit.record(lead, "planning.session_edited", session, {"run": run.id})
    db.session.commit()
    return session


def may_take_out(session: Session) -> bool:
    """Whether one participant can leave this published group session and the group go on: it is booked, ahead,
    and keeps its minimum size without them."""
    from guidance.models.types import utcnow
    from guidance.planning.instance import session_types

    return (session.type == "group" and session.status is SessionStatus.BOOKED and session.start > utcnow()
            and len(session.participants) - 1 >= session_types(session.run.county)["group"]["min_size"])


def take_out_of_group(lead: User, session: Session, referral_id: int) -> Session:
    """Use case: one participant leaves a published group session (their referrer said they cannot come); the
    others keep their time. Moving the session had moved the whole group: four participants got a new letter
    for one who could not come. The referrer hears the session is cancelled for them, the participant waits for
    another time (in the queue, when nothing else of theirs is booked ahead), and the counsellor's and the
    interpreter's calendars get the new version. The day stays the participant's "cannot come" for every
    later suggestion and re-plan (planning/cannot_come.py)."""
    from guidance.services import mail, notices
    from guidance.services.interpreter_bookings.changes import requeue, session_updated
    from guidance.services.referrals import booking_changed

    with unit_of_work() as uow:
        member = next((sp for sp in session.participants if sp.referral_id == referral_id), None)
        if member is None:
            raise DomainError(_("The participant is no longer in this group session."))
        from guidance.services.cannot_come import waiting

        if not any(w.referral_id == referral_id for w in waiting(session.run.county_id, session_id=session.id)):
            # What the referrer hears and the audit say ("cannot come") would be untrue otherwise.
            raise DomainError(_("Only a participant whose referrer said they cannot come is taken out of a group here."))
        if not may_take_out(session):
            raise DomainError(_("Without this participant the group would be smaller than the county's minimum: move "
                                "the whole session, or cancel it."))
        # Told before they leave: both follow the session's participants.
        notices.session_event(lead, session, notices.CANCELLED, counsellor=False, referral_ids={referral_id})
        to_tell.session_changed(lead, session, to_tell.CANCELLED, referral_ids={referral_id})
        referral = member.referral
        session.participants.remove(member)
        audit.record(lead, "session.participant_removed", session, {"referral_id": referral_id, "cause": "cannot_come"})
        # `at`: the time the participant's letter gives, which a new letter replaces (letters.cancelled_before).
        audit.record(lead, "referral.left_group", referral, {"session_id": session.id, "cause": "cannot_come",
                                                             "at": ids.plan_minute(session.start)})
        messages = session_updated(lead, session)
        requeue(referral, session, "left_group")
        booking_changed([referral_id])
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later)
    return session


def past_deadline(instance: dict, session: Session, day: dt.date) -> list[tuple[str, dt.date]]:
    """(reference, deadline) of the session's participants whose deadline `day` misses: it is after the deadline
    and they have no other session held or booked on or before it (the deadline is kept by the first guidance, as
    the referral page and the reports count it). In `instance` (the caller's copy) the deadline of every participant
    booked after it no longer binds: they are overdue from it (the solver's `overdue_since`), as the bridge makes a
    participant whose deadline the notice has passed; so the move is judged on everything else."""
    from guidance.planning.instance import overdue_from_deadline
    from guidance.services.referral_reading import first_guidance_in_time

    members = {ids.participant_id(sp.referral_id): sp.referral for sp in session.participants}
    late = []
    for p in instance["participants"]:
        if p["id"] not in members or not p.get("deadline") or dt.date.fromisoformat(p["deadline"]) >= day:
            continue
        deadline, referral = dt.date.fromisoformat(p["deadline"]), members[p["id"]]
        overdue_from_deadline(p)
        if not first_guidance_in_time(referral.id, deadline, besides=session.id):
            late.append((referral.reference, deadline))
    return sorted(late)


def _interpreted_language(session: Session, instance: dict) -> str | None:
    """The language of the session's participants who need an interpreter (the first one found)."""
    members = {ids.participant_id(sp.referral_id) for sp in session.participants}
    for p in instance["participants"]:
        if p["id"] in members and p["needs_interpreter"]:
            return p["language"]
    return None


def _stand_in_at(instance: dict, session: Session, start: dt.datetime, end: dt.datetime, room: Room) -> None:
    """The stand-in for the session's interpreter arranged outside Veiled, at the time and place a change
    gives the session (the arrangement goes with it: rules.outside_interpreter.ends_with_change)."""
    from guidance.planning.instance import outside_stand_in, with_stand_in

    first, last = (dt.date.fromisoformat(instance["horizon"][k]) for k in ("start", "end"))
    with_stand_in(instance, outside_stand_in(session, first, last, at=(start, end),
                                             place=room.location.municipality.number))


# ---------------------------------------------------------------------------- move a published session


class Moved(NamedTuple):
    """A saved move: the session, whether an interpreter is asked (again or anew) because of it,
    whether its new time or place is sooner than the county's minimum notice (a letter may not reach
    the participant in time, so the lead should tell them another way), and whether only the
    counsellor changed (the session is handed to a colleague: participants keep their letter)."""

    session: Session
    interpreter_asked: bool
    inside_notice: bool = False
    handed_over: bool = False
    # An interpreter arranged outside Veiled the lead must tell, Veiled cannot: ("moved", who) when the
    # arrangement goes to the new time or place, ("ended", who) when an interpreter in Veiled replaced it.
    outside: tuple[str, str] | None = None


class NothingChanged(DomainError):
    """The move form was sent with the session's own time, place and people."""


PASSED = _l("Choose a time that has not passed.")


def day_passed(day: dt.date) -> list[str]:
    """The day field's message when the day itself has passed, whatever the time: the move form asks
    it too when the time could not be read, so that both show in one round."""
    return [str(PASSED)] if day < ids.local_today() else []


def move_published_session(lead: User, session: Session, *, start: dt.datetime, room_id: int, counsellor_id: int,
                           interpreter_id: int | None, interpreter_mode: str | None, mode: str | None = None,
                           confirm_soon: bool = False, confirm_late: bool = False, confirm_paid: bool = False) -> Moved:
    """Move or re-staff one booked session of the published plan, in one transaction (one unit of
    work; the e-mails and notices after its commit). See `_move`. A new time or place sooner than
    the county's minimum notice is refused on the `confirm_soon` field until the lead confirms it
    (a letter may not reach the participant in time); one after a participant's deadline on `confirm_late` (the
    deadline is missed: when nothing sooner fits, or the participant cannot come before it)."""
    from guidance.services import mail, notices

    same_staff = (room_id, counsellor_id, interpreter_id or None) == (session.room_id, session.counsellor_id,
                                                                      session.interpreter_id)
    same_mode = not interpreter_id or (interpreter_mode or "onsite") == (session.interpreter_mode or "onsite")
    same_mode = same_mode and (mode or session.mode) == session.mode
    if ids.to_utc(start) == session.start and same_staff and same_mode:
        # Saving the form as it came: no move, no pin, nobody told.
        raise NothingChanged(_("Nothing was changed."))
    handed_over = (ids.to_utc(start) == session.start and room_id == session.room_id
                   and counsellor_id != session.counsellor_id and (interpreter_id or None) == session.interpreter_id
                   and same_mode)
    with unit_of_work() as uow:
        messages, told, asked, soon, outside_change = _move(
            lead, session, start=start, room_id=room_id, counsellor_id=counsellor_id, interpreter_id=interpreter_id,
            interpreter_mode=interpreter_mode, mode=mode, confirm_soon=confirm_soon, confirm_late=confirm_late,
            confirm_paid=confirm_paid)
        uow.after_commit(mail.deliver_later, messages)
        uow.after_commit(notices.dispatch_later, told)
    return Moved(session, asked, soon, handed_over, outside_change)


def _move(lead: User, session: Session, *, start: dt.datetime, room_id: int, counsellor_id: int,
          interpreter_id: int | None, interpreter_mode: str | None, mode: str | None = None,
          confirm_soon: bool = False, confirm_late: bool = False,
          confirm_paid: bool = False) -> tuple[list, list, bool, bool, tuple[str, str] | None]:
    """Move or re-staff one booked session of the published plan, in the caller's unit of work.

    The change is judged by the solver's checker against the published plan as it is now (today's
    absences, opening hours and the other booked sessions); a refusal names each broken rule in the
    lead's words on its field. A saved move is pinned, gives calendars a new SEQUENCE, asks the
    interpreter again (or cancels the old interpreter's booking and asks the new one), and is audited.
    `start` is an Oslo wall-clock time (naive). A new time or place sooner than the county's minimum
    notice needs `confirm_soon`. An interpreter arranged outside Veiled goes with the session unless an
    interpreter in Veiled is chosen (rules.outside_interpreter). Returns the e-mails and notices to hand on
    after the commit, whether an interpreter is asked because of the move, whether it is sooner than the
    notice, and what the lead must tell an interpreter arranged outside Veiled (`Moved.outside`).
    """
    from guidance.planning import InstanceOptions
    from guidance.services import calendar, notices

    if session.status is not SessionStatus.BOOKED or session.run.published_at is None:
        raise DomainError(_("Only a booked session of the published plan can be moved this way."))
    now = ids.clock()
    if session.start <= now:
        raise DomainError(_("The session has started, so it cannot be moved. Record the outcome instead."))
    instance, plan, room_names = published_plan(session.run.county)
    room = db.session.get(Room, room_id)
    if room is None or ids.location_id(room.location_id) not in {loc["id"] for loc in instance["locations"]}:
        raise DomainError(_("Choose one of the county's rooms."), {"room_id": [_("Choose one of the county's rooms.")]})
    if ids.counsellor_id(counsellor_id) not in {c["id"] for c in instance["counsellors"]}:
        raise DomainError(_("Choose a counsellor from the list."),
                          {"counsellor_id": [_("Choose a counsellor from the list.")]})
    if interpreter_id and ids.interpreter_id(interpreter_id) not in {i["id"] for i in instance["interpreters"]}:
        raise DomainError(_("Choose an interpreter from the list."),
                          {"interpreter_id": [_("Choose an interpreter from the list.")]})
    if ids.to_utc(start) <= now:
        message = str(PASSED)
        raise DomainError(message, {"day": [message]})
    first_new = InstanceOptions.for_one_booking(session.run.county, ids.local_today()).earliest_new
    soon = start.date() < first_new and (session.start, session.location_id) != (ids.to_utc(start), room.location_id)
    notice_refusal = None
    if soon and not confirm_soon:
        # Said together with the rules the time breaks (the lead ticked the box, then learnt the time was off the
        # quarter hour and the counsellor full): one round, not two.
        notice_refusal = _("%(date)s is sooner than the county's notice (new times from %(first)s), so a letter may "
                           "not reach the participant in time. Tick the box to move it anyway and tell the participant "
                           "another way.", date=format_date(start.date(), "long"), first=format_date(first_new, "long"))
    # After a participant's deadline: the lead's call (they cannot come before it, or nothing sooner is free), said
    # and confirmed; the checker then judges the rest. Before, such a move was refused with no way on but to cancel.
    late = past_deadline(instance, session, start.date())
    late_refusal = None
    if late and not confirm_late:
        late_refusal = _("%(date)s is after the deadline of %(who)s, which is then missed. Tick the box to move it "
                         "anyway when no sooner time fits.", date=format_date(start.date(), "long"),
                         who=", ".join(_("%(reference)s (%(deadline)s)", reference=reference,
                                         deadline=format_date(deadline, "long")) for reference, deadline in late))
    paid_refusal = None if confirm_paid else _paid_to_replace(session, interpreter_id)
    minutes = instance["session_types"][session.type]["minutes"]
    keeps_outside = session.outside_interpreter is not None and not ends_with_change(
        interpreter_in_veiled=bool(interpreter_id))
    language = (session.language or _interpreted_language(session, instance)) if interpreter_id else None
    interpreter_mode = (interpreter_mode or "onsite") if interpreter_id else None
    moved_id = ids.session_id(session.id)
    raw = next(s for s in plan["sessions"] if s["id"] == moved_id)
    original = dict(raw)
    raw.update(start=start.strftime("%Y-%m-%dT%H:%M"), end=(start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M"),
               room=ids.room_id(room.id), location=ids.location_id(room.location_id),
               counsellor=ids.counsellor_id(counsellor_id))
    if keeps_outside:  # the same stand-in, at the new time and place (the checker judges its way of taking part there)
        _stand_in_at(instance, session, ids.to_utc(start), ids.to_utc(start + dt.timedelta(minutes=minutes)), room)
    else:
        raw.update(language=language, interpreter=ids.interpreter_id(interpreter_id) if interpreter_id else None,
                   interpreter_mode=interpreter_mode)
    raw["mode"] = _take_part(raw["mode"], mode, room)
    broken = check_move(instance, plan, original, raw)
    if broken:
        from guidance.services.rule_words import Words, explain

        field_errors = explain(Words(instance, plan, moved_id, room_names), broken, rule_sentence)
        if notice_refusal:
            field_errors["confirm_soon"] = [notice_refusal]
        if late_refusal:
            field_errors["confirm_late"] = [late_refusal]
        if paid_refusal:
            field_errors["confirm_paid"] = [paid_refusal]
        raise DomainError(_("The session was not moved. Change what is marked and try again."), field_errors)
    if notice_refusal or late_refusal or paid_refusal:
        raise DomainError(notice_refusal or late_refusal or paid_refusal,
                          {**({"confirm_soon": [notice_refusal]} if notice_refusal else {}),
                           **({"confirm_late": [late_refusal]} if late_refusal else {}),
                           **({"confirm_paid": [paid_refusal]} if paid_refusal else {})})
    old = (session.start, session.location_id, session.interpreter_id, session.interpreter_mode)
    old_counsellor_id, old_room_id, old_mode = session.counsellor_id, session.room_id, session.mode
    ended = None if keeps_outside else outside.end_for_change(lead, session)
    released = _release_replaced_interpreter(lead, session, interpreter_id or None)
    session.start, session.end = ids.to_utc(start), ids.to_utc(start + dt.timedelta(minutes=minutes))
    session.room_id, session.location_id, session.counsellor_id = room.id, room.location_id, counsellor_id
    if not keeps_outside:
        session.interpreter_id, session.interpreter_mode, session.language = interpreter_id or None, interpreter_mode, language
    session.mode = raw["mode"]
    session.pinned = True
    db.session.flush()
    db.session.refresh(session, ["room", "location", "interpreter"])
    messages, asked = _tell_interpreters(lead, session, old)
    messages = released + messages
    calendar.bump_sequence(session)
    # The referrer hears of a new time or place, or that the participant now comes by video (or on site after all):
    # their letter says which; a new counsellor or interpreter is the centre's business.
    moved = (old[0], old[1], old_mode) != (session.start, session.location_id, session.mode)
    # The counsellor hears of a new time, place, room or counsellor; a new interpreter alone is told when they
    # accept (notices.interpreter_changed): a "Moved: to the same time" notice had said nothing of who comes.
    for_counsellor = moved or old_room_id != session.room_id or old_counsellor_id != session.counsellor_id
    told = notices.session_event(lead, session, notices.MOVED, previous_counsellor_id=old_counsellor_id,
                                 previous=(old[0], old[1]), referrers=moved, counsellor=for_counsellor)
    if moved:  # a new time or place the participant may hear of from nobody, or too late by letter
        from guidance.services.referrals import booking_changed

        to_tell.session_changed(lead, session, to_tell.MOVED, short_notice=soon, was=old[0])
        booking_changed(sp.referral_id for sp in session.participants)
    audit.record(lead, "session.moved", session, {
        "from": ids.plan_minute(old[0]), "to": raw["start"], "room": room.id, "from_location": old[1],
        "to_location": room.location_id,
        "counsellor": counsellor_id, "interpreter": interpreter_id or None,
        # How the participant takes part, when the move changed it (the history read "moved" of a switch to video).
        **({"mode": session.mode} if session.mode != old_mode else {})})
    to_tell_outside = ("ended", ended) if ended else \
        ("moved", session.outside_interpreter) if keeps_outside and moved else None
    return messages, told, asked, soon, to_tell_outside


def _paid_to_replace(session: Session, interpreter_id: int | None) -> str | None:
    """Why taking the session's interpreter off it needs a yes: they have accepted, and it starts within the
    county's late-cancellation hours, so they are paid for the booked time (the cancel page said so; a move that
    changed only the interpreter paid 1 170 kr without a word)."""
    from guidance.labels import money
    from guidance.services.interpreter_bookings.costs import late_cancellation_cost

    if session.interpreter_id is None or session.interpreter_id == interpreter_id:
        return None
    costs = [(b, c) for b in session.bookings if (c := late_cancellation_cost(b)) is not None]
    if not costs:
        return None
    booking, cost = max(costs, key=lambda pair: pair[1])
    return _("%(name)s has said yes, and the session is so soon that taking them off it is a late cancellation: "
             "they are paid for the booked time, %(cost)s. Tick the box to change the interpreter anyway.",
             name=booking.interpreter.user.name, cost=money(cost))


def _take_part(planned: str, asked: str | None, room: Room) -> str:
    """How the participant takes part after an edit: `asked` ("onsite" or "video") when the lead chose it (the
    checker then judges it: a room without video equipment, a participant who cannot take video), else as planned,
    on site in a room without video equipment (a video session moved to such a room is held there)."""
    if asked in ("onsite", "video"):
        return asked
    return "onsite" if planned == "video" and not room.video else planned


def _release_replaced_interpreter(lead: User, session: Session, interpreter_id: int | None) -> list:
    """Cancel the bookings of an interpreter the move replaces (or drops), before the session moves: the
    cancellation names the time and place they accepted, and a late one is billed by that time (read
    after the move, it named the new day and billed nothing). Returns the e-mails."""
    from guidance.services.interpreter_bookings.requests import invitation
    from guidance.services.interpreter_bookings.state import ACTIVE, transition

    if session.interpreter_id is None or session.interpreter_id == interpreter_id:
        return []
    messages = []
    for booking in [b for b in session.bookings if b.status in ACTIVE]:
        transition(lead, booking, "cancel")
        messages.append(invitation(booking, "CANCEL"))
    return messages


def _tell_interpreters(lead: User, session: Session, old: tuple) -> tuple[list, bool]:
    """The same interpreter is asked again when time, place or way of interpreting changed (an
    unchanged assignment keeps its answer); a new interpreter is asked (the one replaced was released
    before the move). Returns the e-mails and whether an interpreter is asked (the lead is told only then)."""
    from guidance.services.interpreter_bookings.changes import session_changed
    from guidance.services.interpreter_bookings.requests import new_booking, request_messages
    from guidance.services.interpreter_bookings.state import ACTIVE

    start, location_id, interpreter_id, mode = old
    messages = []
    same_interpreter = interpreter_id is not None and interpreter_id == session.interpreter_id
    unchanged = same_interpreter and (start, location_id, mode) == (session.start, session.location_id,
                                                                    session.interpreter_mode)
    active = [b for b in session.bookings if b.status in ACTIVE]
    if unchanged:
        return messages, False
    if same_interpreter:
        # Joins the move's unit of work; its e-mails go after the commit.
        session_changed(lead, session, moved_from=start if start != session.start else None)
    if session.interpreter_id and not (same_interpreter and active):
        booking = new_booking(session)
        booking.sequence = (session.sequence or 0) + 1
        db.session.flush()
        messages += request_messages([booking], lead)
    return messages, session.interpreter_id is not None


def instance_today(county) -> dict:
    """The county's instance from today (today's sessions that have not started included): what a
    move is checked against and the engine suggests from. A page that needs both builds it once."""
    from guidance.planning import InstanceOptions, build_instance

    return build_instance(county, InstanceOptions(today=ids.local_today(), from_today=True))


def published_plan(county, instance: dict | None = None) -> tuple[dict, dict, dict[str, str]]:
    """(instance as of today, the published plan inside its horizon, room id -> room name).

    The instance carries no previous plan: the published plan itself is what is checked.
    `instance`: `instance_today(county)` already built (copied here, not changed)."""
    from guidance.planning.instance import published_sessions, session_dict
    from guidance.planning.store import PLAN_FORMAT
    from guidance.services.calendar import latest_per_uid

    instance = copy.deepcopy(instance) if instance is not None else instance_today(county)
    instance["previous_plan"], instance["frozen_until"] = None, None
    first, last = (dt.date.fromisoformat(instance["horizon"][k]) for k in ("start", "end"))
    booked = [s for s in latest_per_uid(published_sessions(county)) if s.status is SessionStatus.BOOKED
              and first <= ids.to_local(s.start).date() <= last]
    plan = {"format": PLAN_FORMAT, "instance": instance["name"], "sessions": [session_dict(s) for s in booked],
            "unscheduled": [], "stats": {"status": "PUBLISHED"}}
    room_ids = [ids.db_id(r["id"], "room") for loc in instance["locations"] for r in loc["rooms"]]
    names = {ids.room_id(r.id): r.name for r in db.session.scalars(select(Room).where(Room.id.in_(room_ids or [0])))}
    return instance, plan, names


def check_move(instance: dict, plan: dict, original: dict, moved: dict) -> list:
    """The checker's violations that moving `original` to `moved` (the same session in `plan`) causes.

    Only what the move can touch is checked: every session on the old and the new day (rooms,
    counsellors, interpreters and travel are judged per day) and every session of its participants
    (rule 2 across days). The whole county plan would take seconds; this takes milliseconds."""
    from solver.check import check_plan

    days = {original["start"][:10], moved["start"][:10]}
    members = set(moved["participants"])
    after = [s for s in plan["sessions"] if s["start"][:10] in days or members.intersection(s["participants"])]
    before = [original if s is moved else s for s in after]
    involved = {pid for s in after for pid in s["participants"]}
    part = {**instance, "participants": [p for p in instance["participants"] if p["id"] in involved]}
    return _new_violations(check_plan(part, {**plan, "sessions": before}).violations,
                           check_plan(part, {**plan, "sessions": after}).violations)


def _new_violations(before: list, after: list) -> list:
    """What the move breaks: any violation the published plan did not have already, the moved
    session's own included (a colleague's double booking, a room taken twice, the new counsellor's
    absence). What the session broke before and still breaks word for word is not the move's doing:
    an interpreter who declined it must not stop the lead from giving it to a colleague (that is the
    interpreter alert's business). Plan-consistency notes (rule 0) are about needs planned elsewhere."""
    from collections import Counter

    known = Counter((v.rule, v.session, v.message) for v in before)
    out = []
    for v in after:
        if v.rule == 0:
            continue
        key = (v.rule, v.session, v.message)
        if known[key] > 0:
            known[key] -= 1
            continue
        out.append(v)
    return out


# ---------------------------------------------------------------------------- suggested times

class Colleague(NamedTuple):
    counsellor_id: int
    name: str
    # Why they cannot hold it, in the lead's words (the move's first broken rule); "" when they can.
    refusal: str = ""


def colleagues_for(sessions: list[Session], instance: dict | None = None,
                   refused: bool = False) -> dict[int, list[Colleague]]:
    """For each of `sessions` of one county, the counsellors who can hold it at its own time and place,
    with its room and interpreter: each is the move's own check against the published plan (their
    hours, absences, other sessions and the day's travel, the training and the languages it needs),
    read once. For the morning a counsellor falls ill: the participants keep their letter and come as
    told, and the interpreter's assignment stands. Sessions that are not booked, not published or have
    started have none. With
    `refused`, the counsellors of the location who cannot hold it are listed too, each with why
    (`Colleague.refusal`): "nobody free" alone left the lead guessing (they work there, and are free)."""
    now = ids.clock()
    ahead = [s for s in sessions if s.status is SessionStatus.BOOKED and s.run.published_at is not None
             and s.start > now]
    if not ahead:
        return {}
    from guidance.services.rule_words import Words, explain

    instance, plan, names = published_plan(ahead[0].run.county, instance)
    by_id = {s["id"]: s for s in plan["sessions"]}
    out: dict[int, list[Colleague]] = {}
    for session in ahead:
        raw = by_id.get(ids.session_id(session.id))
        if raw is None:
            continue
        found = []
        for counsellor in instance["counsellors"]:
            if counsellor["id"] == raw["counsellor"] or raw["location"] not in counsellor["locations"]:
                continue
            given = {**raw, "counsellor": counsellor["id"]}
            trial = {**plan, "sessions": [given if s is raw else s for s in plan["sessions"]]}
            broken = check_move(instance, trial, raw, given)
            if broken and not refused:
                continue
            refusal = ""
            if broken:
                sentences = explain(Words(instance, trial, raw["id"], names), broken, rule_sentence)
                refusal = next((s for field in sentences.values() for s in field), rule_sentence(broken[0].rule))
            found.append(Colleague(ids.db_id(counsellor["id"], "C"), counsellor["name"], refusal))
        out[session.id] = sorted(found, key=lambda c: (bool(c.refusal), c.name.casefold()))
    return out


class MoveOptions(NamedTuple):
    """The engine's suggested places for a session, and the first day a new time may be on (None when
    the engine could not answer: then there is nothing to say about free times)."""

    options: list[dict]
    first_new: dt.date | None


def move_options(session: Session, top: int = 5, wish: Wish | None = None, instance: dict | None = None) -> MoveOptions:
    """The planning engine's best few places for a published session, as the move form's values.

    From `solver.recommend.recommend(instance, session=..., top=...)` (guidance-recommendation/1: each
    option's sessions are plan-format sessions, the moved one under its old id); if the engine fails
    there are no options and the form is the way to move. A suggested new time keeps the county's
    minimum notice, as a single booking does (the instance's `new_sessions_from`), so the participant
    and the interpreter hear of it in time; the participants keep their own dates (a deadline inside
    the notice cannot be kept, and the times after it are marked `after_deadline`); `wish` keeps only the days and hours the
    participant can come. Each option is checked again by `move_published_session` when the lead picks it.
    `instance`: `instance_today(county)` already built (copied here, not changed)."""
    import logging

    from solver import recommend as engine

    from guidance.planning import InstanceOptions

    target = ids.session_id(session.id)
    county = session.run.county
    first_new = InstanceOptions.for_one_booking(county, ids.local_today()).earliest_new
    try:
        instance = copy.deepcopy(instance) if instance is not None else instance_today(county)
        instance["new_sessions_from"] = first_new.isoformat()
        # A deadline before the first new time cannot be kept by any suggestion: the times after it are offered,
        # marked (a participant who could not come to the session before a deadline tomorrow had none at all).
        # And a from-date the lead chose after a deadline: times after it, marked, not "nothing fits your days".
        late = past_deadline(instance, session, max(first_new, (wish.not_before if wish else None) or first_new))
        # Today's sessions that have not started may move too (to a time after the notice).
        instance["frozen_until"] = ids.plan_minute(ids.clock())
        if session.outside_interpreter:  # the arrangement goes with the session: times need not fit a stand-in's
            from guidance.planning.instance import outside_stand_in, with_stand_in

            first, last = (dt.date.fromisoformat(instance["horizon"][k]) for k in ("start", "end"))
            with_stand_in(instance, outside_stand_in(session, first, last, anytime=True))
        answer = engine.recommend(instance, session=target, top=top, **(wish or Wish()).recommend_args())
        found = [s for option in answer.get("options", []) for s in option["sessions"] if s["id"] == target]
    except Exception:  # noqa: BLE001 - suggestions are a help; the form still works without them
        logging.getLogger(__name__).exception("move options failed for session %s", session.id)
        return MoveOptions([], None)
    names = {c["id"]: c["name"] for c in instance["counsellors"]} | {i["id"]: i["name"] for i in instance["interpreters"]}
    locations = {loc["id"]: loc["name"] for loc in instance["locations"]}
    rooms = {r.id: r.name for r in db.session.scalars(select(Room).where(Room.location_id.in_(
        [ids.db_id(loc["id"], "L") for loc in instance["locations"]] or [0])))}
    # The interpreter the session has booked (not one who said no): an option with another loses
    # that booking (the engine ranks such options after those that keep it).
    booked = session.interpreter if session.interpreter_id is not None and not session.interpreter_gone else None
    # A suggestion at another location says the participants' longest journey there and before: a Bergen group
    # was offered Stord first, and only "Find a time" showed travel.
    from guidance.planning.instance import instance_travel

    between = instance_travel(instance)
    homes = [sp.referral.participant.municipality.number for sp in session.participants]
    place_of = {loc["id"]: loc["place"] for loc in instance["locations"]}

    def journey(location_id: str) -> int | None:
        found = [between(home, place_of.get(location_id, "")) for home in homes]
        return max(found) if found and None not in found else None

    journey_was = journey(ids.location_id(session.location_id)) if session.mode != "video" else 0
    suggestions = []
    for raw in found:
        start = dt.datetime.strptime(raw["start"], "%Y-%m-%dT%H:%M")
        room_id = ids.db_id(raw["room"], "room")
        outside_kept = ids.is_outside_interpreter(raw.get("interpreter"))
        interpreter_id = ids.db_id(raw["interpreter"], "I") if raw.get("interpreter") and not outside_kept else 0
        suggestions.append({
            "day": start.date().isoformat(), "start_time": start.strftime("%H:%M"), "end_time": raw["end"][11:16],
            "room_id": room_id, "counsellor_id": ids.db_id(raw["counsellor"], "C"),
            "interpreter_id": interpreter_id,
            "interpreter_mode": raw.get("interpreter_mode") or "onsite",
            # How the participant takes part, as the engine weighed it: the move carries it, so a time the engine
            # found by video is not refused for the journey it would be on site (the letter says which).
            "mode": raw["mode"], "changes_mode": raw["mode"] != session.mode,
            "start": ids.to_utc(start), "location": locations.get(raw["location"], raw["location"]),
            "room": rooms.get(room_id, raw["room"]), "counsellor": names.get(raw["counsellor"], raw["counsellor"]),
            "interpreter": names.get(raw.get("interpreter") or "", ""),
            "replaces": booked.user.name if booked is not None and interpreter_id != booked.id else None,
            # An interpreter in Veiled instead of the one arranged outside it: the lead must tell them.
            "ends_outside": session.outside_interpreter if session.outside_interpreter and not outside_kept else None,
            # The journey the participant makes on site (none from home by video).
            "journey": journey(raw["location"]) if raw["mode"] != "video" and (
                raw["location"] != ids.location_id(session.location_id) or session.mode == "video") else None,
            "journey_was": journey_was,
            # Every suggested time is after these participants' deadlines: the move confirms it (the tag says so).
            "after_deadline": late, "confirm_late": "y" if late else "",
        })
        moved_to = suggestions[-1]
        # Further from home than the session is now: listed apart, so the earliest time is not taken for the best
        # (the first suggestion a lead clicked was Voss, 88 minutes from a Bergen participant's home).
        moved_to["longer_journey"] = moved_to["journey"] is not None and moved_to["journey"] > (journey_was or 0)

    def travels(option: dict) -> int:   # the participant's journey after the move (none from home by video)
        if option["mode"] == "video":
            return 0
        return option["journey"] if option["journey"] is not None else (journey_was or 0)

    # "Best fit" is the engine's first choice, unless another time is nearer the participant's home: a lead took the
    # engine's Voss, 88 minutes each way, for a Bergen participant with a Bergen time on the list.
    if suggestions and travels(suggestions[0]) <= min(travels(o) for o in suggestions):
        suggestions[0]["best"] = True
    return MoveOptions(suggestions, first_new)
