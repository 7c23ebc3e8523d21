"""The fill pass places open needs in capacity left free and in slots a small group gives up,
never losing a session and never making a moved member see one more counsellor."""

from __future__ import annotations

from solver.construct import Booking
from solver.fill import fill

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant, rule_problems, state_of

DAY = "2027-01-04"
ROOMS = [{"id": "L-bergen-1", "capacity": 1, "video": False}, {"id": "L-bergen-2", "capacity": 1, "video": False},
         {"id": "L-bergen-G", "capacity": 10, "video": False}]


def _instance(people, counsellors, end=DAY) -> dict:
    inst = make_instance(people, horizon={"start": DAY, "end": end}, counsellors=counsellors, interpreters=[])
    inst["locations"][0]["rooms"] = ROOMS
    return inst


def _group(members, counsellor: str, start: int, day: int = 0) -> Booking:
    return Booking("group", tuple(members), counsellor, "L-bergen", "L-bergen-G", day, start, start + 90)


def _individual(pid: str, counsellor: str, start: int, day: int = 0, room: str = "L-bergen-1") -> Booking:
    return Booking("individual", (pid,), counsellor, "L-bergen", room, day, start, start + 90)


def _placed(state) -> set[tuple[str, str]]:
    return set(state.done)


def test_an_open_need_takes_a_time_the_other_passes_left_free():
    inst = _instance([participant("P-open", deadline=DAY)], [counsellor("C1", ["L-bergen"], per_day=2)])
    prep, state = state_of(inst, [])
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 1, "groups_dissolved": 0, "days_at_one_place": 0}
    assert ("P-open", "individual") in _placed(state)
    assert rule_problems(prep, state) == []


def _full_monday(sizes=(3, 3), waiting=None, weekdays="12345", end=DAY):
    """C1 gives three sessions a day and Monday is full: group A at 08:00, group B at 09:30
    (``sizes`` members, group needs only) and P-x's individual session at 11:00. ``waiting``
    is the participant with an open individual need. Returns (prep, state, A, B)."""
    a = [f"A{i}" for i in range(sizes[0])]
    b = [f"B{i}" for i in range(sizes[1])]
    people = [participant(p, needs=["group"], deadline=DAY) for p in a + b]
    people += [participant("P-x", deadline=DAY), waiting]
    c1 = counsellor("C1", ["L-bergen"], per_day=3)
    c1["weekly"] = {d: [["08:00", "16:00"]] for d in weekdays}
    inst = _instance(people, [c1], end=end)
    prep, state = state_of(inst, [_group(a, "C1", 8 * 60), _group(b, "C1", 9 * 60 + 30),
                                  _individual("P-x", "C1", 11 * 60)])
    return prep, state, a, b


def test_a_small_group_gives_its_slot_to_a_waiting_participant_and_its_members_join_another_group():
    # P-open's deadline is today. Group B's members fit in group A (six of eight seats), which
    # frees C1's 09:30 slot for P-open: one more participant helped, nobody loses a session.
    prep, state, a, b = _full_monday(waiting=participant("P-open", deadline=DAY))
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 1, "groups_dissolved": 1, "days_at_one_place": 0}
    assert _placed(state) == {(p, "group") for p in a + b} | {("P-x", "individual"), ("P-open", "individual")}
    [group] = [s for s in state.bookings.values() if s.type == "group"]
    assert sorted(group.participants) == sorted(a + b)
    assert rule_problems(prep, state) == []


def test_no_group_is_dissolved_when_nobody_can_take_its_slot():
    # P-late may come only on Tuesday, when C1 does not work.
    waiting = participant("P-late", earliest="2027-01-05", deadline="2027-01-05")
    prep, state, _a, _b = _full_monday(waiting=waiting, weekdays="1", end="2027-01-05")
    counts = fill(prep, state, [("P-late", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 0, "groups_dissolved": 0, "days_at_one_place": 0}
    assert sorted(len(s.participants) for s in state.bookings.values()) == [1, 3, 3]


def test_no_group_grows_beyond_its_maximum_size():
    # Groups of five and four: nine would exceed the eight seats a group session has.
    prep, state, _a, _b = _full_monday(sizes=(5, 4), waiting=participant("P-open", deadline=DAY))
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 0, "groups_dissolved": 0, "days_at_one_place": 0}
    assert sorted(len(s.participants) for s in state.bookings.values()) == [1, 4, 5]


def _full_tuesday(a_individual: bool):
    """On Tuesday C2 leads group A at 08:00 and C1 group B at 09:30, and both are full for the
    day; B's members had their individual sessions with C1 on Monday, and so had A's with C2
    when ``a_individual``. P-open may come only on Tuesday. Returns (prep, state, A, B)."""
    tuesday = "2027-01-05"
    a = [f"A{i}" for i in range(3)]
    b = [f"B{i}" for i in range(3)]
    people = [participant(p, needs=["individual", "group"] if a_individual else ["group"], deadline=tuesday) for p in a]
    people += [participant(p, needs=["individual", "group"], deadline=tuesday) for p in b]
    people += [participant(p, deadline=tuesday) for p in ("P-x", "P-y", "P-z", "P-w")]
    people += [participant("P-open", earliest=tuesday, deadline=tuesday)]
    inst = _instance(people, [counsellor(c, ["L-bergen"], per_day=3) for c in ("C1", "C2")], end=tuesday)
    bookings = [_group(a, "C2", 8 * 60, day=1), _group(b, "C1", 9 * 60 + 30, day=1)]
    bookings += [_individual(p, "C1", 11 * 60 + 90 * i, day=1) for i, p in enumerate(("P-x", "P-y"))]
    bookings += [_individual(p, "C2", 9 * 60 + 30 + 90 * i, day=1, room="L-bergen-2") for i, p in enumerate(("P-z", "P-w"))]
    bookings += [_individual(p, "C1", 8 * 60 + 90 * i, day=0) for i, p in enumerate(b)]
    if a_individual:
        bookings += [_individual(p, "C2", 8 * 60 + 90 * i, day=0, room="L-bergen-2") for i, p in enumerate(a)]
    prep, state = state_of(inst, bookings)
    assert rule_problems(prep, state) == []
    return prep, state, a, b


def test_a_member_is_not_moved_to_a_group_whose_counsellor_they_do_not_meet():
    # Either group fits into the other, but its members would then see a second counsellor:
    # both groups stay and P-open waits (continuity is a promise, not traded for a session).
    prep, state, a, b = _full_tuesday(a_individual=True)
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 0, "groups_dissolved": 0, "days_at_one_place": 0}
    assert all(set(state.met[p]) == {"C1"} for p in b) and all(set(state.met[p]) == {"C2"} for p in a)


def test_a_member_who_meets_no_other_counsellor_may_move_to_another_group():
    # Group A's members have no individual session: A gives its slot up, its members join
    # C1's group B, and P-open takes C2's freed time.
    prep, state, a, b = _full_tuesday(a_individual=False)
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 1, "groups_dissolved": 1, "days_at_one_place": 0}
    [group] = [s for s in state.bookings.values() if s.type == "group"]
    assert group.counsellor == "C1" and sorted(group.participants) == sorted(a + b)
    assert state.bookings[state.done[("P-open", "individual")]].counsellor == "C2"
    assert all(set(state.met[p]) == {"C1"} for p in a + b)
    assert rule_problems(prep, state) == []


VAKSDAL = {"id": "4628", "name": "Vaksdal", "lat": 60.48, "lon": 5.74}


def _split_day(mover_place: str):
    """C1 works 08:00-14:00 at Bergen and Voss and gives four sessions a day: P-a at Bergen at
    08:00, the mover (living at ``mover_place``) at Voss at 11:30. The drive between them
    leaves no 90-minute window that day; P-open, from Bergen, may come only today."""
    c1 = counsellor("C1", ["L-bergen", "L-voss"])
    c1["weekly"] = {d: [["08:00", "14:00"]] for d in "12345"}
    people = [participant("P-a", deadline=DAY), participant("P-mover", place=mover_place, deadline=DAY),
              participant("P-open", deadline=DAY)]
    inst = make_instance(people, horizon={"start": DAY, "end": DAY}, places=BERGEN_VOSS + [VAKSDAL],
                         locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")], counsellors=[c1], interpreters=[])
    inst["max_participant_travel_minutes"] = 60
    bookings = [Booking("individual", ("P-a",), "C1", "L-bergen", "L-bergen-1", 0, 8 * 60, 8 * 60 + 90),
                Booking("individual", ("P-mover",), "C1", "L-voss", "L-voss-1", 0, 11 * 60 + 30, 13 * 60)]
    prep, state = state_of(inst, bookings)
    assert rule_problems(prep, state) == []
    return prep, state


def test_a_counsellor_s_day_at_two_places_goes_to_one_and_the_travel_time_to_a_waiting_participant():
    # The mover lives in Vaksdal and reaches Bergen too: their session moves to Bergen with C1,
    # and the time the drive to Voss took is P-open's.
    prep, state = _split_day(mover_place="4628")
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 1, "groups_dissolved": 0, "days_at_one_place": 1}
    assert {b.participants[0]: (b.location, b.counsellor) for b in state.bookings.values()} == {
        "P-a": ("L-bergen", "C1"), "P-mover": ("L-bergen", "C1"), "P-open": ("L-bergen", "C1")}
    assert rule_problems(prep, state) == []


def test_the_day_stays_at_two_places_when_the_session_there_cannot_move():
    # The mover lives in Voss, more than the 60-minute limit from Bergen: nothing moves.
    prep, state = _split_day(mover_place="4621")
    counts = fill(prep, state, [("P-open", "individual")], stop_at=float("inf"))
    assert counts == {"placed": 0, "groups_dissolved": 0, "days_at_one_place": 0}
    assert {b.participants[0]: b.location for b in state.bookings.values()} == {"P-a": "L-bergen", "P-mover": "L-voss"}
