"""Room choice keeps scarce rooms for the sessions that need them; the LNS also offers an
unplaced group at its minimum size."""

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
    from solver.model import _Run, booking_cost, objective, unplaced_cost

    early = [participant(f"E{i}", needs=["group"], deadline="2027-01-04") for i in range(2)]
    late = [participant(f"L{i}", needs=["group"], deadline="2027-01-08") for i in range(3)]
    prep, _builder_ = _builder(early + late)
    state = State(prep)
    members = ("E0", "E1", "L0", "L1", "L2")
    tasks = [(m, "group") for m in members]
    run = _Run(prep, time.monotonic(), 10.0, None)
    run.context, run.group_units = ({}, tasks, {}), [("group", members)]
    search = lns._Search(prep, state, run, 1, 0, booking_cost, unplaced_cost,
                         lambda: objective(prep, state, {}, tasks, {}))
    offered = {u.members for u in search.open_units(None, None, set())}
    assert offered == {members, ("L0", "L1", "L2")}
