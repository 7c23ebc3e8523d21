"""The relocation pass lowers participant travel without losing a session or continuity."""

from __future__ import annotations

from solver.construct import Constructor, State
from solver.model import solve
from solver.model_data import prepare
from solver.formats import load_instance
from solver.relocate import relocate
from solver.check import check_plan

from .conftest import make_instance, participant, rule_problems

DAY = "2027-01-04"
PLACES = [
    {"id": "4601", "name": "Bergen", "lat": 60.39, "lon": 5.32},
    {"id": "4621", "name": "Voss", "lat": 60.63, "lon": 6.42},
    {"id": "4628", "name": "Vaksdal", "lat": 60.48, "lon": 5.74},
]


def _location(lid: str, place: str) -> dict:
    return {"id": lid, "name": lid, "place": place, "opening": [["08:00", "16:00"]], "open_dates": None,
            "rooms": [{"id": f"{lid}-1", "capacity": 1, "video": False}]}


def _counsellor(cid: str, loc: str) -> dict:
    return {"id": cid, "name": cid, "locations": [loc], "multicultural": True, "languages": ["nb"],
            "weekly": {d: [["08:00", "16:00"]] for d in "12345"}, "absences": [], "max_sessions_per_day": 1}


def _instance(*people) -> dict:
    return make_instance(list(people), horizon={"start": DAY, "end": DAY}, places=PLACES,
                         locations=[_location("L-bergen", "4601"), _location("L-voss", "4621")],
                         counsellors=[_counsellor("C-bergen", "L-bergen"), _counsellor("C-voss", "L-voss")],
                         interpreters=[])


def _state_with(inst: dict, placements: list[tuple[str, str]]):
    """A state where each participant's session was booked at the given location."""
    prep = prepare(load_instance(inst))
    state = State(prep)
    builder = Constructor(prep, state, continuity_days=0)
    for pid, loc in placements:
        b = builder.first_fit((pid,), "individual", loc, "onsite", 0, 0)
        assert b is not None, (pid, loc)
        state.add(b)
    return prep, state


def _where(state: State) -> dict[str, str]:
    return {b.participants[0]: b.location for b in state.bookings.values()}


def _travel(prep, state: State) -> int:
    return sum(prep.participant_travel(b.participants[0], b.location) for b in state.bookings.values())


def test_session_moves_to_the_nearer_location_when_it_has_room():
    inst = _instance(participant("P-voss", place="4621", deadline=DAY))
    prep, state = _state_with(inst, [("P-voss", "L-bergen")])
    counts = relocate(prep, state, stop_at=float("inf"))
    assert _where(state) == {"P-voss": "L-voss"}
    assert counts["moved"] == 1
    assert rule_problems(prep, state) == []


def test_full_nearer_location_is_freed_by_moving_a_session_that_loses_less():
    # Bergen takes one session a day. The Vaksdal participant sits there (33 min, Voss is
    # 52), so the Bergen participant was sent to Voss (about 100 min). Swapping them saves
    # far more travel than it costs.
    inst = _instance(participant("P-bergen", place="4601", deadline=DAY),
                     participant("P-vaksdal", place="4628", deadline=DAY))
    prep, state = _state_with(inst, [("P-vaksdal", "L-bergen"), ("P-bergen", "L-voss")])
    before = _travel(prep, state)
    counts = relocate(prep, state, stop_at=float("inf"))
    assert _where(state) == {"P-bergen": "L-bergen", "P-vaksdal": "L-voss"}
    assert counts["ejected"] == 1
    assert _travel(prep, state) < before
    assert rule_problems(prep, state) == []


def test_no_swap_when_the_ejected_session_would_lose_more_than_is_saved():
    # Both live in Bergen: swapping who travels to Voss saves nothing.
    inst = _instance(participant("P-a", place="4601", deadline=DAY), participant("P-b", place="4601", deadline=DAY))
    prep, state = _state_with(inst, [("P-a", "L-bergen"), ("P-b", "L-voss")])
    relocate(prep, state, stop_at=float("inf"))
    assert _where(state) == {"P-a": "L-bergen", "P-b": "L-voss"}
    assert rule_problems(prep, state) == []


def test_the_ejected_session_skips_a_place_that_would_cost_it_all_the_saving_and_takes_video():
    # Both live in Bergen; one room each, Voss's with video. P-far was pushed to Voss (about
    # 100 min). Moving P-far home and P-near on-site to Voss saves nothing, but P-near is
    # video_ok: a video session (60 min equivalent, tier 3) from Voss gains 40 minutes. The
    # first fit for P-near is on-site at Voss; a chain that accepted only that would stop.
    inst = _instance(participant("P-near", place="4601", deadline=DAY, video_ok=True),
                     participant("P-far", place="4601", deadline=DAY))
    inst["locations"][1]["rooms"][0]["video"] = True
    prep, state = _state_with(inst, [("P-near", "L-bergen"), ("P-far", "L-voss")])
    counts = relocate(prep, state, stop_at=float("inf"))
    assert counts["ejected"] == 1
    modes = {b.participants[0]: (b.location, b.mode) for b in state.bookings.values()}
    assert modes == {"P-far": ("L-bergen", "onsite"), "P-near": ("L-voss", "video")}
    assert rule_problems(prep, state) == []


def test_no_chain_makes_the_ejected_participant_see_a_second_counsellor():
    # Two days, Bergen's counsellor holds one session a day: P-vaksdal's individual session on
    # Monday and their group on Tuesday, both with C-bergen. Ejecting the individual session
    # to Voss (19 min farther) would let P-far come home (about 100 min less), but P-vaksdal
    # would then meet C-voss too: the centre's promise of one counsellor is not traded away.
    inst = _instance(participant("P-far", place="4601", deadline="2027-01-04"),
                     participant("P-vaksdal", place="4628", needs=["individual", "group"], deadline="2027-01-05"))
    inst["horizon"] = {"start": "2027-01-04", "end": "2027-01-05"}
    inst["session_types"]["group"]["min_size"] = 1
    prep = prepare(load_instance(inst))
    state = State(prep)
    builder = Constructor(prep, state, continuity_days=0)
    for members, typ, loc, day in [(("P-vaksdal",), "individual", "L-bergen", 0), (("P-vaksdal",), "group", "L-bergen", 1),
                                   (("P-far",), "individual", "L-voss", 0)]:
        state.add(builder.first_fit(members, typ, loc, "onsite", day, day))
    relocate(prep, state, stop_at=float("inf"))
    assert {(b.participants[0], b.type): (b.location, b.counsellor) for b in state.bookings.values()} == {
        ("P-vaksdal", "individual"): ("L-bergen", "C-bergen"), ("P-vaksdal", "group"): ("L-bergen", "C-bergen"),
        ("P-far", "individual"): ("L-voss", "C-voss")}
    assert rule_problems(prep, state) == []


def test_sessions_kept_from_a_previous_plan_are_not_relocated():
    inst = _instance(participant("P-voss", place="4621", deadline=DAY))
    prep, state = _state_with(inst, [("P-voss", "L-bergen")])
    key, b = next(iter(state.bookings.items()))
    state.remove(key)
    state.add(b.__class__(**{**b.__dict__, "prev_id": "S-1"}))
    relocate(prep, state, stop_at=float("inf"))
    assert _where(state) == {"P-voss": "L-bergen"}
    assert rule_problems(prep, state) == []


def test_solve_places_the_swap_and_the_plan_is_valid():
    inst = _instance(participant("P-bergen", place="4601", deadline=DAY),
                     participant("P-vaksdal", place="4628", deadline=DAY))
    plan = solve(inst, time_limit=5, workers=1)
    assert check_plan(inst, plan.model_dump(mode="json")).valid
    assert {s.participants[0]: s.location for s in plan.sessions} == {"P-bergen": "L-bergen", "P-vaksdal": "L-voss"}


def test_group_member_takes_a_free_seat_in_a_nearer_group():
    inst = _instance(*[participant(f"P-b{i}", place="4601", needs=["group"], deadline=DAY) for i in range(3)],
                     participant("P-voss", place="4621", needs=["group"], deadline=DAY),
                     *[participant(f"P-v{i}", place="4621", needs=["group"], deadline=DAY) for i in range(3)])
    for loc in inst["locations"]:
        loc["rooms"] = [{"id": f"{loc['id']}-G", "capacity": 8, "video": False}]
    prep = prepare(load_instance(inst))
    state = State(prep)
    builder = Constructor(prep, state, continuity_days=0)
    for members, loc in [(("P-b0", "P-b1", "P-b2", "P-voss"), "L-bergen"), (("P-v0", "P-v1", "P-v2"), "L-voss")]:
        state.add(builder.first_fit(members, "group", loc, "onsite", 0, 0))
    counts = relocate(prep, state, stop_at=float("inf"))
    groups = {b.location: set(b.participants) for b in state.bookings.values()}
    assert groups == {"L-bergen": {"P-b0", "P-b1", "P-b2"}, "L-voss": {"P-voss", "P-v0", "P-v1", "P-v2"}}
    assert counts["members_moved"] == 1
    assert rule_problems(prep, state) == []


def test_group_never_drops_below_its_minimum_size():
    inst = _instance(*[participant(f"P-v{i}", place="4621", needs=["group"], deadline=DAY) for i in range(3)],
                     *[participant(f"P-x{i}", place="4621", needs=["group"], deadline=DAY) for i in range(3)])
    for loc in inst["locations"]:
        loc["rooms"] = [{"id": f"{loc['id']}-G", "capacity": 8, "video": False}]
    prep = prepare(load_instance(inst))
    state = State(prep)
    builder = Constructor(prep, state, continuity_days=0)
    state.add(builder.first_fit(("P-x0", "P-x1", "P-x2"), "group", "L-bergen", "onsite", 0, 0))
    state.add(builder.first_fit(("P-v0", "P-v1", "P-v2"), "group", "L-voss", "onsite", 0, 0))
    relocate(prep, state, stop_at=float("inf"))
    assert all(len(b.participants) >= 3 for b in state.bookings.values())
    assert rule_problems(prep, state) == []   # rule 8: no group below min_size, judged by the referee


def test_a_group_moving_into_a_window_never_leaves_its_old_booking_behind():
    # Regression: the LNS offered a group from another location (a "mover") an extra open
    # member; placed with that member it no longer matched the booking it left, which then
    # stayed: three participants with two group sessions each (rule 2).
    import time

    from solver import lns
    from solver.model import _Run
    from solver.objective import plan_objective

    voss = [participant(f"P-v{i}", place="4621", needs=["group"], deadline=DAY) for i in range(4)]
    inst = _instance(*voss)
    for loc in inst["locations"]:
        loc["rooms"] = [{"id": f"{loc['id']}-G", "capacity": 8, "video": False}]
    prep = prepare(load_instance(inst))
    state = State(prep)
    builder = Constructor(prep, state, continuity_days=0)
    state.add(builder.first_fit(("P-v0", "P-v1", "P-v2"), "group", "L-bergen", "onsite", 0, 0))
    tasks = [(p["id"], "group") for p in voss]
    run = _Run(prep, time.monotonic(), 10.0, None)
    run.tasks = tasks
    run.group_units = [("group", ("P-v0", "P-v1", "P-v2"))]
    search = lns._Search(prep, state, run, 1, 0, lambda: plan_objective(prep, state, {}))
    search.solve_window("L-voss", (0,), None, plan_objective(prep, state, {}))
    assert rule_problems(prep, state) == []   # no participant with two group sessions (rule 2)
    assert {b.location for b in state.bookings.values()} == {"L-voss"}  # the move itself still happens
