"""Leader, slot and seat exchange and hand-over: a group member meets one counsellor where the
group's counsellor and the counsellor of the member's individual session can trade."""

from __future__ import annotations

from solver.construct import Booking, State
from solver.exchange import exchange_leaders, exchange_seats, exchange_slots, hand_over
from solver.formats import load_instance
from solver.model import exchange_rounds
from solver.objective import plan_objective
from solver.model_data import prepare

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant, rule_problems, rules_broken

DEADLINE = "2027-01-05"


def _plan(z_prefers=None):
    """C1 leads A's group on day 1 at 10:00 while A sees C2 individually on day 0 (kept from
    the previous plan, so it cannot move). C2 is busy with Z at the group's time: re-staffing
    the group alone is impossible, exchanging C1 and C2 is not."""
    return _group_and_follow_up(participant("Z", deadline=DEADLINE, preferred_counsellor=z_prefers),
                                counsellor("C2", ["L-bergen"]), z_at=(1, 10 * 60))


def _group_and_follow_up(z: dict, c2: dict, z_at: tuple[int, int]):
    """A in C1's group (day 1, 10:00) and with C2 individually (day 0, 09:00, kept from the
    previous plan); Z with C2 individually at ``z_at`` (day, start minute)."""
    people = [participant("A", needs=["individual", "group"], deadline=DEADLINE), z]
    people += [participant(p, needs=["group"], deadline=DEADLINE) for p in ("X1", "X2")]
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": DEADLINE}, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen"]), c2])
    prep = prepare(load_instance(inst))
    state = State(prep)
    state.add(Booking("group", ("A", "X1", "X2"), "C1", "L-bergen", "L-bergen-G", 1, 10 * 60, 11 * 60 + 30))
    state.add(Booking("individual", ("A",), "C2", "L-bergen", "L-bergen-1", 0, 9 * 60, 10 * 60 + 30, prev_id="S1"))
    day, start = z_at
    state.add(Booking("individual", ("Z",), "C2", "L-bergen", "L-bergen-1", day, start, start + 90))
    return prep, state


def _counsellor_of(state: State, pid: str, typ: str) -> str:
    return next(b.counsellor for b in state.bookings.values() if b.type == typ and pid in b.participants)


def test_the_counsellor_who_follows_a_member_up_takes_the_group_in_exchange():
    prep, state = _plan()
    before = plan_objective(prep, state, {})

    assert exchange_leaders(prep, state) == 1

    assert _counsellor_of(state, "A", "group") == "C2"
    assert _counsellor_of(state, "Z", "individual") == "C1"
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_no_exchange_when_it_costs_someone_their_preferred_counsellor():
    # Z prefers C2: A would gain continuity and Z would lose the preferred counsellor (both tier 5).
    prep, state = _plan(z_prefers="C2")

    assert exchange_leaders(prep, state) == 0

    assert _counsellor_of(state, "A", "group") == "C1"
    assert _counsellor_of(state, "Z", "individual") == "C2"
    assert rule_problems(prep, state) == []


def _other_days_plan(z_deadline=DEADLINE, c2_per_day=2):
    """As ``_plan``, but C2 works Mondays only and is full then (A at 09:00, Z at 13:00), so
    C2 can neither take the group at its time nor add it: only trading the group's slot for
    Z's can give A one counsellor."""
    c2 = counsellor("C2", ["L-bergen"], per_day=c2_per_day)
    c2["weekly"] = {"1": [["08:00", "16:00"]]}
    return _group_and_follow_up(participant("Z", deadline=z_deadline), c2, z_at=(0, 13 * 60))


def _session_of(state: State, pid: str, typ: str) -> Booking:
    return next(b for b in state.bookings.values() if b.type == typ and pid in b.participants)


def _traded(state: State, a: Booking, b: Booking) -> State:
    """A copy of the state where bookings ``a`` and ``b`` trade counsellor, day and start time."""
    swapped = State(state.prep)
    for x in state.bookings.values():
        if x is a or x is b:
            y = b if x is a else a
            x = Booking(**{**x.__dict__, "counsellor": y.counsellor, "day": y.day,
                           "start": y.start, "end": y.start + (x.end - x.start)})
        swapped.add(x)
    return swapped


def test_a_group_trades_its_slot_with_the_follow_up_counsellors_individual_session():
    prep, state = _other_days_plan()
    before = plan_objective(prep, state, {})
    assert exchange_leaders(prep, state) == 0   # C2 does not work at the group's time

    assert exchange_slots(prep, state) == 1

    group, z = _session_of(state, "A", "group"), _session_of(state, "Z", "individual")
    assert (group.counsellor, group.day, group.start) == ("C2", 0, 13 * 60)
    assert (z.counsellor, z.day, z.start) == ("C1", 1, 10 * 60)
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_no_slot_trade_when_the_individual_session_cannot_take_the_groups_time():
    # Z's deadline is Monday: Z cannot move to the group's Tuesday slot.
    prep, state = _other_days_plan(z_deadline="2027-01-04")
    traded = _traded(state, _session_of(state, "A", "group"), _session_of(state, "Z", "individual"))
    assert rules_broken(prep, traded) == {2}   # the referee rejects the trade: Z after the deadline

    assert exchange_slots(prep, state) == 0

    assert _session_of(state, "A", "group").counsellor == "C1"
    assert _session_of(state, "Z", "individual").day == 0
    assert rule_problems(prep, state) == []


def test_a_group_moves_to_a_free_time_of_the_counsellor_who_follows_its_member_up():
    # C2 has room on Monday: the group moves there, and Z's session stays where it is.
    prep, state = _other_days_plan(c2_per_day=3)
    before = plan_objective(prep, state, {})

    assert exchange_slots(prep, state) == 1

    group, z = _session_of(state, "A", "group"), _session_of(state, "Z", "individual")
    assert (group.counsellor, group.day) == ("C2", 0)
    assert (z.counsellor, z.day, z.start) == ("C2", 0, 13 * 60)
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def _leader_booked_plan(z_in_group=False, c2_busy_at_nine=False, c2_per_day=4):
    """A is in C1's group (Tuesday) and sees C2 individually on Monday at 11:00. C1 gives one
    session a day and is full on both days: on Monday with Z (09:00), who does not need C1 for
    anything else. C2 works Mondays only (so cannot take the group) and is free at 09:00
    unless ``c2_busy_at_nine``."""
    c2 = counsellor("C2", ["L-bergen"], per_day=c2_per_day)
    c2["weekly"] = {"1": [["08:00", "16:00"]]}
    people = [participant("A", needs=["individual", "group"], deadline=DEADLINE),
              participant("Z", needs=["individual", "group"] if z_in_group else ["individual"], deadline=DEADLINE),
              participant("V", deadline=DEADLINE)]
    # X1 and X2 start on Tuesday: the group cannot move to C2's Monday.
    people += [participant(p, needs=["group"], earliest="2027-01-05", deadline=DEADLINE) for p in ("X1", "X2")]
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": DEADLINE}, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen"], per_day=1), c2])
    prep = prepare(load_instance(inst))
    state = State(prep)
    group = ("A", "Z", "X1") if z_in_group else ("A", "X1", "X2")
    state.add(Booking("group", group, "C1", "L-bergen", "L-bergen-G", 1, 10 * 60, 11 * 60 + 30))
    state.add(Booking("individual", ("Z",), "C1", "L-bergen", "L-bergen-1", 0, 9 * 60, 10 * 60 + 30))
    state.add(Booking("individual", ("A",), "C2", "L-bergen", "L-bergen-2", 0, 11 * 60, 12 * 60 + 30))
    if c2_busy_at_nine:
        state.add(Booking("individual", ("V",), "C2", "L-bergen", "L-bergen-2", 0, 9 * 60, 10 * 60 + 30))
    return prep, state


def test_the_groups_counsellor_hands_a_session_to_a_colleague_to_follow_the_member_up():
    prep, state = _leader_booked_plan()
    before = plan_objective(prep, state, {})
    assert exchange_leaders(prep, state) == 0 and exchange_slots(prep, state) == 0

    assert hand_over(prep, state) == 1

    z, a = _session_of(state, "Z", "individual"), _session_of(state, "A", "individual")
    assert (z.counsellor, z.day, z.start) == ("C2", 0, 9 * 60)   # Z keeps the time
    assert (a.counsellor, a.day, a.location) == ("C1", 0, "L-bergen")
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_no_hand_over_of_a_session_that_is_someone_elses_continuity():
    # Z is in C1's group too: handing Z's session over would cost Z what A gains.
    prep, state = _leader_booked_plan(z_in_group=True)

    assert hand_over(prep, state) == 0

    assert _session_of(state, "Z", "individual").counsellor == "C1"
    assert _session_of(state, "A", "individual").counsellor == "C2"
    assert rule_problems(prep, state) == []


def test_a_colleague_busy_at_that_time_takes_the_handed_session_later_that_day():
    prep, state = _leader_booked_plan(c2_busy_at_nine=True)
    before = plan_objective(prep, state, {})

    assert hand_over(prep, state) == 1

    z, a = _session_of(state, "Z", "individual"), _session_of(state, "A", "individual")
    assert (z.counsellor, z.day) == ("C2", 0) and z.start != 9 * 60
    assert (a.counsellor, a.day) == ("C1", 0)
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_no_hand_over_when_no_colleague_has_time_that_day():
    # C2 gives two sessions a day and has A and V: nobody can take Z's session on Monday.
    prep, state = _leader_booked_plan(c2_busy_at_nine=True, c2_per_day=2)
    z = _session_of(state, "Z", "individual")
    handed = State(prep)
    for b in state.bookings.values():
        handed.add(Booking(**{**b.__dict__, "counsellor": "C2", "start": 13 * 60, "end": 14 * 60 + 30})
                   if b is z else b)
    assert rules_broken(prep, handed) == {3}   # the referee: C2 over max_sessions_per_day

    assert hand_over(prep, state) == 0

    assert _session_of(state, "Z", "individual").counsellor == "C1"
    assert _session_of(state, "A", "individual").counsellor == "C2"
    assert rule_problems(prep, state) == []


def _crunch_pair(other: dict, a_place: str = "4601", a_day: int = 0, third: dict | None = None):
    """A (Tigrinya, lives at ``a_place``) is in C1's group at Bergen on day 1, but their individual
    session was pushed to C2 at Voss (day ``a_day``, 12:00, ti interpreter). C1 is full at Bergen on
    day 0 with ``other`` (Arabic, 08:00, ar interpreter); with ``third``, C3 is full at Bergen
    on day 0 with them (14:00, no interpreter)."""
    people = [participant("A", place=a_place, needs=["individual", "group"], deadline=DEADLINE, language="ti",
                          needs_interpreter=True),
              other, participant("X1", needs=["group"], deadline=DEADLINE), participant("X2", needs=["group"], deadline=DEADLINE)]
    people += [third] if third else []
    places = BERGEN_VOSS + [{"id": "4628", "name": "Vaksdal", "lat": 60.48, "lon": 5.74}]
    voss = centre("L-voss", "4621")
    voss["rooms"][0]["video"] = True   # A's interpreter joins by video (rule 7)
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": DEADLINE}, places=places,
                         locations=[centre("L-bergen", "4601"), voss],
                         counsellors=[counsellor("C1", ["L-bergen"], per_day=1), counsellor("C2", ["L-voss"])]
                         + ([_only_on_monday(counsellor("C3", ["L-bergen"], per_day=1))] if third else []))
    prep = prepare(load_instance(inst))
    state = State(prep)
    state.add(Booking("group", ("A", "X1", "X2"), "C1", "L-bergen", "L-bergen-G", 1, 10 * 60, 11 * 60 + 30,
                      language="ti", interpreter="I1", interpreter_mode="onsite"))
    state.add(Booking("individual", ("A",), "C2", "L-voss", "L-voss-1", a_day, 12 * 60, 13 * 60 + 30,
                      language="ti", interpreter="I1", interpreter_mode="video"))
    state.add(Booking("individual", (other["id"],), "C1", "L-bergen", "L-bergen-1", 0, 8 * 60, 9 * 60 + 30,
                      language="ar", interpreter="I1", interpreter_mode="phone"))
    if third:
        state.add(Booking("individual", (third["id"],), "C3", "L-bergen", "L-bergen-1", 0, 14 * 60, 15 * 60 + 30))
    return prep, state


def test_a_member_trades_seats_with_a_participant_of_another_language_and_each_gets_their_interpreter():
    # B lives in Voss: both travel less, and A meets C1 only. The seat reassignment cannot do
    # this: each interpreted seat keeps its interpreter's language.
    prep, state = _crunch_pair(participant("B", place="4621", deadline=DEADLINE, language="ar", needs_interpreter=True))
    before = plan_objective(prep, state, {})

    assert exchange_seats(prep, state) == 1

    a, b = _session_of(state, "A", "individual"), _session_of(state, "B", "individual")
    assert (a.counsellor, a.location, a.day, a.start, a.language) == ("C1", "L-bergen", 0, 8 * 60, "ti")
    assert (b.counsellor, b.location, b.day, b.start, b.language) == ("C2", "L-voss", 0, 12 * 60, "ar")
    assert a.interpreter and b.interpreter
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_no_seat_trade_when_the_other_participant_would_travel_more_than_the_member_saves():
    # A lives in Vaksdal (Bergen 33 min, Voss 52): trading saves A 19 minutes and one
    # counsellor, but B, who lives in Bergen, would travel about 100 minutes to Voss (tier 3).
    prep, state = _crunch_pair(participant("B", place="4601", deadline=DEADLINE, language="ar",
                                           needs_interpreter=True), a_place="4628")

    assert exchange_seats(prep, state) == 0

    assert _session_of(state, "A", "individual").counsellor == "C2"
    assert _session_of(state, "B", "individual").counsellor == "C1"
    assert rule_problems(prep, state) == []


def test_when_the_other_participant_cannot_take_the_members_time_they_are_rebooked_where_they_fit():
    # A's Voss session is on day 1, after B's deadline: B cannot have it, but C2 is free at Voss
    # on day 0, where B lives.
    prep, state = _crunch_pair(participant("B", place="4621", deadline="2027-01-04", language="ar",
                                           needs_interpreter=True), a_day=1)
    before = plan_objective(prep, state, {})

    assert exchange_seats(prep, state) == 1

    a, b = _session_of(state, "A", "individual"), _session_of(state, "B", "individual")
    assert (a.counsellor, a.location, a.day) == ("C1", "L-bergen", 0)
    assert (b.counsellor, b.location, b.day, b.language) == ("C2", "L-voss", 0, "ar")
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_ejections_wait_until_rounds_of_the_cheaper_exchanges_find_nothing():
    # As above, B must be re-booked for A to take C1's session: a round without ejections
    # leaves both as they are, and the exchange rounds then eject.
    prep, state = _crunch_pair(participant("B", place="4621", deadline="2027-01-04", language="ar",
                                           needs_interpreter=True), a_day=1)

    assert exchange_seats(prep, state, eject=False) == 0
    assert _session_of(state, "A", "individual").counsellor == "C2"

    exchanged, _reassigned = exchange_rounds(prep, state, stop_at=float("inf"))

    assert exchanged == 1
    assert _session_of(state, "A", "individual").counsellor == "C1"
    assert _session_of(state, "B", "individual").counsellor == "C2"
    assert rule_problems(prep, state) == []


def test_a_kept_session_is_not_traded():
    prep, state = _crunch_pair(participant("B", place="4621", deadline=DEADLINE, language="ar", needs_interpreter=True))
    key = next(k for k, b in state.bookings.items() if b.participants == ("B",))
    kept = state.remove(key)
    state.add(Booking(**{**kept.__dict__, "prev_id": "S9"}))

    assert exchange_seats(prep, state) == 0
    assert _session_of(state, "A", "individual").counsellor == "C2"
    assert rule_problems(prep, state) == []


def _only_on_monday(c: dict) -> dict:
    return {**c, "weekly": {"1": [["08:00", "16:00"]]}}


def _rotation(d_place: str):
    """A (Vaksdal) cannot trade with B (Bergen), who would travel to Voss; D (``d_place``) holds
    C3's session at Bergen, which B can take without travelling more."""
    return _crunch_pair(participant("B", place="4601", deadline=DEADLINE, language="ar", needs_interpreter=True),
                        a_place="4628", third=participant("D", place=d_place, deadline=DEADLINE))


def test_three_participants_rotate_seats_when_a_pair_trade_would_add_travel():
    # D lives in Voss: A takes B's seat with C1, B takes D's at Bergen, D takes A's at Voss.
    prep, state = _rotation(d_place="4621")
    before = plan_objective(prep, state, {})

    assert exchange_seats(prep, state) == 1

    a, b, d = (_session_of(state, p, "individual") for p in ("A", "B", "D"))
    assert (a.counsellor, a.location, a.day, a.start, a.language) == ("C1", "L-bergen", 0, 8 * 60, "ti")
    assert (b.counsellor, b.location, b.day, b.start, b.language) == ("C3", "L-bergen", 0, 14 * 60, "ar")
    assert (d.counsellor, d.location, d.day, d.start, d.language) == ("C2", "L-voss", 0, 12 * 60, None)
    assert a.interpreter and b.interpreter and d.interpreter is None
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []


def test_no_rotation_when_the_third_participant_would_travel_more_than_it_saves():
    # D lives in Bergen too: the loop would send someone from Bergen to Voss.
    prep, state = _rotation(d_place="4601")

    assert exchange_seats(prep, state) == 0

    assert _session_of(state, "A", "individual").counsellor == "C2"
    assert _session_of(state, "D", "individual").counsellor == "C3"
    assert rule_problems(prep, state) == []


def test_a_slot_trade_that_lowers_the_objective_is_made_though_someone_loses_their_preferred_counsellor():
    """A and B, in C1's group on Tuesday, each see C2 individually on Monday (kept from the
    previous plan); C2 works Mondays only and is full with Z at 13:00, who prefers C2. Trading
    the group's slot with Z's gives A and B one counsellor each (tier 5: -2 x other_counsellor)
    and costs Z the preferred counsellor (+1 x not_preferred): the objective falls, and the
    preference counts once, as in the objective, not twice."""
    c2 = counsellor("C2", ["L-bergen"], per_day=3)
    c2["weekly"] = {"1": [["08:00", "16:00"]]}
    people = [participant(p, needs=["individual", "group"], deadline=DEADLINE) for p in ("A", "B")]
    people += [participant("Z", deadline=DEADLINE, preferred_counsellor="C2"),
               participant("X1", needs=["group"], deadline=DEADLINE)]
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": DEADLINE}, places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen"]), c2])
    prep = prepare(load_instance(inst))
    state = State(prep)
    state.add(Booking("group", ("A", "B", "X1"), "C1", "L-bergen", "L-bergen-G", 1, 10 * 60, 11 * 60 + 30))
    state.add(Booking("individual", ("A",), "C2", "L-bergen", "L-bergen-1", 0, 9 * 60, 10 * 60 + 30, prev_id="S1"))
    state.add(Booking("individual", ("B",), "C2", "L-bergen", "L-bergen-1", 0, 10 * 60 + 30, 12 * 60, prev_id="S2"))
    state.add(Booking("individual", ("Z",), "C2", "L-bergen", "L-bergen-1", 0, 13 * 60, 14 * 60 + 30))
    before = plan_objective(prep, state, {})
    traded = _traded(state, _session_of(state, "A", "group"), _session_of(state, "Z", "individual"))
    assert rules_broken(prep, traded) == set()
    assert plan_objective(prep, traded, {}) < before

    assert exchange_slots(prep, state) == 1

    group, z = _session_of(state, "A", "group"), _session_of(state, "Z", "individual")
    assert (group.counsellor, group.day, group.start) == ("C2", 0, 13 * 60)
    assert (z.counsellor, z.day, z.start) == ("C1", 1, 10 * 60)
    assert plan_objective(prep, state, {}) < before
    assert rule_problems(prep, state) == []
