"""Group formation: which participants share a group session.

Groups share one location and at most one interpreted language (rule 5), fit between
min_size and max_size and the largest group room (rule 8), and their members need a common
day between earliest and deadline (rule 2). Participants without an interpreter need fill
language groups first, so small language communities still reach min_size.
"""

from __future__ import annotations

import math

from .model_data import Prepared


def form_groups(prep: Prepared, typ: str, pids: list[str]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Split participants needing group type ``typ`` into groups; returns (groups, left_out)."""
    spec = prep.instance.session_types[typ]
    min_size = spec.min_size or 1
    by_location: dict[str, list[str]] = {}
    left_out: list[str] = []
    for pid in pids:
        loc = primary_location(prep, pid, min_size)
        if loc is None:
            left_out.append(pid)
        else:
            by_location.setdefault(loc, []).append(pid)
    groups: list[tuple[str, ...]] = []
    for loc in sorted(by_location):
        max_size = min(spec.max_size or 10**6, largest_room(prep, loc))
        made, rest = _groups_at(prep, by_location[loc], min_size, max_size)
        groups += made
        left_out += rest
    return groups, left_out


def primary_location(prep: Prepared, pid: str, min_size: int) -> str | None:
    """Nearest reachable location with a room that can hold a group."""
    for loc in prep.reachable_locations(pid):
        if largest_room(prep, loc) >= min_size:
            return loc
    return None


def largest_room(prep: Prepared, loc: str) -> int:
    return max((r.capacity for r in prep.locations[loc].rooms), default=0)


def _groups_at(prep: Prepared, pids: list[str], min_size: int, max_size: int):
    """Groups at one location: one bucket per interpreted language, fillers top them up."""
    by_language: dict[str | None, list[str]] = {}
    for pid in pids:
        p = prep.participants[pid]
        by_language.setdefault(p.language if p.needs_interpreter else None, []).append(pid)
    fillers = sorted(by_language.pop(None, []), key=prep.priority_key)
    groups, left_out = [], []
    for language in sorted(by_language, key=lambda lang: (-len(by_language[lang]), lang)):
        members = sorted(by_language[language], key=prep.priority_key)
        while len(members) < min_size and fillers:
            members.append(fillers.pop(0))
        if len(members) < min_size:
            left_out += members
            continue
        made, rest = _chunk(prep, members, min_size, max_size)
        groups += made
        left_out += rest
    if fillers:
        made, rest = _chunk(prep, fillers, min_size, max_size)
        groups += made
        left_out += rest
    return groups, left_out


def _chunk(prep: Prepared, members: list[str], min_size: int, max_size: int):
    """Deadline-ordered chunks of balanced size whose members share at least one day."""
    members = sorted(members, key=lambda m: (prep.day_range(prep.participants[m])[1], m))
    count = max(1, math.ceil(len(members) / max_size))
    target = math.ceil(len(members) / count)
    groups, current, left_out = [], [], []
    lo, hi = -1, 10**9
    for m in members:
        first, last = prep.day_range(prep.participants[m])
        if len(current) >= target or max(lo, first) > min(hi, last):
            if len(current) >= min_size:
                groups.append(tuple(current))
            else:
                left_out += current
            current, lo, hi = [], -1, 10**9
        current.append(m)
        lo, hi = max(lo, first), min(hi, last)
    if len(current) >= min_size:
        groups.append(tuple(current))
    elif groups and len(groups[-1]) + len(current) <= max_size and _common(prep, groups[-1] + tuple(current)):
        groups[-1] = groups[-1] + tuple(current)
    else:
        left_out += current
    return groups, left_out


def _common(prep: Prepared, members) -> bool:
    ranges = [prep.day_range(prep.participants[m]) for m in members]
    return max(r[0] for r in ranges) <= min(r[1] for r in ranges)
