"""Why a required session is unscheduled: reasons found by analysis, not a blanket default.

``static_reason`` finds tasks no plan can ever place (checked before planning, so the planner
does not waste effort on them); ``final_reason`` explains a task the planner did not place.
"""

from __future__ import annotations

from . import calendar as cal
from .construct import Constructor, State
from .model_data import Prepared
from .rules import may_counsel, needs_multicultural


def static_reason(prep: Prepared, pid: str, typ: str) -> tuple[str, str] | None:
    """(reason, detail) when no plan can schedule this session, else None."""
    p = prep.participants[pid]
    inst = prep.instance
    spec = inst.session_types[typ]
    if p.earliest and p.deadline and p.deadline < p.earliest:
        return ("deadline_before_earliest",
                f"deadline {p.deadline} is before earliest start {p.earliest}")
    first, last = prep.day_range(p)
    if first > last:
        return ("no_working_day_before_deadline",
                f"no working day between {p.earliest or inst.horizon.start} and "
                f"{p.deadline or inst.horizon.end} inside the horizon {inst.horizon.start}..{inst.horizon.end}")
    options = option_locations(prep, pid, typ)
    if not any(loc.rooms for loc in inst.locations):
        return ("no_location_with_rooms", "the instance has no location with a room")
    if not options:
        limit = inst.max_participant_travel_minutes
        near = sorted(l for l in prep.locations if prep.participant_travel(pid, l) <= limit and prep.locations[l].rooms)
        if p.needs_step_free and near:
            return ("no_step_free_location",
                    f"no location within {limit} min has step-free access ({', '.join(near)} have steps)"
                    + ("" if spec.is_group or p.video_ok else "; participant cannot take video"))
        nearest = min((prep.participant_travel(pid, l) for l in prep.locations), default=None)
        return ("too_far_from_any_location",
                f"nearest location is {nearest} min away (limit {limit} min)"
                + ("" if spec.is_group or p.video_ok else "; participant cannot take video"))
    qualified = qualified_counsellors(prep, pid, options)
    if not qualified:
        need = "multicultural-trained counsellor" if needs_multicultural(prep.participants[pid]) else "counsellor"
        return ("no_qualified_counsellor", f"no {need} works at {', '.join(sorted(options))}")
    speaks = p.needs_interpreter and any(p.language in prep.counsellors[c].languages for c in qualified)
    interpreters = usable_interpreters(prep, pid, typ, options) if p.needs_interpreter and not speaks else None
    if interpreters is not None and not interpreters:
        return ("no_interpreter_for_language",
                f"no interpreter for {p.language!r} with a usable mode"
                f"{' for group sessions' if spec.is_group else ''}")
    # Availability: a day with a qualified counsellor (and an interpreter, if one is needed).
    counsellor_days = 0
    for d in range(first, last + 1):
        if not any(_counsellor_day(prep, c, d, options, spec.minutes) for c in qualified):
            continue
        counsellor_days += 1
        if interpreters is None:
            return None
        staff = _staff_windows(prep, tuple(qualified), d, tuple(options))
        if any(cal.grid_starts(cal.intersect_windows(staff, prep.interp_windows[i][d]), spec.minutes,
                               inst.slot_minutes) for i in interpreters):
            return None
    if not counsellor_days:
        return ("no_counsellor_available",
                f"no qualified counsellor works at a reachable location between "
                f"{prep.days[first]} and {prep.days[last]}")
    return ("no_interpreter_for_language",
            f"no interpreter for {p.language!r} works at the same time as a qualified counsellor "
            f"between {prep.days[first]} and {prep.days[last]}")


def final_reason(prep: Prepared, pid: str, typ: str, grouped: bool) -> tuple[str, str]:
    """Reason for a need the planner left unscheduled although no static reason applies.

    The need is tried alone in an empty plan: if it fits there, other sessions took the
    capacity (or, for groups, no group could be formed); if not, the combination of hours
    (counsellor, opening, interpreter) never lines up, and we say which part is missing.
    """
    spec = prep.instance.session_types[typ]
    p = prep.participants[pid]
    first, last = prep.day_range(p)
    alone = _fits_alone(prep, pid, typ)
    if alone and spec.is_group and not grouped:
        return ("group_too_small",
                f"fewer than {spec.min_size} participants at a reachable location share a "
                f"language and dates with this participant")
    if alone:
        # Without a deadline inside the horizon the capacity runs out with the planning
        # period, not at a deadline: the code stays (leads act on it the same way), the words
        # say which it is.
        until = ("the deadline " if p.deadline is not None and p.deadline <= prep.instance.horizon.end
                 else "the end of the planning period ")
        return ("no_capacity_before_deadline",
                f"counsellors, rooms or interpreters are fully booked until {until}{prep.days[last]}")
    if p.needs_interpreter and _fits_alone(prep, pid, typ, drop_interpreter=True):
        return ("no_interpreter_for_language",
                f"no interpreter for {p.language!r} is free at the same time as a qualified "
                f"counsellor and a room between {prep.days[first]} and {prep.days[last]}")
    return ("no_counsellor_available",
            f"no qualified counsellor is at work while a reachable location is open "
            f"between {prep.days[first]} and {prep.days[last]}")


def _fits_alone(prep: Prepared, pid: str, typ: str, drop_interpreter: bool = False) -> bool:
    """Could this need be placed in an otherwise empty plan (group size ignored)?"""
    original = prep.participants[pid]
    if drop_interpreter:
        prep.participants[pid] = original.model_copy(update={"needs_interpreter": False})
    try:
        builder = Constructor(prep, State(prep))
        p = prep.participants[pid]
        first, last = prep.day_range(p)
        if prep.instance.session_types[typ].is_group:
            return any(builder.first_fit((pid,), typ, loc, "onsite", first, last) is not None
                       for loc in builder.group_locations((pid,)))
        return builder.place_individual(pid, typ) is not None
    finally:
        prep.participants[pid] = original


def option_locations(prep: Prepared, pid: str, typ: str) -> list[str]:
    """Locations where the session could take place (on-site reach, or video rooms)."""
    spec = prep.instance.session_types[typ]
    p = prep.participants[pid]
    locs = set(prep.reachable_locations(pid))
    if spec.is_group:
        locs = {l for l in locs if any(r.capacity >= (spec.min_size or 1) for r in prep.locations[l].rooms)}
    elif p.video_ok:
        locs |= {l for l, loc in prep.locations.items() if any(r.video for r in loc.rooms)}
    return sorted(l for l in locs if prep.locations[l].rooms)


def qualified_counsellors(prep: Prepared, pid: str, options: list[str]) -> list[str]:
    """Counsellors working at an option location, trained where rule 4 asks for it."""
    p = prep.participants[pid]
    return [c.id for c in prep.instance.counsellors if may_counsel(c, (p,)) and set(c.locations) & set(options)]


def usable_interpreters(prep: Prepared, pid: str, typ: str, options: list[str]) -> list[str]:
    """Interpreters with the participant's language and a mode the session can use (rule 7)."""
    lang = prep.participants[pid].language
    group = prep.instance.session_types[typ].is_group
    min_size = prep.instance.session_types[typ].min_size or 1 if group else 1
    video_room = any(r.video and r.capacity >= min_size for l in options for r in prep.locations[l].rooms)
    out = []
    for iid in prep.interpreters_by_language.get(lang, []):
        modes = set(prep.interpreters[iid].modes)
        if "onsite" in modes or ("video" in modes and video_room) or ("phone" in modes and not group):
            out.append(iid)
    return out


def _staff_windows(prep: Prepared, qualified: tuple, day: int, options: tuple) -> cal.Windows:
    """When any qualified counsellor is at work at an option location on a day (merged)."""
    key = (qualified, day, options)
    memo = prep.memo.setdefault("staff_windows", {})
    if key not in memo:
        windows = []
        for cid in qualified:
            for loc in set(prep.counsellors[cid].locations) & set(options):
                windows += prep.counsellor_at(cid, loc, day)
        memo[key] = cal.merge_windows(windows)
    return memo[key]


def _counsellor_day(prep: Prepared, cid: str, day: int, options: list[str], minutes: int) -> bool:
    """Whether the counsellor has time for a session of ``minutes`` at an option location
    that day (hours, opening hours, the grid; memoised)."""
    key = (cid, day, tuple(options), minutes)
    memo = prep.memo.setdefault("counsellor_day", {})
    if key not in memo:
        c = prep.counsellors[cid]
        memo[key] = c.max_sessions_per_day >= 1 and any(
            cal.grid_starts(prep.counsellor_at(cid, loc, day), minutes, prep.instance.slot_minutes)
            for loc in set(c.locations) & set(options))
    return memo[key]
