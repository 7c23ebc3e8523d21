"""Continuity windows: after the search, each participant who sees two counsellors gets a
window holding both their sessions' days and both counsellors."""

from __future__ import annotations

import time

from solver import lns
from solver.construct import Booking, State
from solver.formats import load_instance
from solver.model import _Run
from solver.objective import plan_objective
from solver.model_data import prepare

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant, rule_problems

DEADLINE = "2027-01-08"


def _split_member(c2_locations=("L-bergen",)):
    """A is in C1's group on Thursday (day 3) and sees C2 individually on Monday (day 0) at
    Bergen; C1 is free on Monday."""
    people = [participant("A", needs=["individual", "group"], deadline=DEADLINE)]
    people += [participant(p, needs=["group"], deadline=DEADLINE) for p in ("X1", "X2")]
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": DEADLINE}, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen"]), counsellor("C2", list(c2_locations))])
    prep = prepare(load_instance(inst))
    state = State(prep)
    state.add(Booking("group", ("A", "X1", "X2"), "C1", "L-bergen", "L-bergen-G", 3, 10 * 60, 11 * 60 + 30))
    c2_at = c2_locations[0]
    state.add(Booking("individual", ("A",), "C2", c2_at, f"{c2_at}-1", 0, 9 * 60, 10 * 60 + 30))
    tasks = [(p["id"], t) for p in inst["participants"] for t in p["needs"]]
    run = _Run(prep, time.monotonic(), 10.0, None)
    run.tasks = tasks
    run.group_units = [("group", ("A", "X1", "X2"))]
    search = lns._Search(prep, state, run, 1, 0, lambda: plan_objective(prep, state, {}))
    return prep, state, search


def _counsellors_of(state, pid):
    return {b.counsellor for b in state.bookings.values() if pid in b.participants}


def test_a_split_participant_gets_a_window_with_both_days_and_both_counsellors():
    _prep, _state, search = _split_member()

    assert search.continuity_windows() == [("L-bergen", (0, 3), frozenset({"C1", "C2"}))]


def test_solving_the_window_gives_the_participant_one_counsellor():
    prep, state, search = _split_member()
    before = search.objective()

    (loc, days, staff), = search.continuity_windows()
    after = search._try(loc, days, staff, before)

    assert after < before
    assert _counsellors_of(state, "A") == {"C1"}
    assert len(state.bookings) == 2   # nothing dropped on the way
    assert rule_problems(prep, state) == []


def test_no_window_where_the_other_counsellor_never_works():
    # C2 works only at Voss and C1 only at Bergen: no one location holds both counsellors.
    _prep, _state, search = _split_member(c2_locations=("L-voss",))

    assert search.continuity_windows() == []


def test_no_window_for_a_participant_who_sees_one_counsellor():
    _prep, state, search = _split_member()
    individual = next(k for k, b in state.bookings.items() if b.type == "individual")
    state.remove(individual)

    assert search.continuity_windows() == []
