"""Derived, indexed data for the planner: days, windows, travel, priorities, cost terms.

Everything the constructor, the CP-SAT neighbourhoods and the objective need is computed
once here, so the rules are read in one place and every part of the planner agrees.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from . import calendar as cal
from .formats import Instance, Participant
from .objective import interpreter_cost_whole_nok
from .travel import TravelTable

NEEDS_MULTICULTURAL = ("integration_act", "temporary_act")

# Objective weights (minimisation). Tiers are separated by large factors so that, in
# practice, a lower tier never outweighs a higher one (PROBLEM.md "What better means"):
# one change (5e6) outweighs the travel of a full group moved 150 min (8 x 150 x 1e3);
# one more session (2e8) outweighs dozens of changes. Strict lexicographic weights would
# need ~1e15 coefficients, which slow CP-SAT's LP relaxation for no practical gain.
W_UNPLACED = 200_000_000       # tier 1: per required session not scheduled
W_INCOMPLETE = 100_000_000     # tier 1: extra when a participant's set is not complete
W_URGENCY = 50_000_000         # tier 1: up to this extra for urgent integration-act sessions
W_CHANGE = 5_000_000           # tier 2: per moved, re-staffed or dropped previous session
W_MOVED_AGAIN = 2_500_000      # tier 2: a re-staffed previous session also loses its time
W_TRAVEL_MIN = 1_000           # tier 3: per minute of participant travel (one way)
W_VIDEO = 60_000               # tier 3: video instead of on-site (= 60 min of travel)
W_INTERP_NOK = 2               # tier 4: per NOK of interpreter cost
W_REGISTER = 100               # tier 4: per register category step above 1
W_OTHER_COUNSELLOR = 100       # tier 5: participant sees more than one counsellor
W_NOT_PREFERRED = 100          # tier 5: preferred counsellor not honoured
W_DAY = 1                      # tier 6: per working day after the first


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

    # ------------------------------------------------------------------ participants
    def day_range(self, p: Participant) -> tuple[int, int]:
        """Inclusive day-index range [first, last] allowed for a participant (rule 2); first > last if none."""
        lo = p.earliest or self.instance.horizon.start
        hi = p.deadline or self.instance.horizon.end
        memo = self.memo.setdefault("day_range", {})
        if (lo, hi) not in memo:   # asked in every inner loop of the exchanges; days are sorted
            memo[lo, hi] = bisect.bisect_left(self.days, lo), bisect.bisect_right(self.days, hi) - 1
        return memo[lo, hi]

    def participant_travel(self, pid: str, loc_id: str) -> int:
        """One-way participant travel minutes to a location (rule 9)."""
        return self.travel.minutes(self.participants[pid].place, self.locations[loc_id].place)

    def reachable_locations(self, pid: str) -> list[str]:
        """Locations within max participant travel, nearest first (rule 9)."""
        memo = self.memo.setdefault("reachable", {})
        if pid not in memo:
            limit = self.instance.max_participant_travel_minutes
            locs = [l for l in self.locations if self.participant_travel(pid, l) <= limit]
            memo[pid] = sorted(locs, key=lambda l: (self.participant_travel(pid, l), l))
        return memo[pid]

    def language_to_interpret(self, pid: str, cid: str) -> str | None:
        """The language an interpreter must cover for this participant with this counsellor
        (rule 5), or None when the counsellor speaks it or none is needed."""
        p = self.participants[pid]
        return p.language if p.needs_interpreter and p.language not in self.counsellors[cid].languages else None

    def needs_multicultural(self, pid: str) -> bool:
        """Rule 4: integration-act and temporary-act participants need trained counsellors."""
        return self.participants[pid].legal_basis in NEEDS_MULTICULTURAL

    def urgency(self, pid: str) -> int:
        """Tier-1 priority weight: overdue participants weigh most, the longest overdue most
        of all (above W_URGENCY, up to 2 x W_URGENCY); then integration-act participants
        with near deadlines (up to W_URGENCY)."""
        p = self.participants[pid]
        span = max(1, (self.instance.horizon.end - self.instance.horizon.start).days)
        if p.overdue_since is not None:
            overdue_days = max(0, (self.instance.horizon.start - p.overdue_since).days)
            return int(W_URGENCY * (1.1 + 0.9 * min(1.0, overdue_days / (span + 1))))
        if p.legal_basis != "integration_act":
            return 0
        if p.deadline is None:
            return W_URGENCY // 10
        days_left = max(0, (p.deadline - self.instance.horizon.start).days)
        return int(W_URGENCY * max(0.1, 1.0 - days_left / (span + 1)))

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
    def seat_cost(self, pid: str, loc_id: str, mode: str, cid: str) -> int:
        """What one participant adds to a session's cost (tiers 3 and 5): travel, or video
        instead of on-site, and a preferred counsellor not honoured."""
        cost = self.travel_cost(pid, loc_id, mode)
        pref = self.participants[pid].preferred_counsellor
        if pref is not None and pref != cid:
            cost += W_NOT_PREFERRED
        return cost

    def travel_cost(self, pid: str, loc_id: str, mode: str) -> int:
        """Tier 3 part of a seat: travel, or video instead of on-site (a lower bound of seat_cost)."""
        return W_VIDEO if mode == "video" else W_TRAVEL_MIN * self.participant_travel(pid, loc_id)

    def interpreter_cost(self, iid: str, minutes: int, mode: str, loc_id: str) -> int:
        """Tier 4 cost in NOK: billed minutes x hourly rate plus on-site travel there and back."""
        it = self.interpreters[iid]
        one_way = self.travel.minutes(it.place, self.locations[loc_id].place) if mode == "onsite" else 0
        # The one formula (solver.objective), rounded up to whole NOK for the integer objective.
        return interpreter_cost_whole_nok(minutes, it.hourly_rate, it.min_billed_minutes, it.travel_rate, one_way)


def prepare(instance: Instance) -> Prepared:
    """Build the indexed view of an instance."""
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
    )
    by_lang: dict[str, list[str]] = {}
    for it in instance.interpreters:
        for lang in it.languages:
            by_lang.setdefault(lang, []).append(it.id)
    prep.interpreters_by_language = by_lang
    return prep
