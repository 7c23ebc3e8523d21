"""A lead's hand edits of a reviewed plan: pin a session, or move/re-staff it.

Every edit is checked by the solver's independent checker against the run's own instance;
an edit that breaks a hard rule is refused with the rule named in the lead's language.
An edited session is pinned: the lead knows better, so later runs keep it.
"""
from __future__ import annotations

import datetime as dt
import json

from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _

from guidance.extensions import db
from guidance.models import InterpreterProfile, Room, RunStatus, Session, SessionStatus, User
from guidance.planning import ids
from guidance.planning.store import plan_from_sessions
from guidance.services import audit
from guidance.services.errors import DomainError

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
    9: _l("The location is too far from where a participant lives."),
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
                 interpreter_id: int | None, interpreter_mode: str | None) -> Session:
    """Move or re-staff a session of an unpublished plan; refuses with the broken rules named.

    `start` is an Oslo wall-clock time (naive). The session's length stays its type's length.
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
               counsellor=ids.counsellor_id(counsellor_id), language=language,
               interpreter=ids.interpreter_id(interpreter_id) if interpreter_id else None,
               interpreter_mode=interpreter_mode)
    if raw["mode"] == "video" and not room.video:
        raw["mode"] = "onsite"
    before = {(v.rule, v.session) for v in check_plan(instance, json.loads(run.plan_json)).violations}
    result = check_plan(instance, plan)
    broken = sorted({v.rule for v in result.violations if (v.rule, v.session) not in before})
    if broken:
        sentences = [rule_sentence(rule) for rule in broken]
        raise DomainError(_("This change breaks a planning rule, so it was not saved.") + " " + " ".join(sentences),
                          {"start_time": sentences})
    session.start, session.end = ids.to_utc(start), ids.to_utc(start + dt.timedelta(minutes=minutes))
    session.room_id, session.location_id, session.counsellor_id = room.id, room.location_id, counsellor_id
    session.interpreter_id, session.interpreter_mode, session.language = interpreter_id or None, interpreter_mode, language
    session.mode = raw["mode"]
    session.pinned = True
    plan["stats"] = json.loads(run.plan_json).get("stats", {})
    run.plan_json = json.dumps(plan, ensure_ascii=False)
    run.metrics = {**result.metrics, "violated_rules": sorted(result.rules_broken())}
    audit.record(lead, "planning.session_edited", session, {"run": run.id})
    db.session.commit()
    return session


def _interpreted_language(session: Session, instance: dict) -> str | None:
    """The language of the session's participants who need an interpreter (the first one found)."""
    members = {ids.participant_id(sp.referral_id) for sp in session.participants}
    for p in instance["participants"]:
        if p["id"] in members and p["needs_interpreter"]:
            return p["language"]
    return None
