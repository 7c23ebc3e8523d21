"""Leader exchange: a group goes to the counsellor who holds its members' individual sessions,
in exchange for that counsellor's individual sessions at the group's time."""

from __future__ import annotations

from solver.construct import Booking, State
from solver.exchange import exchange_leaders
from solver.formats import load_instance
from solver.model import objective
from solver.model_data import prepare

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant, rule_problems

DEADLINE = "2027-01-05"


def _plan(z_prefers=None):
    """C1 leads A's group on day 1 at 10:00 while A sees C2 individually on day 0 (kept from
    the previous plan, so it cannot move). C2 is busy with Z at the group's time: re-staffing
    the group alone is impossible, exchanging C1 and C2 is not."""
    people = [participant("A", needs=["individual", "group"], deadline=DEADLINE),
              participant("Z", deadline=DEADLINE, preferred_counsellor=z_prefers)]
    people += [participant(p, needs=["group"], deadline=DEADLINE) for p in ("X1", "X2")]
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": DEADLINE}, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen"]), counsellor("C2", ["L-bergen"])])
    prep = prepare(load_instance(inst))
    state = State(prep)
    state.add(Booking("group", ("A", "X1", "X2"), "C1", "L-bergen", "L-bergen-G", 1, 10 * 60, 11 * 60 + 30))
    state.add(Booking("individual", ("A",), "C2", "L-bergen", "L-bergen-1", 0, 9 * 60, 10 * 60 + 30, prev_id="S1"))
    state.add(Booking("individual", ("Z",), "C2", "L-bergen", "L-bergen-1", 1, 10 * 60, 11 * 60 + 30))
    tasks = [(p["id"], t) for p in inst["participants"] for t in p["needs"]]
    return prep, state, tasks


def _counsellor_of(state: State, pid: str, typ: str) -> str:
    return next(b.counsellor for b in state.bookings.values() if b.type == typ and pid in b.participants)


def test_the_counsellor_who_follows_a_member_up_takes_the_group_in_exchange():
    prep, state, tasks = _plan()
    before = objective(prep, state, {}, tasks, {})

    assert exchange_leaders(prep, state) == 1

    assert _counsellor_of(state, "A", "group") == "C2"
    assert _counsellor_of(state, "Z", "individual") == "C1"
    assert objective(prep, state, {}, tasks, {}) < before
    assert rule_problems(prep, state) == []


def test_no_exchange_when_it_costs_someone_their_preferred_counsellor():
    # Z prefers C2: A would gain continuity and Z would lose the preferred counsellor (both tier 5).
    prep, state, _tasks = _plan(z_prefers="C2")

    assert exchange_leaders(prep, state) == 0

    assert _counsellor_of(state, "A", "group") == "C1"
    assert _counsellor_of(state, "Z", "individual") == "C2"
