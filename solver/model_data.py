"""Derived, indexed data for the planner: days, windows, travel, priorities, interpreter cost.

Everything the constructor, the CP-SAT neighbourhoods and the objective need is computed
once here, so the rules are read in one place and every part of the planner agrees.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from . import calendar as cal
from .formats import Instance, Participant
from .config import SolverConfig
from .objective import Weights, interpreter_cost_whole_nok
from .travel import TravelTable


@dataclass
class Prepared:
    """Indexed view of an instance."""

    instance: Instance
    days: list[date]
    day_index: dict[date, int]
    travel: TravelTable
    loc_windows: dict[str, list[cal.Windows]]          # location -> per day index
    cons_windows: dict[str, list[cal.Windows]]         # counsellor -> per day index
    interp_windows: dict[str, list[cal.Windows]]       # interpreter -> per day index
    locations: dict = field(default_factory=dict)
    counsellors: dict = field(default_factory=dict)
    interpreters: dict = field(default_factory=dict)
    participants: dict = field(default_factory=dict)
    rooms: dict = field(default_factory=dict)           # room id -> (location, room)
    interpreters_by_language: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict)            # caches of derived facts
    config: SolverConfig = field(default_factory=SolverConfig)
    weights: Weights = field(init=False)                # config.weights (+ the instance's category_step_nok), read in every cost
    # (counsellor, location) pairs a counsellor works at, and the weekdays of those named in `location_days`
    # (asked in every free-window computation: plain lookups, not the models)
    _works_at: set = field(init=False, default_factory=set)
    _location_days: dict = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._works_at = {(c.id, loc) for c in self.instance.counsellors for loc in c.locations}
        self._location_days = {(c.id, loc): frozenset(days) for c in self.instance.counsellors
                               for loc, days in c.location_days.items()}
        self.weights = self.config.weights
        step = self.instance.category_step_nok
        if step is not None:  # the county's price of a register step, in the tier's unit (per NOK)
            self.weights = self.weights.model_copy(update={"register_step": step * self.weights.interpreter_nok})

    # ------------------------------------------------------------------ counsellors
    def works_there(self, cid: str, loc: str, day: int) -> bool:
        """Rule 3's place: the counsellor works at the location and, when their `location_days` name
        it, on this weekday (solver/README.md "location_days": Tuesdays in Sogndal, the rest in Førde)."""
        if (cid, loc) not in self._works_at:
            return False
        weekdays = self._location_days.get((cid, loc))
        return weekdays is None or self.days[day].isoweekday() in weekdays

    def counsellor_at(self, cid: str, loc: str, day: int) -> cal.Windows:
        """The counsellor's hours at the location that day (rule 3, before their sessions): their
        working hours within its opening hours, none on a day they are not there."""
        if not self.works_there(cid, loc, day):
            return []
        return cal.intersect_windows(self.cons_windows[cid][day], self.loc_windows[loc][day])

    # ------------------------------------------------------------------ participants
    def day_range(self, p: Participant, new: bool = True) -> tuple[int, int]:
        """Inclusive day-index range [first, last] allowed for a participant (rule 2); first > last if none.
        A new session also waits for `new_sessions_from`; a frozen one kept exactly (`new=False`) does not."""
        lo = p.earliest or self.instance.horizon.start
        if new and self.instance.new_sessions_from is not None:
            lo = max(lo, self.instance.new_sessions_from)
        hi = p.deadline or self.instance.horizon.end
        memo = self.memo.setdefault("day_range", {})
        if (lo, hi) not in memo:   # asked in every inner loop of the exchanges; days are sorted
            memo[lo, hi] = bisect.bisect_left(self.days, lo), bisect.bisect_right(self.days, hi) - 1
        return memo[lo, hi]

    def common_days(self, members) -> tuple[int, int]:
        """The day-index range [first, last] every member may attend (rule 2); first > last if none."""
        ranges = [self.day_range(self.participants[m]) for m in members]
        return max(r[0] for r in ranges), min(r[1] for r in ranges)

    def participant_travel(self, pid: str, loc_id: str) -> int:
        """One-way participant travel minutes to a location (rule 9)."""
        return self.travel.minutes(self.participants[pid].place, self.locations[loc_id].place)

    def may_attend(self, pid: str, loc_id: str) -> bool:
        """The participant can come to the location on site (rule 9): within the travel limit and,
        for one who needs it, with step-free access."""
        return (self.participant_travel(pid, loc_id) <= self.instance.max_participant_travel_minutes
                and (self.locations[loc_id].step_free or not self.participants[pid].needs_step_free))

    def reachable_locations(self, pid: str) -> list[str]:
        """Locations the participant can come to on site, nearest first (rule 9)."""
        memo = self.memo.setdefault("reachable", {})
        if pid not in memo:
            locs = [l for l in self.locations if self.may_attend(pid, l)]
            memo[pid] = sorted(locs, key=lambda l: (self.participant_travel(pid, l), l))
        return memo[pid]

    def language_to_interpret(self, pid: str, cid: str) -> str | None:
        """The language an interpreter must cover for this participant with this counsellor
        (rule 5), or None when the counsellor speaks it or none is needed."""
        p = self.participants[pid]
        return p.language if p.needs_interpreter and p.language not in self.counsellors[cid].languages else None

    def priority_key(self, pid: str) -> tuple:
        """Order for construction: overdue first (longest overdue first), then integration
        act, then nearest deadline first."""
        p = self.participants[pid]
        if p.overdue_since is not None:
            return (-1, p.overdue_since.toordinal(), pid)
        basis = {"integration_act": 0, "temporary_act": 1}.get(p.legal_basis, 2)
        deadline = p.deadline.toordinal() if p.deadline else 10**9
        return (basis, deadline, pid)

    # ------------------------------------------------------------------ costs
    def interpreter_cost(self, iid: str, minutes: int, mode: str, loc_id: str) -> int:
        """Tier 4 cost in NOK: billed minutes x hourly rate plus on-site travel there and back."""
        it = self.interpreters[iid]
        one_way = self.travel.minutes(it.place, self.locations[loc_id].place) if mode == "onsite" else 0
        # The one formula (solver.objective), rounded up to whole NOK for the integer objective.
        return interpreter_cost_whole_nok(minutes, it.hourly_rate, it.min_billed_minutes, it.travel_rate, one_way)


def prepare(instance: Instance, config: SolverConfig | None = None) -> Prepared:
    """Build the indexed view of an instance (``config``: None for the defaults)."""
    days = cal.working_days(instance)
    prep = Prepared(
        instance=instance,
        days=days,
        day_index={d: i for i, d in enumerate(days)},
        travel=TravelTable(instance),
        loc_windows={l.id: cal.location_windows_for(l, days) for l in instance.locations},
        cons_windows={c.id: cal.weekly_windows_for(c, days) for c in instance.counsellors},
        interp_windows={i.id: cal.weekly_windows_for(i, days) for i in instance.interpreters},
        locations=instance.locations_by_id(),
        counsellors=instance.counsellors_by_id(),
        interpreters=instance.interpreters_by_id(),
        participants=instance.participants_by_id(),
        rooms=instance.rooms_by_id(),
        config=config or SolverConfig(),
    )
    by_lang: dict[str, list[str]] = {}
    for it in instance.interpreters:
        for lang in it.languages:
            by_lang.setdefault(lang, []).append(it.id)
    prep.interpreters_by_language = by_lang
    return prep
