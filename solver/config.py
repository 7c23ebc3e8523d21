"""The planner's configuration: every weight, time share and search limit in one object.

``SolverConfig()`` holds the defaults (the values measured in solver/README.md);
``solve(instance, config=...)`` and ``python -m solver solve --config FILE.json`` take
overrides, e.g. ``{"weights": {"video": 1000}}``. Unknown keys are errors, like in the file
formats: a typo must not silently become a default. The plan reports the configuration it
was made with in ``stats.config``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat, PositiveInt, ValidationError

from .formats import FormatError, _pydantic_errors, _read_json
from .objective import Weights

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TimeShares(BaseModel):
    """How the time limit is shared between the phases (shares of it, caps in seconds), and
    the LNS's deterministic work budget, which ends the search reproducibly."""

    model_config = _FROZEN

    construction: float = Field(0.25, gt=0, le=1)    # alternative constructions end by this share
    construction_stop: float = Field(0.9, gt=0, le=1)  # construction stops placing here (time_limit_reached)
    relocation: float = Field(0.35, gt=0, le=1)      # the first relocation pass ends by this share
    # The continuity repair converges in about a second at county scale; what the exchanges and
    # the exact seat assignment do with the time is worth more (46-crunch-2000 on a slow machine,
    # one run each: 6% / 5% of the limit 0.8907, 6% / 10% 0.8987, 3% / 10% 0.9007).
    continuity: float = Field(0.03, ge=0, le=1)
    continuity_max_seconds: NonNegativeFloat = 3.0
    # Reassignment has its own share: the search and the second relocation end on the clock in
    # a crunch, and the exchanges and the exact seat assignment (several seconds per round at
    # county scale) would otherwise get none.
    reassign: float = Field(0.10, ge=0, le=1)
    reassign_max_seconds: NonNegativeFloat = 12.0
    check_reserve_seconds: NonNegativeFloat = 0.3   # the continuity repair verifies its result after its deadline
    search_deterministic_per_second: NonNegativeFloat = 0.6     # CP-SAT deterministic s per s of time limit
    continuity_deterministic_per_second: NonNegativeFloat = 0.1  # and for the continuity windows after it
    window_deterministic_seconds: PositiveFloat = 1.0           # CP-SAT deterministic seconds per window


class SearchLimits(BaseModel):
    """Sizes of the neighbourhoods and candidate lists of the passes."""

    model_config = _FROZEN

    continuity_days: int = Field(5, ge=0)     # working days an individual session may wait for a known counsellor
    smaller_group_tries: PositiveInt = 30     # place_group attempts for a group that does not fit as formed
    exchange_rounds: PositiveInt = 4          # exchanges and seat reassignment, in turn
    reassign_rounds: PositiveInt = 6          # alternations between the session types (about 1 s each at 2,000)
    window_candidates: PositiveInt = 6_000    # LNS: thin start times until a window stays below this
    window_extra_units: PositiveInt = 40      # LNS: open tasks offered to one window
    targeted_units: PositiveInt = 200         # LNS: open tasks that get their own windows
    joiners: PositiveInt = 4                  # LNS: open participants offered to each group of a window
    joiner_windows: PositiveInt = 3           # LNS: placed groups tried for each open group need
    movers: int = Field(15, ge=0)             # LNS: individual sessions elsewhere offered to move into a window
    group_movers: int = Field(4, ge=0)        # LNS: group sessions elsewhere offered to move into a window
    staff_per_window: PositiveInt = 4         # LNS: counsellors re-planned together in a routine window
    leader_candidates: PositiveInt = 3        # exchange: counsellors tried per group
    slot_candidates: PositiveInt = 12         # exchange: individual sessions tried per (group, counsellor)
    hand_over_candidates: PositiveInt = 12    # exchange: (session, colleague) pairs per individual session
    seat_candidates: PositiveInt = 8          # exchange: the group counsellor's sessions tried per split member
    rotation_candidates: PositiveInt = 12     # exchange: three-way rotations tried per split member
    balance_bundle: PositiveInt = 12          # load balance: sessions handed over together at most


class RecommendLimits(BaseModel):
    """How far ``solver.recommend`` searches."""

    model_config = _FROZEN

    candidate_days: PositiveInt = 3       # per (location, mode, counsellor): the earliest days with a free time
    pool_factor: PositiveInt = 4          # candidates kept per need: top x pool_factor, so options can differ
    scan_limit: PositiveInt = 3           # the search stops at the next location once scan_limit x that many
    combo_list: PositiveInt = 12          # with several open needs, combinations of the best combo_list of each
    diversity_lookahead: PositiveInt = 200  # ranked options looked at for the diverse choice
    # Setting off from home before this minute of the day (07:00) clashes with taking children to school and
    # kindergarten: when the best option means that, the best one that does not is shown beside it.
    early_departure_minute: int = Field(7 * 60, ge=0, le=24 * 60 - 1)


class SolverConfig(BaseModel):
    """Every number the planner tunes; the defaults are the measured ones."""

    model_config = _FROZEN

    weights: Weights = Weights()
    time: TimeShares = TimeShares()
    search: SearchLimits = SearchLimits()
    recommend: RecommendLimits = RecommendLimits()


def load_config(source: Any) -> SolverConfig:
    """A configuration from a path, JSON text, dict or SolverConfig (None: the defaults);
    raises FormatError with field paths on unknown keys or bad values."""
    if source is None:
        return SolverConfig()
    if isinstance(source, SolverConfig):
        return source
    try:
        return SolverConfig.model_validate(_read_json(source))
    except ValidationError as exc:
        raise FormatError(_pydantic_errors(exc)) from None
