"""Reassignment swaps participants between individual sessions when the objective gains,
and never where a rule forbids it."""

from __future__ import annotations

from solver.construct import Booking, State
from solver.formats import load_instance
from solver.objective import plan_objective
from solver.model_data import prepare
from solver.reassign import reassign

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant, rule_problems, rules_broken, state_of

DAY = "2027-01-04"


def _instance(people, counsellors, interpreters=()) -> dict:
    return make_instance(list(people), horizon={"start": DAY, "end": "2027-01-05"}, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=counsellors, interpreters=list(interpreters))


def _state(inst: dict, bookings: list[Booking]):
    return state_of(inst, bookings)


def _individual(pid, cid, loc, start, day=0, **kw) -> Booking:
    return Booking("individual", (pid,), cid, loc, f"{loc}-1", day, start, start + 90, **kw)


def _seat(state: State) -> dict[str, tuple[str, str]]:
    """Participant -> (counsellor, location) of their individual session."""
    return {b.participants[0]: (b.counsellor, b.location) for b in state.bookings.values() if b.type == "individual"}


def test_two_participants_seated_far_from_home_swap_to_their_own_centre():
    inst = _instance([participant("P-voss", place="4621", deadline="2027-01-05"),
                      participant("P-bergen", place="4601", deadline="2027-01-05")],
                     [counsellor("C-bergen", ["L-bergen"]), counsellor("C-voss", ["L-voss"])])
    prep, state = _state(inst, [_individual("P-voss", "C-bergen", "L-bergen", 9 * 60),
                                _individual("P-bergen", "C-voss", "L-voss", 9 * 60)])
    before = plan_objective(prep, state, {})

    assert reassign(prep, state) == 2

    assert _seat(state) == {"P-voss": ("C-voss", "L-voss"), "P-bergen": ("C-bergen", "L-bergen")}
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def _crossed_groups(kept: bool = False):
    """A is in C1's group and sees C2 individually; B the other way round."""
    people = [participant(p, needs=["individual", "group"], deadline="2027-01-05") for p in ("A", "B")]
    people += [participant(p, needs=["group"], deadline="2027-01-05") for p in ("X1", "X2", "Y1", "Y2")]
    inst = _instance(people, [counsellor("C1", ["L-bergen"]), counsellor("C2", ["L-bergen"])])
    groups = [Booking("group", ("A", "X1", "X2"), "C1", "L-bergen", "L-bergen-G", 1, 8 * 60, 8 * 60 + 90),
              Booking("group", ("B", "Y1", "Y2"), "C2", "L-bergen", "L-bergen-G", 1, 10 * 60, 10 * 60 + 90)]
    prep, state = _state(inst, groups + [
        _individual("A", "C2", "L-bergen", 9 * 60, prev_id="S1" if kept else None),
        _individual("B", "C1", "L-bergen", 12 * 60, prev_id="S2" if kept else None)])
    return inst, prep, state


def test_participants_trade_places_to_see_the_counsellor_who_leads_their_group():
    _inst, prep, state = _crossed_groups()

    assert reassign(prep, state) == 2

    # Either A and B trade group seats or they trade individual sessions: each then sees one
    # counsellor for both sessions.
    assert _counsellors(state, "A") == 1 and _counsellors(state, "B") == 1
    assert rule_problems(prep, state) == []


def _counsellors(state: State, pid: str) -> int:
    return len({b.counsellor for b in state.bookings.values() if pid in b.participants})


def _group_of(state: State, pid: str) -> str:
    return next(b.counsellor for b in state.bookings.values() if b.type == "group" and pid in b.participants)


def test_group_members_trade_seats_when_their_individual_sessions_are_kept():
    # The individual sessions are kept from the previous plan (tier 2), so only the group
    # seats can move: A joins C2's group and B joins C1's.
    inst, prep, state = _crossed_groups(kept=True)
    before = plan_objective(prep, state, {})

    assert reassign(prep, state) == 2

    assert (_group_of(state, "A"), _group_of(state, "B")) == ("C2", "C1")
    assert sorted(len(b.participants) for b in state.bookings.values() if b.type == "group") == [3, 3]
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_a_seat_held_for_the_groups_interpreter_stays_with_someone_who_needs_it():
    # A needs Arabic and sits in C1's group, the one with the Arabic interpreter. C2 speaks
    # Arabic, so A would be covered in C2's group and gain continuity there, and B would gain
    # in C1's group. But an interpreter booked for nobody is a cost a lead would cancel: A's
    # seat may only go to another participant who needs the interpreter, and there is none.
    people = [participant("A", needs=["individual", "group"], deadline="2027-01-05", language="ar",
                          needs_interpreter=True),
              participant("B", needs=["individual", "group"], deadline="2027-01-05")]
    people += [participant(p, needs=["group"], deadline="2027-01-05") for p in ("X1", "X2", "Y1", "Y2")]
    arabic = counsellor("C2", ["L-bergen"])
    arabic["languages"] = ["nb", "ar"]
    interpreter = {"id": "I1", "name": "Tolk", "languages": {"ar": 1}, "modes": ["onsite"], "place": "4601",
                   "weekly": {d: [["08:00", "16:00"]] for d in "12345"}, "absences": [],
                   "hourly_rate": 720, "min_billed_minutes": 60, "travel_rate": 360}
    inst = _instance(people, [counsellor("C1", ["L-bergen"]), arabic], [interpreter])
    groups = [Booking("group", ("A", "X1", "X2"), "C1", "L-bergen", "L-bergen-G", 1, 8 * 60, 8 * 60 + 90,
                      language="ar", interpreter="I1", interpreter_mode="onsite"),
              Booking("group", ("B", "Y1", "Y2"), "C2", "L-bergen", "L-bergen-G", 1, 10 * 60, 10 * 60 + 90)]
    prep, state = _state(inst, groups + [_individual("A", "C2", "L-bergen", 9 * 60, prev_id="S1"),
                                         _individual("B", "C1", "L-bergen", 12 * 60, prev_id="S2")])
    assert rule_problems(prep, state) == []

    reassign(prep, state)

    assert "A" in next(b.participants for b in state.bookings.values() if b.interpreter == "I1")
    assert _group_of(state, "B") == "C1"   # B still gains, through a seat nobody's interpreter needs
    assert rule_problems(prep, state) == []


def test_no_swap_into_a_session_a_rule_forbids():
    # P-voss (integration act) would travel less in Voss, but the Voss counsellor lacks
    # multicultural training (rule 4); P-ord (ordinary) may see either.
    inst = _instance([participant("P-voss", place="4621", deadline="2027-01-05"),
                      participant("P-ord", place="4601", legal_basis="ordinary", deadline="2027-01-05")],
                     [counsellor("C-bergen", ["L-bergen"]), counsellor("C-voss", ["L-voss"], multicultural=False)])
    prep, state = _state(inst, [_individual("P-voss", "C-bergen", "L-bergen", 9 * 60),
                                _individual("P-ord", "C-voss", "L-voss", 9 * 60)])
    # The swap the pass must not make is one the referee rejects, for rule 4 alone.
    swapped = _state(inst, [_individual("P-voss", "C-voss", "L-voss", 9 * 60),
                            _individual("P-ord", "C-bergen", "L-bergen", 9 * 60)])
    assert rules_broken(*swapped) == {4}

    assert reassign(prep, state) == 0
    assert _seat(state) == {"P-voss": ("C-bergen", "L-bergen"), "P-ord": ("C-voss", "L-voss")}
    assert rule_problems(prep, state) == []


def test_no_swap_into_a_slot_that_clashes_with_the_participants_other_session():
    people = [participant("P-voss", place="4621", needs=["individual", "group"], deadline="2027-01-05"),
              participant("P-bergen", place="4601", deadline="2027-01-05"),
              participant("G1", place="4621", needs=["group"], deadline="2027-01-05"),
              participant("G2", place="4621", needs=["group"], deadline="2027-01-05")]
    inst = _instance(people, [counsellor("C-bergen", ["L-bergen"]), counsellor("C-voss", ["L-voss"]),
                              counsellor("C-voss-G", ["L-voss"])])
    group = Booking("group", ("P-voss", "G1", "G2"), "C-voss-G", "L-voss", "L-voss-G", 0, 9 * 60, 9 * 60 + 90)
    # The Voss slot overlaps P-voss's own group session (rule 2), so P-voss stays in Bergen.
    prep, state = _state(inst, [group, _individual("P-voss", "C-bergen", "L-bergen", 12 * 60),
                                _individual("P-bergen", "C-voss", "L-voss", 10 * 60)])
    assert rule_problems(prep, state) == []
    swapped = _state(inst, [group, _individual("P-voss", "C-voss", "L-voss", 10 * 60),
                            _individual("P-bergen", "C-bergen", "L-bergen", 12 * 60)])
    assert rules_broken(*swapped) == {2}

    assert reassign(prep, state) == 0
    assert _seat(state) == {"P-voss": ("C-bergen", "L-bergen"), "P-bergen": ("C-voss", "L-voss")}
    assert rule_problems(prep, state) == []


def test_sessions_kept_from_the_previous_plan_are_left_alone():
    inst = _instance([participant("P-voss", place="4621", deadline="2027-01-05"),
                      participant("P-bergen", place="4601", deadline="2027-01-05")],
                     [counsellor("C-bergen", ["L-bergen"]), counsellor("C-voss", ["L-voss"])])
    prep, state = _state(inst, [_individual("P-voss", "C-bergen", "L-bergen", 9 * 60, prev_id="S1"),
                                _individual("P-bergen", "C-voss", "L-voss", 9 * 60)])

    assert reassign(prep, state) == 0
    assert _seat(state)["P-voss"] == ("C-bergen", "L-bergen")
    assert rule_problems(prep, state) == []


def test_no_weight_makes_the_seat_assignment_trade_travel_for_continuity():
    """Tiers are compared lexicographically: even with continuity weighed far above travel,
    nobody is seated farther from home to see one counsellor fewer."""
    from solver.config import SolverConfig

    inst = _instance([participant("P-voss", place="4621", needs=["individual", "follow_up"], deadline="2027-01-05"),
                      participant("P-bergen", place="4601", deadline="2027-01-05")],
                     [counsellor("C-bergen", ["L-bergen"]), counsellor("C-voss", ["L-voss"])])
    inst["session_types"]["follow_up"] = {"minutes": 90}
    config = SolverConfig.model_validate({"weights": {"other_counsellor": 10**9}})
    prep = prepare(load_instance(inst), config)
    follow_up = Booking("follow_up", ("P-voss",), "C-bergen", "L-bergen", "L-bergen-2", 1, 9 * 60, 10 * 60 + 30)
    seated = [_individual("P-voss", "C-voss", "L-voss", 9 * 60), _individual("P-bergen", "C-bergen", "L-bergen", 9 * 60)]
    swapped = [_individual("P-bergen", "C-voss", "L-voss", 9 * 60), _individual("P-voss", "C-bergen", "L-bergen", 9 * 60)]
    states = []
    for bookings in (seated, swapped):
        state = State(prep)
        for b in [follow_up, *bookings]:
            state.add(b)
        states.append(state)
    # The weighted sum alone would swap: P-voss would see only C-bergen, both would travel 85 min more.
    assert plan_objective(prep, states[1], {}) < plan_objective(prep, states[0], {})

    assert reassign(prep, states[0]) == 0
    assert _seat(states[0]) == {"P-voss": ("C-voss", "L-voss"), "P-bergen": ("C-bergen", "L-bergen")}
