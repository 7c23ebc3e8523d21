"""The planner's rule check: one home for whether a session keeps the hard rules of PROBLEM.md.

:func:`session_problems` checks one booking against the working plan (every rule a single
session can break, with the rule's number); the small predicates below are the parts the
passes ask about before building a session (rule 4's "may this counsellor take these
participants", rule 5's "is this participant covered", "may this participant join this
group"), so no pass restates a rule. The independent referee is ``solver.check``,
which shares formats, not logic, with this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from . import calendar as cal

if TYPE_CHECKING:  # type hints only
    from .construct import Booking, State
    from .formats import Counsellor, Participant
    from .model_data import Prepared

NEEDS_MULTICULTURAL = ("integration_act", "temporary_act")


def needs_multicultural(p: Participant) -> bool:
    """Rule 4: integration-act and temporary-act participants need trained counsellors."""
    return p.legal_basis in NEEDS_MULTICULTURAL


def may_counsel(c: Counsellor, participants: Iterable[Participant]) -> bool:
    """Rule 4: the counsellor may take every one of these participants."""
    return c.multicultural or not any(needs_multicultural(p) for p in participants)


def covered(p: Participant, c: Counsellor, language: str | None, interpreter: str | None) -> bool:
    """Rule 5: the participant needs no interpreter, the counsellor speaks their language, or
    the session's interpreter interprets it."""
    return not p.needs_interpreter or p.language in c.languages or (interpreter is not None and language == p.language)


def may_join(prep: Prepared, state: State, group: Booking, pid: str, leaving: int, joining: int = 0) -> bool:
    """May the participant take one more seat in a placed group, beside ``joining`` others who
    join it too? Rules 8 and 9 (size and room), the participant's reach, rule 2 (dates, and no
    clash with their sessions other than ``leaving``, the key of the one they give up), rule 4
    and rule 5 (the group's counsellor or interpreter covers them)."""
    spec = prep.instance.session_types[group.type]
    size = len(group.participants) + joining + 1
    if size > (spec.max_size or size) or size > prep.rooms[group.room][1].capacity \
            or group.location not in prep.reachable_locations(pid):
        return False
    p = prep.participants[pid]
    first, last = prep.day_range(p)
    if not first <= group.day <= last:
        return False
    c = prep.counsellors[group.counsellor]
    if not may_counsel(c, (p,)) or not covered(p, c, group.language, group.interpreter):
        return False
    return not participant_busy(prep, state, pid, group.day, group.start, group.end,
                                participant_place(prep, pid, group.location, group.mode), ignore=leaving)


def participant_place(prep: Prepared, pid: str, location: str, mode: str) -> str:
    """Where the participant is for a session (an addition to rule 2, solver/README.md): the
    location's place on site, their own place by video (they take it from home)."""
    return prep.locations[location].place if mode == "onsite" else prep.participants[pid].place


def interpreter_place(prep: Prepared, iid: str, location: str, mode: str) -> str:
    """Where the interpreter is for a booking (an addition to rule 6, solver/README.md): the
    location's place on site, their own place by video or phone (remote interpreting is done from
    home, never on the road between two centres)."""
    return prep.locations[location].place if mode == "onsite" else prep.interpreters[iid].place


def journey_minutes(prep: Prepared, where: str, place: str) -> int:
    """Minutes a participant or an interpreter needs between a session where they are at place
    ``where`` and one at ``place`` on the same day (as a counsellor's journey, rule 3); 0 in the
    same place, and none around a time the participant cannot come (no place: State.part's busy times)."""
    return 0 if where == place or where is None else prep.travel.minutes(where, place)


def participant_busy(prep: Prepared, state: State, pid: str, day: int, start: int, end: int, place: str,
                     ignore: int | None = None) -> bool:
    """Rule 2: does a session of the participant that day (other than the one with key ``ignore``)
    overlap [start, end), or lie nearer in time than the journey between where they are for it and
    ``place`` (``participant_place`` of the new session)?"""
    for s, e, where, key in state.part.get((pid, day), ()):
        if key == ignore:
            continue
        t = journey_minutes(prep, where, place)
        if s < end + t and start < e + t:
            return True
    return False


def session_problems(prep: Prepared, state: State, b: Booking) -> list[str]:
    """Hard-rule problems of adding a booking to the state (empty when valid)."""
    inst = prep.instance
    spec = inst.session_types[b.type]
    problems = []
    loc = prep.locations.get(b.location)
    c = prep.counsellors.get(b.counsellor)
    if loc is None or c is None or prep.rooms.get(b.room, (None,))[0] is not loc:
        return ["unknown location, room or counsellor"]
    room = prep.rooms[b.room][1]
    # Rule 1: grid, duration, working day, opening hours.
    if b.start % inst.slot_minutes or b.end - b.start != spec.minutes:
        problems.append("rule 1: grid or duration")
    if not cal.contains(prep.loc_windows[loc.id][b.day], b.start, b.end):
        problems.append("rule 1: location closed")
    # Rule 2 and 9: participants.
    for pid in b.participants:
        first, last = prep.day_range(prep.participants[pid], new=not b.fixed)
        if not first <= b.day <= last:
            problems.append(f"rule 2: {pid} outside earliest..deadline")
        if participant_busy(prep, state, pid, b.day, b.start, b.end, participant_place(prep, pid, b.location, b.mode)):
            problems.append(f"rule 2: {pid} double-booked or no time to travel")
        if b.mode == "onsite" and not prep.may_attend(pid, loc.id):
            problems.append(f"rule 9: {pid} too far or no step-free access")
    # Rule 3 and 4: counsellor.
    # (no free time where the counsellor does not work, or not that weekday: Prepared.counsellor_at)
    if not cal.contains(state.counsellor_free(c.id, b.day, loc.id), b.start, b.end):
        problems.append("rule 3: counsellor unavailable")
    if state.sessions_left(c.id, b.day) <= 0:
        problems.append("rule 3: counsellor day full")
    if not may_counsel(c, (prep.participants[m] for m in b.participants)):
        problems.append("rule 4: counsellor not multicultural")
    # Rule 5 and 6: coverage and interpreter.
    uncovered = {prep.participants[m].language for m in b.participants
                 if prep.participants[m].needs_interpreter and prep.participants[m].language not in c.languages}
    if uncovered - {b.language} or (b.language is None) != (b.interpreter is None):
        problems.append("rule 5: participant not covered")
    if b.interpreter is not None:
        it = prep.interpreters.get(b.interpreter)
        if (it is None or b.language not in it.languages or b.interpreter_mode not in it.modes
                or not state.interpreter_ok(it.id, b.day, b.start, b.end, loc.id, b.interpreter_mode)):
            problems.append("rule 6: interpreter unavailable")
    # Rule 7 and 8: modes and rooms.
    size = len(b.participants)
    if b.mode == "video" and (spec.is_group or not room.video
                              or not all(prep.participants[m].video_ok for m in b.participants)):
        problems.append("rule 7: video not allowed")
    if (b.interpreter_mode == "phone" and spec.is_group) or (b.interpreter_mode == "video" and not room.video):
        problems.append("rule 7: interpreter mode not allowed")
    if size > room.capacity or not state.room_free(room.id, b.day, b.start, b.end):
        problems.append("rule 8: room")
    if spec.is_group and not (spec.min_size or 1) <= size <= (spec.max_size or size):
        problems.append("rule 8: group size")
    if not spec.is_group and size != 1:
        problems.append("rule 8: individual session with several participants")
    return problems
