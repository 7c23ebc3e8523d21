"""The planner: ``solve(instance) -> Plan``.

The pipeline (solver/README.md "Pipeline"): the previous plan kept, needs no plan can place
explained, groups formed and the plan constructed (several strategies, the best kept), then
relocation, the LNS, the filling, the exchange and seat-reassignment rounds, the continuity repair and
the load balance. Every step keeps every hard rule of PROBLEM.md, and after construction no
step makes the plan's tiers worse (solver/README.md "Objective").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Callable

from .balance import balance_load
from .config import SolverConfig, load_config
from .construct import Booking, Caseload, Constructor, State, booking_from_session, session_from_booking
from .continuity import improve_continuity
from .exchange import exchange_leaders, exchange_seats, exchange_slots, hand_over
from .fill import fill
from .flow import route_individuals
from .formats import Instance, Plan, Stats, Unscheduled, load_instance
from .lns import improve
from .model_data import Prepared, prepare
from .model_groups import form_groups
from .model_reasons import final_reason, static_reason
from .objective import lower_bound, plan_objective, plan_tiers, terms
from .reassign import reassign
from .relocate import relocate
from .rules import session_problems

Progress = Callable[[dict], None]


def solve(instance: Instance | dict, time_limit: float = 60.0, workers: int = 2, seed: int = 0,
          on_progress: Progress | None = None, config: SolverConfig | dict | None = None) -> Plan:
    """Plan an instance (model or dict) within ``time_limit`` seconds; ``config``: weights,
    time shares and search limits (solver.config; None for the defaults).

    Same instance, seed, workers and config give the same plan unless the wall clock cuts the
    search short on a loaded machine (see README "Determinism"). Raises FormatError on bad input.
    """
    started = time.monotonic()
    instance = load_instance(instance)
    prep = prepare(instance, load_config(config))
    shares = prep.config.time
    run = _Run(prep, started, time_limit, on_progress)
    state = State(prep)
    previous = keep_previous(prep, state)
    tasks, impossible = required_tasks(prep, state)
    grouped, run.group_units = construct(prep, state, tasks, stop_at=started + shares.construction_stop * time_limit,
                                         strategy=STRATEGIES[0])
    run.previous, run.tasks, run.impossible = previous, tasks, impossible
    run.report(state)
    best = plan_tiers(prep, state, previous)
    took = run.elapsed()
    for strategy in STRATEGIES[1:]:
        # Which construction wins depends on how tight capacity is (see Strategy); the others
        # run while they fit in a quarter of the time limit, and the objective decides.
        if run.elapsed() + 1.5 * took > shares.construction * time_limit:
            break
        other = State(prep)
        keep_previous(prep, other)
        other_grouped, other_units = construct(prep, other, tasks, stop_at=started + shares.construction_stop * time_limit,
                                               strategy=strategy)
        value = plan_tiers(prep, other, previous)
        if value < best:   # lexicographic: tier by tier
            best, state, grouped, run.group_units = value, other, other_grouped, other_units
            run.report(state)
    status = "FEASIBLE"
    # Participant travel (tier 3): move sessions construction pushed to farther locations.
    run.relocation = relocate(prep, state, stop_at=started + shares.relocation * time_limit)
    run.report(state)
    # The continuity pass (same counsellor for a participant's sessions) runs inside the
    # caller's time limit, so the search gets what is left after its share.
    continuity_share = min(shares.continuity_max_seconds, shares.continuity * time_limit)
    reassign_share = min(shares.reassign_max_seconds, shares.reassign * time_limit)
    run.time_limit = time_limit - continuity_share - reassign_share
    if run.remaining() > 0.2:
        status = improve(prep, state, run, lambda: plan_tiers(prep, state, previous),
                         workers=workers, seed=seed)
        # The search moves sessions and frees capacity; what it left farther away gets a second try.
        again = relocate(prep, state, stop_at=started + run.time_limit)
        run.relocation = {k: run.relocation.get(k, 0) + v for k, v in again.items()}
        run.report(state)
    before_repair = started + time_limit - continuity_share   # the filling and the exchanges end here
    # Open needs into the capacity the passes left, slots small groups give up and time a
    # counsellor spent driving between two centres (tier 1, solver.fill).
    run.filled = fill(prep, state, tasks, stop_at=before_repair)
    run.report(state)
    exchanged, reassigned = exchange_rounds(prep, state, stop_at=before_repair)
    run.exchanged += exchanged
    run.reassigned += reassigned
    # The exchanges moved sessions again: what they freed goes to open needs too, and the
    # participants it places (and the members it seats elsewhere) get one more round.
    again = fill(prep, state, tasks, stop_at=before_repair)
    run.filled = {k: run.filled[k] + v for k, v in again.items()}
    if again["placed"]:
        exchanged, reassigned = exchange_rounds(prep, state, stop_at=before_repair, rounds=1)
        run.exchanged += exchanged
        run.reassigned += reassigned
    run.report(state)
    plan = build_plan(prep, state, grouped, run, status)
    plan = _improve_continuity(prep, plan, previous, run.anchors, deadline=started + time_limit)
    # Counsellors' load (tier 6): hand sessions to a colleague with alike hours, same time.
    plan, handed = balance_load(prep, plan, stop_at=max(time.monotonic() + 0.5, started + time_limit))
    return with_terms(instance, plan, load_handed=handed, config=prep.config.model_dump(mode="json"))


def with_terms(instance: Instance, plan: Plan, **extra) -> Plan:
    """The plan with ``stats.terms``: the objective's named terms (``solver.objective``),
    and ``extra`` stats (the configuration used, ...)."""
    stats = plan.stats.model_dump()
    stats.update(extra)
    stats["terms"] = terms(instance, plan)
    return plan.model_copy(update={"stats": Stats.model_validate(stats)})


def exchange_rounds(prep: Prepared, state: State, stop_at: float, rounds: int | None = None) -> tuple[int, int]:
    """The exchanges for continuity, then the exact seat reassignment (travel and continuity),
    round after round while the exchanges find something; returns (exchanges, seats
    reassigned). The seat exchange's ejections, which rarely succeed and cost a third of its
    time, join only once a round without them found nothing (solver/README.md "Pipeline" 7)."""
    exchanges = reassigned = 0
    eject = False
    for round_ in range(rounds or prep.config.search.exchange_rounds):
        # The exchanges take a few seconds at county scale, the exact seat assignment several:
        # exchanges first, so a crunch that leaves this phase little time still gets them.
        exchanged = exchange_leaders(prep, state, stop_at=stop_at)
        exchanged += exchange_slots(prep, state, stop_at=stop_at)
        exchanged += hand_over(prep, state, stop_at=stop_at)
        exchanged += exchange_seats(prep, state, stop_at=stop_at, eject=eject)
        exchanges += exchanged
        if exchanged or round_ == 0:  # else nothing changed since the last assignment
            reassigned += reassign(prep, state, stop_at=stop_at)
        if not exchanged:
            if eject or time.monotonic() > stop_at:
                break
            eject = True
    return exchanges, reassigned


def _improve_continuity(prep: Prepared, plan: Plan, previous: dict, anchors: dict, deadline: float) -> Plan:
    """Re-staff or re-time sessions so participants keep one counsellor, if time is left
    (the repair verifies its result with the checker after its own deadline). The repair
    works on the plan file with its own moves; its result is kept only when it is lower tier
    by tier (objective.plan_tiers), like every other pass's."""
    left = deadline - time.monotonic() - prep.config.time.check_reserve_seconds
    if left < 0.05:
        return plan
    repaired = improve_continuity(prep.instance, plan, deadline_seconds=left, prep=prep)
    if repaired is not plan and _plan_tiers(prep, repaired, previous, anchors) > _plan_tiers(prep, plan, previous, anchors):
        return plan
    return repaired


def _plan_tiers(prep: Prepared, plan: Plan, previous: dict, anchors: dict):
    """objective.plan_tiers of a plan file; ``anchors``: session id -> the time a re-staffed
    previous session kept and the interpreter it had (tier 2 counts moving it again or losing them)."""
    state = State(prep)
    for s in plan.sessions:
        b = booking_from_session(prep, s)
        b.prev_id = s.id if s.id in previous else None
        b.anchor, b.was_interpreter = anchors.get(s.id, (None, None))
        state.add(b)
    return plan_tiers(prep, state, previous)


class _Run:
    """Clock and progress reporting for one solve."""

    def __init__(self, prep: Prepared, started: float, time_limit: float, on_progress: Progress | None):
        self.prep = prep
        self.started = started
        self.time_limit = time_limit
        self.on_progress = on_progress
        self.best: int | None = None
        self.bound: int = 0
        self.previous: dict = {}                 # previous session id -> frozen (keep_previous)
        self.tasks: list = []                    # open (participant, type) tasks (required_tasks)
        self.impossible: dict = {}               # tasks no plan can place -> reason
        self.group_units: list = []              # (type, members) formed by construction
        self.search_stats: dict = {"windows": 0, "deterministic_seconds": 0.0}
        self.relocation: dict = {"moved": 0, "ejected": 0}
        self.reassigned = 0
        self.anchors: dict = {}                  # plan session id -> (kept time, booked interpreter) of a re-staffed session
        self.exchanged = 0
        self.filled: dict = {"placed": 0, "groups_dissolved": 0, "days_at_one_place": 0}

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.time_limit - self.elapsed()

    def report(self, state: State) -> None:
        """Tell ``on_progress`` of a plan better than any reported before."""
        value = plan_objective(self.prep, state, self.previous)
        if self.best is not None and value >= self.best:
            return
        self.best = value
        self.bound = lower_bound(self.prep, self.tasks, self.impossible)
        if self.on_progress:
            self.on_progress({
                "sessions_placed": sum(len(b.participants) for b in state.bookings.values()),
                "objective": value, "best_bound": self.bound,
                "elapsed_seconds": round(self.elapsed(), 3), "status": "FEASIBLE",
            })


# ------------------------------------------------------------------------ previous plan


def keep_previous(prep: Prepared, state: State) -> dict[str, bool]:
    """Book still-valid sessions of previous_plan; frozen ones first (rule 10).

    Returns previous session id -> True when frozen (the ids the change count refers to).
    """
    inst = prep.instance
    if inst.previous_plan is None:
        return {}
    frozen_until = inst.frozen_until
    ordered = sorted(inst.previous_plan.sessions,
                     key=lambda s: (not (frozen_until and s.start < frozen_until), s.start, s.id))
    out: dict[str, bool] = {}
    released = []
    for s in ordered:
        frozen = bool(frozen_until and s.start < frozen_until)
        out[s.id] = frozen
        b = booking_from_session(prep, s)
        if b is None:
            continue
        members = tuple(m for m in b.participants if _needs(prep, state, m, b.type))
        exact = members == b.participants
        b.participants = members
        if not members:
            continue
        # A frozen session is kept exactly (and never moved); one that lost a participant is
        # no longer exact, so it stays as a normal, movable session.
        b.fixed = frozen and exact
        if session_problems(prep, state, b):
            b.fixed = False
            released.append(b)
            continue
        b.prev_id = s.id if exact else None
        state.add(b)
    restaff(prep, state, released)
    return out


def restaff(prep: Prepared, state: State, released: list[Booking]) -> None:
    """Previous sessions that now break a rule (a counsellor fell sick, an interpreter is
    away) first try to keep their time with another counsellor, room or interpreter, so the
    participants keep their appointment."""
    builder = Constructor(prep, state)
    for b in sorted(released, key=lambda b: (b.day, b.start, b.participants)):
        members = tuple(m for m in b.participants if _needs(prep, state, m, b.type))
        if not members:
            continue
        new = next(builder.at_time_of(members, b), None)
        if new is not None:
            new.anchor, new.was_interpreter = (b.day, b.start), b.interpreter
            state.add(new)


def _needs(prep: Prepared, state: State, pid: str, typ: str) -> bool:
    p = prep.participants.get(pid)
    return p is not None and typ in p.needs and (pid, typ) not in state.done


# ------------------------------------------------------------------------ construction


def required_tasks(prep: Prepared, state: State):
    """Open (participant, type) tasks, and those no plan can place with their reason."""
    tasks, impossible = [], {}
    for p in prep.instance.participants:
        for typ in p.needs:
            if (p.id, typ) in state.done:
                continue
            reason = static_reason(prep, p.id, typ)
            if reason is None:
                tasks.append((p.id, typ))
            else:
                impossible[(p.id, typ)] = reason
    return tasks, impossible


@dataclass(frozen=True)
class Strategy:
    """One way to run the greedy construction; solve() tries several and keeps the best plan
    by the objective, because which one wins depends on how tight capacity is.

    ``continuity_days``: working days an individual session may wait for a counsellor the
    participant already meets (None: the configured ``search.continuity_days``). ``groups_first``: all groups before any individual session
    (a group seats many participants in one counsellor slot, so placing groups while
    counsellors are still free raises coverage when capacity is short). ``follow_up``: right
    after the groups, each member's individual session is booked with their group's
    counsellor where that counsellor has time, most urgent members first (continuity)."""

    continuity_days: int | None = None
    groups_first: bool = False
    follow_up: bool = False
    flow: bool = False


# Most often best first (construction-only objective on the 2,000-participant instances,
# solver/README.md): the flow on normal and most crunch instances, plain groups-first on
# others; follow-up and the two original greedy orders stay as candidates.
STRATEGIES = (Strategy(groups_first=True, flow=True), Strategy(groups_first=True, follow_up=True),
              Strategy(groups_first=True), Strategy(), Strategy(continuity_days=0))


def construct(prep: Prepared, state: State, tasks, stop_at: float = float("inf"),
              strategy: Strategy = Strategy()) -> tuple[set, list]:
    """Greedy plan for open tasks; returns (tasks put in a group, the groups as (type, members)).

    Stops placing when the monotonic clock passes ``stop_at`` (the rest stay unscheduled).
    """
    types = prep.instance.session_types
    builder = Constructor(prep, state, strategy.continuity_days, Caseload(prep, tasks))
    units = []
    grouped: set = set()
    group_types = sorted({t for _p, t in tasks if types[t].is_group})
    for typ in group_types:
        groups, _left = form_groups(prep, typ, [p for p, t in tasks if t == typ])
        for members in groups:
            grouped |= {(m, typ) for m in members}
            units.append((min(prep.priority_key(m) for m in members), typ, members))
    for pid, typ in tasks:
        if not types[typ].is_group:
            units.append((prep.priority_key(pid), typ, (pid,)))
    units.sort(key=lambda u: (strategy.groups_first and not types[u[1]].is_group, u[0]))
    followed = not (strategy.follow_up or strategy.flow)
    for index, (_key, typ, members) in enumerate(units):
        if time.monotonic() > stop_at:
            state.untried |= {(m, t) for _k, t, ms in units[index:] for m in ms}
            break
        if not followed and not types[typ].is_group:
            followed = True
            if strategy.flow:
                route_individuals(prep, state, builder, tasks)
            else:
                follow_up(prep, state, builder, tasks)
        if types[typ].is_group:
            b = place_group_or_smaller(prep, builder, members, typ)
        elif (members[0], typ) in state.done:
            continue  # booked by the follow-up or the flow
        else:
            b = builder.place_individual(members[0], typ)
        if b is not None:
            builder.book(b)
    group_units = [(typ, members) for _k, typ, members in units if prep.instance.session_types[typ].is_group]
    for typ in group_types:
        if time.monotonic() > stop_at:
            break
        join_placed_groups(prep, state, [(p, t) for p, t in tasks if t == typ and (p, t) not in state.done])
        rest = [p for p, t in tasks if t == typ and (p, t) not in state.done]
        groups, _left = form_groups(prep, typ, rest)
        for members in groups:
            grouped |= {(m, typ) for m in members}
            group_units.append((typ, members))
            b = place_group_or_smaller(prep, builder, members, typ)
            if b is not None:
                state.add(b)
    return grouped, group_units


def follow_up(prep: Prepared, state: State, builder: Constructor, tasks) -> None:
    """Book placed group members' open individual sessions with their group's counsellor."""
    types = prep.instance.session_types
    leader = {m: b.counsellor for b in state.bookings.values() if types[b.type].is_group
              for m in b.participants}
    open_individual = sorted(((p, t) for p, t in tasks if not types[t].is_group and p in leader),
                             key=lambda task: prep.priority_key(task[0]))
    for pid, typ in open_individual:
        if (pid, typ) not in state.done:
            b = builder.place_with(pid, typ, leader[pid])
            if b is not None:
                builder.book(b)


def place_group_or_smaller(prep: Prepared, builder: Constructor, members, typ) -> Booking | None:
    """Place a group; if it does not fit anywhere, try it without one member, then two, ...
    (least urgent first, down to min_size, at most ``search.smaller_group_tries`` attempts), so a few
    participants' narrow dates or busy days do not sink the whole group."""
    b = builder.place_group(members, typ)
    min_size = prep.instance.session_types[typ].min_size or 1
    if b is not None or len(members) <= min_size:
        return b
    by_urgency = sorted(members, key=prep.priority_key, reverse=True)
    tries = 0
    for count in range(1, len(members) - min_size + 1):
        for dropped in combinations(by_urgency, count):
            if tries >= prep.config.search.smaller_group_tries:
                return None
            tries += 1
            b = builder.place_group(tuple(m for m in members if m not in dropped), typ)
            if b is not None:
                return b
    return None


def join_placed_groups(prep: Prepared, state: State, open_tasks) -> None:
    """Let participants whose group could not be placed join a placed group that still has
    room and covers their language (all rules re-checked by session_problems)."""
    for pid, typ in sorted(open_tasks, key=lambda t: prep.priority_key(t[0])):
        reach = prep.reachable_locations(pid)
        options = sorted((k for k, b in state.bookings.items()
                          if b.type == typ and b.location in reach and not b.fixed),
                         key=lambda k: (prep.participant_travel(pid, state.bookings[k].location), k))
        for key in options:
            b = state.remove(key)
            bigger = replace(b, participants=b.participants + (pid,), prev_id=None)
            if not session_problems(prep, state, bigger):
                state.add(bigger)
                break
            state.add(b)


# ------------------------------------------------------------------------ output


def build_plan(prep: Prepared, state: State, grouped, run: _Run, status: str) -> Plan:
    """The plan file: sessions, unscheduled with reasons, stats."""
    inst, previous, impossible = prep.instance, run.previous, run.impossible
    used = {b.prev_id for b in state.bookings.values() if b.prev_id}
    ordered = sorted(state.bookings.values(), key=lambda b: (b.day, b.start, b.location, b.room, b.counsellor))
    sessions, counter = [], 0
    for b in ordered:
        sid = b.prev_id
        if sid is None:
            counter += 1
            while f"S{counter}" in used or f"S{counter}" in previous:
                counter += 1
            sid = f"S{counter}"
        if b.anchor:
            run.anchors[sid] = (b.anchor, b.was_interpreter)
        sessions.append(session_from_booking(prep, b, sid))
    unscheduled = []
    for p in inst.participants:
        for typ in p.needs:
            if (p.id, typ) in state.done:
                continue
            reason, detail = impossible.get((p.id, typ)) or final_reason(prep, p.id, typ, (p.id, typ) in grouped)
            if (p.id, typ) in state.untried and (p.id, typ) not in impossible:
                reason = "time_limit_reached"
                detail = f"the time limit ({run.time_limit:g} s) ended before this session was planned"
            unscheduled.append(Unscheduled(participant=p.id, type=typ, reason=reason, detail=detail))
    value = plan_objective(prep, state, previous)
    bound = lower_bound(prep, run.tasks, impossible)
    stats = Stats(status="OPTIMAL" if value <= bound else status, objective=value, best_bound=bound,
                  wall_seconds=round(run.elapsed(), 3),
                  sessions_required=sum(len(p.needs) for p in inst.participants),
                  sessions_scheduled=sum(len(b.participants) for b in state.bookings.values()),
                  search=run.search_stats, relocation=run.relocation,
                  reassigned=run.reassigned, leaders_exchanged=run.exchanged, filled=run.filled)
    return Plan(instance=inst.name, sessions=sessions, unscheduled=unscheduled, stats=stats)
