"""Individual sessions routed to counsellor-days by a min-cost flow, then booked.

Once the groups are placed, which participant gets which counsellor's free sessions of a
day is a transportation problem: every open individual need takes one unit of a
counsellor-day it may use or stays unplaced at its tier-1 price; the arc costs are the
objective's terms (solver/README.md, "groups first + flow"). Solved exactly, it trades slots
between participants as greedy placement in priority order cannot. Each routed need is then
booked at the first free time of its counsellor-day; what does not fit is left to the
greedy placement that follows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np
from ortools.graph.python import min_cost_flow

from .construct import Constructor, State
from .model_data import Prepared
from .objective import date_cost, new_counsellor_cost, open_needs_cost, seat_cost
from .rules import may_counsel


def route_individuals(prep: Prepared, state: State, builder: Constructor, tasks) -> int:
    """Book open individual needs where the flow routes them; returns how many were booked."""
    types = prep.instance.session_types
    open_tasks = [(p, t) for p, t in tasks if not types[t].is_group and (p, t) not in state.done]
    if not open_tasks:
        return 0
    capacity = _counsellor_days(prep, state, builder)
    video_locs = [l for l, loc in prep.locations.items() if any(r.video for r in loc.rooms)]
    interpreted_days = _interpreter_days(prep)

    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    cd_node = {cd: 2 + i for i, cd in enumerate(capacity)}
    task_base = 2 + len(capacity)
    cons_days: dict[str, list[int]] = {}
    for cid, day in sorted(capacity):
        cons_days.setdefault(cid, []).append(day)
    # Arcs are collected and added in one call (about 650,000 at county scale).
    tails: list[int] = []
    heads: list[int] = []
    capacities: list[int] = []
    costs: list[int] = []
    choices: list[tuple] = []   # per arc: (task, counsellor, day, location, mode, language) or None

    def arc(tail, head, cap, cost, choice=None):
        tails.append(tail)
        heads.append(head)
        capacities.append(cap)
        costs.append(cost)
        choices.append(choice)

    # Costs are scaled so that a rank below one unit can break exact ties in priority order
    # (the earlier referral first, as the greedy passes do) without outweighing any real cost.
    scale = len(open_tasks) + 1
    rank = {task: r for r, task in enumerate(sorted(open_tasks, key=lambda t: (prep.priority_key(t[0]), t[1])))}
    for i, (pid, typ) in enumerate(open_tasks):
        node = task_base + i
        arc(source, node, 1, 0)
        unplaced = open_needs_cost(prep, state, pid, (typ,)) * scale + (scale - 1 - rank[(pid, typ)])
        arc(node, sink, 1, unplaced)
        for (cid, day), option in _options(prep, state, builder, pid, typ, cons_days, video_locs,
                                           interpreted_days).items():
            arc(node, cd_node[(cid, day)], 1, option[0] * scale, (i, cid, day) + option[1:])
    for cd, cap in capacity.items():
        arc(cd_node[cd], sink, cap, 0)
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32), np.array(heads, dtype=np.int32),
        np.array(capacities, dtype=np.int64), np.array(costs, dtype=np.int64))
    flow.set_node_supply(source, len(open_tasks))
    flow.set_node_supply(sink, -len(open_tasks))
    if flow.solve() != flow.OPTIMAL:
        return 0

    used = flow.flows(arcs)
    routed = [(open_tasks[choice[0]],) + choice[1:]
              for choice, units in zip(choices, used.tolist()) if units and choice is not None]
    routed.sort(key=lambda r: (prep.priority_key(r[0][0]), r[0][1]))
    booked = 0
    for (pid, typ), cid, day, loc, mode, language in routed:
        b = builder.fit_on_day(pid, typ, loc, mode, day, cid, language)
        if b is not None:
            builder.book(b)
            booked += 1
    return booked


def _counsellor_days(prep: Prepared, state: State, builder: Constructor) -> dict[tuple[str, int], int]:
    """Free individual sessions per (counsellor, day): the daily maximum left, and no more
    than fit in their free time at their best location."""
    duration = min(t.minutes for t in prep.instance.session_types.values() if not t.is_group)
    out = {}
    for c in prep.instance.counsellors:
        for day in range(len(prep.days)):
            if not prep.cons_windows[c.id][day]:
                continue
            left = state.sessions_left(c.id, day)
            if left <= 0:
                continue
            fit = max(sum((e - s) // duration for s, e in state.counsellor_free(c.id, day, loc))
                      for loc in c.locations)
            if min(left, fit) > 0:
                out[(c.id, day)] = min(left, fit)
    return out


def _interpreter_days(prep: Prepared) -> set[tuple[str, int]]:
    """(language, day) with at least one interpreter at work."""
    out = set()
    for language, iids in prep.interpreters_by_language.items():
        for iid in iids:
            for day, windows in enumerate(prep.interp_windows[iid]):
                if windows:
                    out.add((language, day))
    return out


def _options(prep, state, builder, pid, typ, cons_days, video_locs, interpreted_days) -> dict:
    """Cheapest (cost, location, mode, language) per usable counsellor-day; ``cons_days``
    holds each counsellor's days with free capacity, in order."""
    p = prep.participants[pid]
    first, last = prep.day_range(p)
    met = state.met.get(pid, {})
    minutes = prep.instance.session_types[typ].minutes
    places = [(loc, "onsite") for loc in prep.reachable_locations(pid)]
    if p.video_ok:
        places += [(loc, "video") for loc in video_locs]
    out: dict = {}
    for c in prep.instance.counsellors:
        if not may_counsel(c, (p,)):
            continue
        days = cons_days.get(c.id)
        if not days:
            continue
        days = days[bisect_left(days, first):bisect_right(days, last)]
        language = prep.language_to_interpret(pid, c.id)
        other = new_counsellor_cost(prep, met, c.id)
        for loc, mode in places:
            if loc not in c.locations:
                continue
            cost = other + seat_cost(prep, pid, loc, mode, c.id)
            if language is not None:
                options = builder.interpreter_options(language, loc, minutes, 1)
                if not options:
                    continue
                cost += options[0][0]
            open_days = prep.loc_windows[loc]
            for day in days:
                if not open_days[day] or not prep.works_there(c.id, loc, day):
                    continue
                if language is not None and (language, day) not in interpreted_days:
                    continue
                total = cost + date_cost(prep, day)
                known = out.get((c.id, day))
                if known is None or total < known[0]:
                    out[(c.id, day)] = (total, loc, mode, language)
    return out
