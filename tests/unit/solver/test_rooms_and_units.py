"""Room choice keeps scarce rooms for the sessions that need them; the LNS also offers an
unplaced group at its minimum size; interpreter and room times freed by a cancelled
booking are offered again."""

from __future__ import annotations

import time

from solver.construct import Constructor, State
from solver.formats import load_instance
from solver.model_data import prepare

from .conftest import make_instance, participant

ROOMS = [{"id": "single-video", "capacity": 1, "video": True},
         {"id": "single", "capacity": 1, "video": False},
         {"id": "group-video", "capacity": 10, "video": True},
         {"id": "group", "capacity": 12, "video": False}]


def _builder(people=()):
    inst = make_instance(list(people))
    inst["locations"][0]["rooms"] = ROOMS
    prep = prepare(load_instance(inst))
    return prep, Constructor(prep, State(prep))


def test_a_group_without_video_leaves_the_video_group_room_free():
    _prep, builder = _builder()
    assert builder.pick_room("L-bergen", 0, 540, 630, 6, video=False) == "group"
    assert builder.pick_room("L-bergen", 0, 540, 630, 6, video=True) == "group-video"


def test_an_individual_takes_a_single_room_without_video_first():
    _prep, builder = _builder()
    assert builder.pick_room("L-bergen", 0, 540, 630, 1, video=False) == "single"
    assert builder.pick_room("L-bergen", 0, 540, 630, 1, video=True) == "single-video"


def test_the_search_also_offers_an_unplaced_group_at_its_minimum_size():
    from solver import lns
    from solver.model import _Run
    from solver.objective import plan_objective

    early = [participant(f"E{i}", needs=["group"], deadline="2027-01-04") for i in range(2)]
    late = [participant(f"L{i}", needs=["group"], deadline="2027-01-08") for i in range(3)]
    prep, _builder_ = _builder(early + late)
    state = State(prep)
    members = ("E0", "E1", "L0", "L1", "L2")
    tasks = [(m, "group") for m in members]
    run = _Run(prep, time.monotonic(), 10.0, None)
    run.tasks, run.group_units = tasks, [("group", members)]
    search = lns._Search(prep, state, run, 1, 0, lambda: plan_objective(prep, state, {}))
    offered = {u.members for u in search.open_units(None, None, set())}
    assert offered == {members, ("L0", "L1", "L2")}


def test_an_interpreter_time_given_up_is_offered_again():
    """Interpreters' free times are remembered between searches; a cancelled booking must
    make its time free again, or the next participant in that language finds nothing."""
    inst = make_instance([participant(p, language="ti", needs_interpreter=True) for p in ("P1", "P2")])
    inst["interpreters"][0]["weekly"] = {"1": [["08:00", "09:30"]]}  # the only one: Monday 08:00-09:30
    prep = prepare(load_instance(inst))
    builder = Constructor(prep, State(prep))
    first = builder.place_individual("P1", "individual")
    assert (first.day, first.start, first.interpreter) == (0, 8 * 60, "I1")
    key = builder.state.add(first)
    assert builder.place_individual("P2", "individual") is None  # the hour is taken
    builder.state.remove(key)
    again = builder.place_individual("P2", "individual")
    assert again is not None and (again.day, again.start, again.interpreter) == (0, 8 * 60, "I1")


def test_a_room_time_given_up_is_offered_again():
    """Rooms' free times are remembered too: after a cancellation the room is free again."""
    inst = make_instance([participant("P1"), participant("P2")])
    inst["locations"][0]["opening"] = [["08:00", "09:30"]]
    inst["locations"][0]["rooms"] = [{"id": "single", "capacity": 1, "video": False}]
    prep = prepare(load_instance(inst))
    builder = Constructor(prep, State(prep))
    key = builder.state.add(builder.place_individual("P1", "individual"))
    assert builder.place_individual("P2", "individual").day == 1  # Monday's only time is taken
    builder.state.remove(key)
    again = builder.place_individual("P2", "individual")
    assert (again.day, again.start, again.room) == (0, 8 * 60, "single")
