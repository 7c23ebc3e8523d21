"""Group formation: which participants share a group session.

Groups share one location and at most one interpreted language (rule 5), fit between
min_size and max_size and the largest group room (rule 8), and their members need a common
day between earliest and deadline (rule 2). Participants without an interpreter need are
kept until the language groups are formed, then go first to the language groups they make
possible, so small language communities still reach min_size.
"""

from __future__ import annotations

import math

from .model_data import Prepared


def form_groups(prep: Prepared, typ: str, pids: list[str]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Split participants needing group type ``typ`` into groups; returns (groups, left_out).

    Interpreted participants first: a bucket per language at each participant's nearest
    location; those left out join a group of their language with room at any reachable
    location, then are grouped again at the reachable location that gathers most of them.
    Only then do participants without an interpreter need ("fillers") go where they make a
    group possible (``_fill``: the bucket below ``min_size`` that needs fewest of them first);
    the remaining fillers form groups of their own, and whoever is still out joins any
    compatible group or is regrouped as before.
    """
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
    fillers = {loc: [p for p in here if language_key(prep, p, loc) is None] for loc, here in by_location.items()}
    groups: list[_Group] = []
    for loc in sorted(by_location):
        interpreted = [p for p in by_location[loc] if language_key(prep, p, loc) is not None]
        made, rest = _groups_at(prep, loc, interpreted, min_size, _max_size(prep, spec, loc))
        groups += [_Group(loc, list(g), _language(prep, loc, g)) for g in made]
        left_out += rest
    left_out = _join_existing(prep, spec, groups, left_out)
    groups += _regroup(prep, spec, left_out, min_size)
    placed = {m for g in groups for m in g.members}
    spare = sorted((p for here in fillers.values() for p in here), key=prep.priority_key)
    short = [p for p in left_out if p not in placed and prep.reachable_locations(p)]
    groups += _fill(prep, spec, short, spare, min_size)
    placed = {m for g in groups for m in g.members}
    left_out = [p for p in left_out if p not in placed]
    for loc in sorted(fillers):
        here = [p for p in fillers[loc] if p not in placed]
        made, rest = _groups_at(prep, loc, here, min_size, _max_size(prep, spec, loc))
        groups += [_Group(loc, list(g), None) for g in made]
        left_out += rest
    left_out = _join_existing(prep, spec, groups, left_out)
    groups += _regroup(prep, spec, left_out, min_size)
    placed = {m for g in groups for m in g.members}
    return [tuple(g.members) for g in groups], [p for p in pids if p not in placed]


def _fill(prep: Prepared, spec, short: list[str], fillers: list[str], min_size: int) -> list[_Group]:
    """Groups for interpreted participants too few to meet ``min_size``, completed by fillers.

    Repeatedly takes the (language, location) bucket of short participants that needs fewest
    others to reach ``min_size`` (then the one with most members, the most urgent, the least
    travel) and completes it with the nearest fillers (``fillers`` is consumed). Every member
    shares a day.
    (Taking a spare member of a same-language group above ``min_size`` as well closed one
    more small group on 46-normal-40-w2 but lowered tier 1 of 18-crunch-2000's construction:
    more small groups, more counsellor slots.)
    """
    out: list[_Group] = []
    short = list(short)
    while short:
        best = None
        for loc in sorted({l for p in short for l in prep.reachable_locations(p)}):
            if _max_size(prep, spec, loc) < min_size:
                continue
            buckets: dict[str | None, list[str]] = {}
            for pid in short:
                if loc in prep.reachable_locations(pid):
                    buckets.setdefault(language_key(prep, pid, loc), []).append(pid)
            for language, members in buckets.items():
                members = _sharing(prep, sorted(members, key=prep.priority_key), [])[:_max_size(prep, spec, loc)]
                others = sorted((f for f in fillers if loc in prep.reachable_locations(f)),
                                key=lambda f: (prep.participant_travel(f, loc), prep.priority_key(f)))
                extra = _sharing(prep, others, members)[:max(0, min_size - len(members))]
                if len(members) + len(extra) < min_size:
                    continue
                key = (min_size - len(members), -len(members), min(prep.priority_key(m) for m in members),
                       sum(prep.participant_travel(m, loc) for m in members + extra), loc, language or "")
                if best is None or key < best[0]:
                    best = (key, loc, language, members, extra)
        if best is None:
            break
        _key, loc, language, members, extra = best
        fillers[:] = [f for f in fillers if f not in extra]
        out.append(_Group(loc, members + extra, language))
        short = [p for p in short if p not in members]
    return out


def _sharing(prep: Prepared, candidates: list[str], members: list[str]) -> list[str]:
    """The candidates, in order, that can join ``members`` keeping a common day."""
    taken: list[str] = []
    for c in candidates:
        if c not in taken and _common(prep, members + taken + [c]):
            taken.append(c)
    return taken


class _Group:
    def __init__(self, loc: str, members: list[str], language: str | None):
        self.loc, self.members, self.language = loc, members, language


def _max_size(prep: Prepared, spec, loc: str) -> int:
    return min(spec.max_size or 10**6, largest_room(prep, loc))


def language_key(prep: Prepared, pid: str, loc: str) -> str | None:
    """The language a participant needs interpreted at a location (None: covered anyway).

    A language every counsellor at the location speaks needs no interpreter (rule 5).
    """
    p = prep.participants[pid]
    if not p.needs_interpreter:
        return None
    memo = prep.memo.setdefault("spoken_by_all", {})
    if loc not in memo:
        staff = [c for c in prep.instance.counsellors if loc in c.locations]
        memo[loc] = set.intersection(*(set(c.languages) for c in staff)) if staff else set()
    return None if p.language in memo[loc] else p.language


def _language(prep: Prepared, loc: str, members) -> str | None:
    keys = {language_key(prep, m, loc) for m in members} - {None}
    return next(iter(keys)) if keys else None


def _join_existing(prep: Prepared, spec, groups: list[_Group], left_out: list[str]) -> list[str]:
    """Let left-out participants join a compatible group that has room (pass 2)."""
    rest = []
    for pid in sorted(left_out, key=prep.priority_key):
        reach = prep.reachable_locations(pid)
        options = sorted((g for g in groups if g.loc in reach),
                         key=lambda g: (prep.participant_travel(pid, g.loc), len(g.members)))
        for g in options:
            key = language_key(prep, pid, g.loc)
            if len(g.members) >= _max_size(prep, spec, g.loc) or (key and g.language not in (None, key)):
                continue
            if not _common(prep, g.members + [pid]):
                continue
            g.members.append(pid)
            g.language = g.language or key
            break
        else:
            rest.append(pid)
    return rest


def _regroup(prep: Prepared, spec, rest: list[str], min_size: int) -> list[_Group]:
    """Group the remaining participants at the reachable location that gathers most (pass 3)."""
    out: list[_Group] = []
    rest = [p for p in rest if prep.reachable_locations(p)]
    tried: set[str] = set()
    while rest:
        counts: dict[str, int] = {}
        for pid in rest:
            for loc in prep.reachable_locations(pid):
                if loc not in tried and largest_room(prep, loc) >= min_size:
                    counts[loc] = counts.get(loc, 0) + 1
        if not counts:
            break
        loc = max(sorted(counts), key=lambda l: counts[l])
        tried.add(loc)
        here = [p for p in rest if loc in prep.reachable_locations(p)]
        made, _left = _groups_at(prep, loc, here, min_size, _max_size(prep, spec, loc))
        done = {m for g in made for m in g}
        out += [_Group(loc, list(g), _language(prep, loc, g)) for g in made]
        rest = [p for p in rest if p not in done]
    return out


def primary_location(prep: Prepared, pid: str, min_size: int) -> str | None:
    """Nearest reachable location with a room that can hold a group."""
    for loc in prep.reachable_locations(pid):
        if largest_room(prep, loc) >= min_size:
            return loc
    return None


def largest_room(prep: Prepared, loc: str) -> int:
    return max((r.capacity for r in prep.locations[loc].rooms), default=0)


def _groups_at(prep: Prepared, loc: str, pids: list[str], min_size: int, max_size: int):
    """Groups at one location: one bucket per interpreted language, fillers top them up."""
    by_language: dict[str | None, list[str]] = {}
    for pid in pids:
        by_language.setdefault(language_key(prep, pid, loc), []).append(pid)
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
    """Balanced groups whose members share at least one day: the tightest deadline opens a
    group, which takes the next members (deadline order) whose dates still overlap."""
    def window(m):
        return prep.day_range(prep.participants[m])

    remaining = sorted(members, key=lambda m: (window(m)[1], window(m)[0], m))
    count = max(1, math.ceil(len(members) / max_size))
    target = min(max_size, max(min_size, math.ceil(len(members) / count)))
    groups, left_out = [], []
    while remaining:
        lo, hi = window(remaining[0])
        group = [remaining[0]]
        for m in remaining[1:]:
            if len(group) >= target:
                break
            first, last = window(m)
            if max(lo, first) <= min(hi, last):
                group.append(m)
                lo, hi = max(lo, first), min(hi, last)
        taken = set(group)
        remaining = [m for m in remaining if m not in taken]
        if len(group) >= min_size:
            groups.append(tuple(group))
        else:
            left_out.append(group[0])
            remaining = group[1:] + remaining
            remaining.sort(key=lambda m: (window(m)[1], window(m)[0], m))
    return _top_up(prep, groups, left_out, max_size)


def _top_up(prep: Prepared, groups, left_out, max_size):
    """Left-outs join a group with room whose dates they share."""
    groups = [list(g) for g in groups]
    rest = []
    for m in left_out:
        for g in sorted(groups, key=len):
            if len(g) < max_size and _common(prep, g + [m]):
                g.append(m)
                break
        else:
            rest.append(m)
    return [tuple(g) for g in groups], rest


def _common(prep: Prepared, members) -> bool:
    first, last = prep.common_days(members)
    return first <= last
