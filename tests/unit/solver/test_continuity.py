"""Continuity repair (solver.continuity): legal re-staffing/re-timing only, never worse, never invalid."""

from __future__ import annotations

import copy

import pytest

from solver.check import check_plan
from solver.continuity import improve_continuity

from .conftest import make_instance, participant

ALL_WEEK = {d: [["08:00", "16:00"]] for d in "12345"}
MON, TUE = "2027-01-04", "2027-01-05"


def counsellor(cid: str, **kw) -> dict:
    c = {"id": cid, "name": cid, "locations": ["L-bergen"], "multicultural": True,
         "languages": ["nb", "en"], "weekly": copy.deepcopy(ALL_WEEK), "absences": [],
         "max_sessions_per_day": 4}
    c.update(kw)
    return c


VOSS_LOCATION = {"id": "L-voss", "name": "Voss", "place": "4621", "opening": [["08:00", "16:00"]],
                 "open_dates": None, "rooms": [{"id": "L-voss-G", "capacity": 10, "video": False}]}


def session(sid, typ, pids, cid, start, end, room=None, location="L-bergen", **kw) -> dict:
    room = room or (f"{location}-G" if typ == "group" else f"{location}-1")
    s = {"id": sid, "type": typ, "participants": list(pids), "counsellor": cid, "location": location,
         "room": room, "start": start, "end": end, "mode": "onsite", "language": None,
         "interpreter": None, "interpreter_mode": None}
    s.update(kw)
    return s


def plan_of(*sessions) -> dict:
    return {"format": "guidance-plan/1", "instance": "tiny", "sessions": list(sessions), "unscheduled": []}


def scenario(b_kw=None, p1_kw=None, group_day=MON, ind_day=MON, ind_time=("12:00", "13:30"),
             group_location="L-bergen", extra_locations=(), extra=(), ind_kw=None):
    """P1 needs individual (with A) + group (with B); P2, P3 only the group."""
    p1 = participant("P1", **{"needs": ["individual", "group"], "earliest": MON, "deadline": TUE,
                              **(p1_kw or {})})
    people = [p1, participant("P2", needs=["group"]), participant("P3", needs=["group"])]
    people += [p for p, _ in extra]
    # A works from 10:45 only, so the 09:00 group cannot simply move to A.
    a = counsellor("A", weekly={d: [["10:45", "16:00"]] for d in "12345"})
    inst = make_instance(people, counsellors=[a, counsellor("B", **(b_kw or {}))])
    inst["locations"] += list(extra_locations)
    sessions = [
        session("S1", "group", ["P1", "P2", "P3"], "B", f"{group_day}T09:00", f"{group_day}T10:30",
                location=group_location),
        session("S2", "individual", ["P1"], "A", f"{ind_day}T{ind_time[0]}", f"{ind_day}T{ind_time[1]}",
                **(ind_kw or {})),
    ]
    sessions += [s for _, s in extra]
    return inst, plan_of(*sessions)


def run(inst, plan):
    before = check_plan(inst, plan)
    assert before.valid, before.violations
    new = improve_continuity(inst, plan)
    after = check_plan(inst, new)
    assert after.valid, after.violations
    assert after.metrics["scheduled"] == before.metrics["scheduled"]
    return new, before.metrics, after.metrics


def by_id(plan, sid):
    return next(s for s in plan["sessions"] if s["id"] == sid)


def test_restaff_individual_with_group_counsellor():
    inst, plan = scenario()
    new, before, after = run(inst, plan)
    assert before["continuity_ratio"] == 0 and after["continuity_ratio"] == 1
    s2 = by_id(new, "S2")
    assert s2["counsellor"] == "B" and s2["start"] == "2027-01-04T12:00"  # same time, same room
    assert s2["room"] == "L-bergen-1"


def test_returns_dict_for_dict_and_leaves_input_alone():
    inst, plan = scenario()
    snapshot = copy.deepcopy(plan)
    new = improve_continuity(inst, plan)
    assert isinstance(new, dict) and plan == snapshot


def test_swap_with_target_counsellors_other_individual():
    p4 = participant("P4", needs=["individual"], earliest=MON, deadline=MON)
    other = session("S3", "individual", ["P4"], "B", f"{MON}T12:00", f"{MON}T13:30", room="L-bergen-X")
    inst, plan = scenario(p1_kw={"deadline": MON}, extra=[(p4, other)])
    inst["locations"][0]["rooms"].append({"id": "L-bergen-X", "capacity": 1, "video": False})
    new, before, after = run(inst, plan)
    assert by_id(new, "S2")["counsellor"] == "B" and by_id(new, "S3")["counsellor"] == "A"
    assert after["continuity_ratio"] == 1


def test_move_to_free_slot_of_group_counsellor():
    # B is busy at 12:00 with an individual it cannot give away, so S2 moves to a free slot of B.
    # P4 speaks only Arabic (no interpreter booked), which B speaks and A does not: no swap.
    p4 = participant("P4", needs=["individual"], earliest=MON, deadline=MON, language="ar",
                     needs_interpreter=True)
    other = session("S3", "individual", ["P4"], "B", f"{MON}T12:00", f"{MON}T13:30", room="L-bergen-X")
    inst, plan = scenario(extra=[(p4, other)], b_kw={"languages": ["nb", "ar"]})
    inst["locations"][0]["rooms"].append({"id": "L-bergen-X", "capacity": 1, "video": False})
    new, before, after = run(inst, plan)
    s2 = by_id(new, "S2")
    assert s2["counsellor"] == "B" and s2["start"] != "2027-01-04T12:00"
    assert after["continuity_ratio"] == 1


@pytest.mark.parametrize("case", ["absent", "not_at_location", "max_per_day", "hours", "travel"])
def test_illegal_moves_leave_plan_unchanged(case):
    kw = {}
    if case == "absent":
        # individual on Tuesday, B absent then; Monday B is full (max 1: the group)
        kw = dict(b_kw={"absences": [[TUE, TUE]], "max_sessions_per_day": 1}, ind_day=TUE)
    elif case == "not_at_location":
        kw = dict(b_kw={"locations": ["L-voss"]}, group_location="L-voss", extra_locations=[VOSS_LOCATION])
    elif case == "max_per_day":
        kw = dict(b_kw={"max_sessions_per_day": 1}, p1_kw={"deadline": MON})
    elif case == "hours":
        kw = dict(b_kw={"weekly": {"1": [["08:00", "11:00"]]}}, p1_kw={"deadline": MON})
    elif case == "travel":
        # group at Voss 09:00-10:30; individual from Bergen 10:45 by video (the participant lives in
        # Voss, so they are home by then); B cannot get to Bergen in time and works until 12:30 only,
        # so no later slot either.
        kw = dict(b_kw={"locations": ["L-voss", "L-bergen"], "weekly": {"1": [["08:00", "12:30"]]}},
                  p1_kw={"deadline": MON, "video_ok": True, "place": "4621"}, group_location="L-voss",
                  extra_locations=[VOSS_LOCATION], ind_time=("10:45", "12:15"), ind_kw={"mode": "video"})
    inst, plan = scenario(**kw)
    new, before, after = run(inst, plan)
    assert by_id(new, "S2")["counsellor"] == "A"
    assert [s for s in new["sessions"]] == plan["sessions"]


def test_not_multicultural_preferred_counsellor_is_not_used():
    p = participant("P1", needs=["individual"], preferred_counsellor="B")
    inst = make_instance([p], counsellors=[counsellor("A"), counsellor("B", multicultural=False)])
    plan = plan_of(session("S1", "individual", ["P1"], "A", f"{MON}T09:00", f"{MON}T10:30"))
    new, _, _ = run(inst, plan)
    assert by_id(new, "S1")["counsellor"] == "A"


def test_preferred_counsellor_honoured_when_free():
    p = participant("P1", needs=["individual"], preferred_counsellor="B")
    inst = make_instance([p], counsellors=[counsellor("A"), counsellor("B")])
    plan = plan_of(session("S1", "individual", ["P1"], "A", f"{MON}T09:00", f"{MON}T10:30"))
    new, before, after = run(inst, plan)
    assert by_id(new, "S1")["counsellor"] == "B"
    assert after["preferred_counsellor_honoured"] == 1


def test_group_restaffed_only_to_a_qualified_counsellor():
    # P1, P2 (ordinary) have individuals with C, P3 (integration act) only the group with B.
    people = [participant("P1", needs=["individual", "group"], legal_basis="ordinary"),
              participant("P2", needs=["individual", "group"], legal_basis="ordinary"),
              participant("P3", needs=["group"])]
    sessions = [session("S1", "group", ["P1", "P2", "P3"], "B", f"{MON}T09:00", f"{MON}T10:30"),
                session("S2", "individual", ["P1"], "C", f"{MON}T12:00", f"{MON}T13:30"),
                session("S3", "individual", ["P2"], "C", f"{TUE}T12:00", f"{TUE}T13:30")]
    for multicultural, expected in ((False, "B"), (True, "C")):
        c = counsellor("C", multicultural=multicultural)
        b = counsellor("B", max_sessions_per_day=1, absences=[[TUE, "2027-01-08"]])
        inst = make_instance(people, counsellors=[b, c])
        new, before, after = run(inst, plan_of(*copy.deepcopy(sessions)))
        assert by_id(new, "S1")["counsellor"] == expected


def test_frozen_sessions_untouched():
    inst, plan = scenario()
    inst["previous_plan"] = copy.deepcopy(plan)
    inst["frozen_until"] = "2027-01-04T23:00"
    new, before, after = run(inst, plan)
    assert new["sessions"] == plan["sessions"]


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_instances_never_worse(seed):
    from solver.generate import generate
    from solver.model import solve

    inst = generate(county="46", participants=150, seed=seed)
    plan = solve(inst, time_limit=5)
    before = check_plan(inst, plan)
    new = improve_continuity(inst, plan)
    after = check_plan(inst, new)
    assert after.valid, after.violations[:5]
    assert after.metrics["scheduled"] == before.metrics["scheduled"]
    assert len(new.sessions) == len(plan.sessions)
    assert (after.metrics["continuity_ratio"] or 0) >= (before.metrics["continuity_ratio"] or 0)


def test_participant_transferred_to_a_group_of_their_counsellor():
    # P1: individual with A (Mon 12:00), group with B (Mon 09:00). B is full on Monday and
    # absent afterwards; A runs another group on Tuesday with a free seat -> P1 joins it.
    people = [participant(f"P{k}", needs=["group"], deadline=TUE) for k in range(2, 8)]
    b_group = session("S1", "group", ["P1", "P2", "P3", "P4"], "B", f"{MON}T09:00", f"{MON}T10:30")
    a_group = session("S3", "group", ["P5", "P6", "P7"], "A", f"{TUE}T11:00", f"{TUE}T12:30")
    inst, plan = scenario(b_kw={"max_sessions_per_day": 1, "absences": [[TUE, "2027-01-08"]]})
    inst["participants"] = inst["participants"][:1] + people
    plan["sessions"] = [b_group, plan["sessions"][1], a_group]
    new, before, after = run(inst, plan)
    assert by_id(new, "S1")["participants"] == ["P2", "P3", "P4"]
    assert by_id(new, "S3")["participants"] == ["P5", "P6", "P7", "P1"]
    assert after["continuity_ratio"] == 1


def test_no_transfer_that_would_empty_a_group_below_min_size():
    people = [participant(f"P{k}", needs=["group"], deadline=TUE) for k in range(2, 7)]
    b_group = session("S1", "group", ["P1", "P2", "P3"], "B", f"{MON}T09:00", f"{MON}T10:30")
    a_group = session("S3", "group", ["P4", "P5", "P6"], "A", f"{TUE}T11:00", f"{TUE}T12:30")
    inst, plan = scenario(b_kw={"max_sessions_per_day": 1, "absences": [[TUE, "2027-01-08"]]})
    inst["participants"] = inst["participants"][:1] + people
    plan["sessions"] = [b_group, plan["sessions"][1], a_group]
    new, before, after = run(inst, plan)
    # P1 may not simply leave B's group (it would drop below three); trading places with a
    # member of A's group keeps both groups at three.
    assert [len(by_id(new, sid)["participants"]) for sid in ("S1", "S3")] == [3, 3]
    assert after["continuity_ratio"] >= before["continuity_ratio"]


def test_video_individual_moves_to_a_location_of_the_group_counsellor():
    voss = copy.deepcopy(VOSS_LOCATION)
    voss["rooms"].append({"id": "L-voss-1", "capacity": 1, "video": True})
    inst, plan = scenario(b_kw={"locations": ["L-voss"]}, p1_kw={"video_ok": True}, group_location="L-voss",
                          extra_locations=[voss])
    plan["sessions"][1]["mode"] = "video"
    new, before, after = run(inst, plan)
    s2 = by_id(new, "S2")
    assert (s2["counsellor"], s2["location"], s2["room"], s2["mode"]) == ("B", "L-voss", "L-voss-1", "video")
    assert after["participant_travel_minutes"] == before["participant_travel_minutes"]


def test_onsite_individual_never_moves_farther_away():
    inst, plan = scenario(b_kw={"locations": ["L-voss"]}, group_location="L-voss",
                          extra_locations=[copy.deepcopy(VOSS_LOCATION)])
    inst["locations"][-1]["rooms"].append({"id": "L-voss-1", "capacity": 1, "video": False})
    new, before, after = run(inst, plan)
    assert new["sessions"] == plan["sessions"]


def test_safety_net_returns_input_when_repair_would_break_a_rule(monkeypatch):
    from solver import continuity

    inst, plan = scenario(b_kw={"max_sessions_per_day": 1}, p1_kw={"deadline": MON})
    monkeypatch.setattr(continuity._Repair, "fits", lambda self, changes: True)
    assert improve_continuity(inst, plan) is plan
    broken = improve_continuity(inst, plan, verify=False)
    assert not check_plan(inst, broken).valid


def test_sessions_kept_from_previous_plan_are_not_changed():
    inst, plan = scenario()
    inst["previous_plan"] = copy.deepcopy(plan)  # nothing frozen, but re-staffing would be a change
    new, before, after = run(inst, plan)
    assert new["sessions"] == plan["sessions"]
    assert after["changes"] == before["changes"]


def test_sick_leave_replan_keeps_changes_and_validity():
    from solver.generate import generate
    from solver.model import solve

    inst = generate(county="46", participants=120, seed=2, scenario="sick-leave")
    plan = solve(inst, time_limit=4)
    before = check_plan(inst, plan)
    after = check_plan(inst, improve_continuity(inst, plan))
    assert after.valid, after.violations[:5]
    assert after.metrics["changes"] == before.metrics["changes"]
    assert after.metrics["scheduled"] == before.metrics["scheduled"]
    assert (after.metrics["continuity_ratio"] or 0) >= (before.metrics["continuity_ratio"] or 0)


@pytest.mark.parametrize("p4_earliest, exchanged", [(MON, True), (TUE, False)])
def test_exchange_participants_when_the_group_counsellor_is_fully_booked(p4_earliest, exchanged):
    # B takes one session a day: the group on Monday, P4's individual on Tuesday. Nothing is
    # free to restaff or move P1's Monday individual into, but P1 and P4 can trade places
    # (P4 has one session, so loses nothing) -- unless P4 cannot come on Monday.
    p4 = participant("P4", needs=["individual"], earliest=p4_earliest, deadline=TUE)
    other = session("S3", "individual", ["P4"], "B", f"{TUE}T12:00", f"{TUE}T13:30")
    inst, plan = scenario(b_kw={"max_sessions_per_day": 1}, extra=[(p4, other)])
    new, before, after = run(inst, plan)
    if exchanged:
        assert by_id(new, "S3")["participants"] == ["P1"] and by_id(new, "S3")["counsellor"] == "B"
        assert by_id(new, "S2")["participants"] == ["P4"] and by_id(new, "S2")["start"] == f"{MON}T12:00"
        assert after["continuity_ratio"] == 1
    else:
        assert new["sessions"] == plan["sessions"]


def test_group_member_trades_places_with_a_member_of_the_other_counsellors_full_group():
    # P1: group with B, individual with A. A's group (same type, same place, same time) is
    # full, B takes one session a day and A's individual slot cannot move (P1 only has
    # Monday). P5, in A's group with no other session, loses nothing by trading places.
    people = [participant("P1", needs=["individual", "group"], deadline=MON)]
    people += [participant(f"P{i}", needs=["group"], deadline=MON) for i in (2, 3, 5, 6, 7)]
    inst = make_instance(people, counsellors=[counsellor("A"), counsellor("B", max_sessions_per_day=1)])
    inst["session_types"]["group"]["max_size"] = 3
    inst["locations"][0]["rooms"].append({"id": "L-bergen-G2", "capacity": 10, "video": False})
    plan = plan_of(
        session("G1", "group", ["P1", "P2", "P3"], "B", f"{MON}T09:00", f"{MON}T10:30"),
        session("G2", "group", ["P5", "P6", "P7"], "A", f"{MON}T09:00", f"{MON}T10:30", room="L-bergen-G2"),
        session("S2", "individual", ["P1"], "A", f"{MON}T12:00", f"{MON}T13:30"),
    )
    new, before, after = run(inst, plan)
    assert set(by_id(new, "G2")["participants"]) == {"P1", "P6", "P7"}
    assert set(by_id(new, "G1")["participants"]) == {"P5", "P2", "P3"}
    assert after["continuity_ratio"] == 1 and before["continuity_ratio"] == 0
