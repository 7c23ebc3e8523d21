"""The planner keeps every hard rule, explains what it cannot place, and is deterministic.

Each test builds a tiny instance that forces one rule and asserts the behaviour directly;
solver.check (the independent referee) confirms the whole plan is valid.
"""

from __future__ import annotations

import json

import pytest

from solver.check import check_plan
from solver.formats import dump_plan
from solver.model import solve

from .conftest import make_instance, participant, rule_problems

LIMIT = 2.0


def plan_for(inst: dict, **kw):
    plan = solve(inst, time_limit=kw.pop("time_limit", LIMIT), **kw)
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations]
    return plan


def sessions_of(plan, pid):
    return [s for s in plan.sessions if pid in s.participants]


def reasons(plan):
    return {(u.participant, u.type): u.reason for u in plan.unscheduled}


def weekly(start="08:00", end="16:00"):
    return {d: [[start, end]] for d in "12345"}


def test_tiny_instance_is_fully_planned(tiny_instance):
    plan = plan_for(tiny_instance)
    assert len(plan.sessions) == 2 and not plan.unscheduled
    p2 = sessions_of(plan, "P2")[0]
    assert p2.language == "ti" and p2.interpreter == "I1"


def test_rule1_sessions_inside_opening_hours_and_open_dates():
    inst = make_instance([participant("P1")])
    inst["locations"][0]["opening"] = [["13:00", "16:00"]]
    inst["locations"][0]["open_dates"] = ["2027-01-06"]
    plan = plan_for(inst)
    (s,) = plan.sessions
    assert s.start.date().isoformat() == "2027-01-06" and s.start.hour >= 13


def test_rule1_holiday_is_skipped():
    inst = make_instance([participant("P1", earliest="2027-01-04", deadline="2027-01-05")],
                         calendar={"workdays": [1, 2, 3, 4, 5], "holidays": ["2027-01-04"]})
    (s,) = plan_for(inst).sessions
    assert s.start.date().isoformat() == "2027-01-05"


def test_rule2_earliest_deadline_and_no_overlap():
    inst = make_instance([participant("P1", needs=["individual", "group"], earliest="2027-01-06",
                                      deadline="2027-01-06"),
                          participant("P2", needs=["group"]), participant("P3", needs=["group"])])
    plan = plan_for(inst)
    mine = sessions_of(plan, "P1")
    assert len(mine) == 2
    assert all(s.start.date().isoformat() == "2027-01-06" for s in mine)
    a, b = sorted(mine, key=lambda s: s.start)
    assert a.end <= b.start


def test_rule3_counsellor_absence_and_daily_limit():
    inst = make_instance([participant(f"P{i}") for i in range(1, 4)])
    inst["counsellors"][0]["absences"] = [["2027-01-04", "2027-01-06"]]
    inst["counsellors"][0]["max_sessions_per_day"] = 2
    plan = plan_for(inst)
    days = [s.start.date().isoformat() for s in plan.sessions]
    assert len(days) == 3 and min(days) >= "2027-01-07"
    assert max(days.count(d) for d in set(days)) <= 2


def test_rule3_busy_times_keep_the_counsellor_free_then_and_only_then():
    # Monday 08:00-16:00 works, but 08:00-14:30 is taken (a session the counsellor could not hold):
    # the only 90-minute time left that day is 14:30.
    inst = make_instance([participant("P1", deadline="2027-01-04")])
    inst["counsellors"][0]["busy"] = [["2027-01-04T08:00", "2027-01-04T14:30"]]
    plan = plan_for(inst)
    assert [s.start.strftime("%Y-%m-%dT%H:%M") for s in plan.sessions] == ["2027-01-04T14:30"]


def test_the_checker_refuses_a_session_in_a_counsellors_or_interpreters_busy_time():
    inst = make_instance([participant("P1", language="ti", needs_interpreter=True)])
    plan = plan_for(inst)
    session = plan.sessions[0]
    span = [session.start.strftime("%Y-%m-%dT%H:%M"), session.end.strftime("%Y-%m-%dT%H:%M")]
    inst["counsellors"][0]["busy"] = [span]
    inst["interpreters"][0]["busy"] = [[span[0][:11] + "00:00", span[0]]]   # ends as the session starts
    assert {v.rule for v in check_plan(inst, plan).violations} == {3}
    inst["counsellors"][0]["busy"] = []
    inst["interpreters"][0]["busy"] = [span]
    assert {v.rule for v in check_plan(inst, plan).violations} == {6}


def test_an_interpreter_busy_at_the_kept_sessions_time_is_replaced_in_a_re_plan():
    # The previous plan booked I1 on Monday 09:00; I1 said no to that time (busy): the re-plan keeps
    # the appointment with the other interpreter.
    inst = make_instance([participant("P1", language="ti", needs_interpreter=True)])
    inst["interpreters"].append({**inst["interpreters"][0], "id": "I2", "name": "Tolk 2"})
    inst["previous_plan"] = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {"id": "S1", "type": "individual", "participants": ["P1"], "counsellor": "C1", "location": "L-bergen",
         "room": "L-bergen-1", "start": "2027-01-04T09:00", "end": "2027-01-04T10:30", "mode": "onsite",
         "language": "ti", "interpreter": "I1", "interpreter_mode": "onsite"}]}
    inst["interpreters"][0]["busy"] = [["2027-01-04T09:00", "2027-01-04T10:30"]]
    plan = plan_for(inst)
    assert [(s.start.strftime("%H:%M"), s.interpreter) for s in plan.sessions] == [("09:00", "I2")]


def test_rule2_a_participant_is_never_planned_in_a_time_they_cannot_come():
    # Monday 08:00-14:30 the participant cannot come (a course, a doctor's appointment): the only
    # 90-minute time before the deadline is 14:30; the checker refuses the session an hour earlier.
    inst = make_instance([participant("P1", deadline="2027-01-04")])
    inst["participants"][0]["busy"] = [["2027-01-04T08:00", "2027-01-04T14:30"]]
    plan = plan_for(inst)
    assert [s.start.strftime("%Y-%m-%dT%H:%M") for s in plan.sessions] == ["2027-01-04T14:30"]
    early = plan.model_copy(deep=True)
    early.sessions[0].start = early.sessions[0].start.replace(hour=13, minute=0)
    early.sessions[0].end = early.sessions[0].end.replace(hour=14, minute=30)
    assert {v.rule for v in check_plan(inst, early).violations} == {2}


def test_a_re_plan_moves_the_session_a_participant_cannot_come_to_and_keeps_the_rest():
    # The referrer said P1 cannot come on Monday at 09:00 (it became `busy`): the re-plan gives P1
    # another time, and P2's session, which nothing changed, stays as published.
    inst = make_instance([participant("P1"), participant("P2")])
    def kept(sid, pid, start, end, room):
        return {"id": sid, "type": "individual", "participants": [pid], "counsellor": "C1", "location": "L-bergen",
                "room": room, "start": start, "end": end, "mode": "onsite", "language": None,
                "interpreter": None, "interpreter_mode": None}
    inst["previous_plan"] = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        kept("S1", "P1", "2027-01-04T09:00", "2027-01-04T10:30", "L-bergen-1"),
        kept("S2", "P2", "2027-01-04T11:00", "2027-01-04T12:30", "L-bergen-1")]}
    inst["participants"][0]["busy"] = [["2027-01-04T09:00", "2027-01-04T10:30"]]
    plan = plan_for(inst)
    (mine,) = sessions_of(plan, "P1")
    assert mine.start.strftime("%Y-%m-%dT%H:%M") != "2027-01-04T09:00"
    (other,) = sessions_of(plan, "P2")
    assert (other.id, other.start.strftime("%Y-%m-%dT%H:%M")) == ("S2", "2027-01-04T11:00")


def test_a_re_plan_never_keeps_a_participant_in_a_group_at_a_time_they_cannot_come():
    members = [participant(f"P{i}", needs=["group"]) for i in range(1, 5)]
    inst = make_instance(members)
    inst["previous_plan"] = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {"id": "G1", "type": "group", "participants": ["P1", "P2", "P3", "P4"], "counsellor": "C1",
         "location": "L-bergen", "room": "L-bergen-G", "start": "2027-01-04T09:00", "end": "2027-01-04T10:30",
         "mode": "onsite", "language": None, "interpreter": None, "interpreter_mode": None}]}
    inst["participants"][0]["busy"] = [["2027-01-04T09:00", "2027-01-04T10:30"]]
    plan = plan_for(inst)
    (mine,) = sessions_of(plan, "P1")
    assert mine.start.strftime("%Y-%m-%dT%H:%M") != "2027-01-04T09:00"


def test_rule3_travel_between_locations():
    inst = make_instance([participant("P1", place="4601", deadline="2027-01-04"),
                          participant("P2", place="4621", deadline="2027-01-04")])
    inst["locations"].append({"id": "L-voss", "name": "Voss", "place": "4621", "opening": [["08:00", "16:00"]],
                              "open_dates": None, "rooms": [{"id": "L-voss-1", "capacity": 1, "video": False}]})
    inst["counsellors"][0]["locations"] = ["L-bergen", "L-voss"]
    inst["max_participant_travel_minutes"] = 30
    plan = plan_for(inst)
    a, b = sorted(plan.sessions, key=lambda s: s.start)
    assert {a.location, b.location} == {"L-bergen", "L-voss"}
    assert (b.start - a.end).total_seconds() / 60 >= 86


def test_rule4_act_participant_gets_multicultural_counsellor():
    inst = make_instance([participant("P1", legal_basis="integration_act"),
                          participant("P2", legal_basis="ordinary")])
    inst["counsellors"][0]["multicultural"] = False
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2", "multicultural": True,
                                "max_sessions_per_day": 1, "absences": []})
    plan = plan_for(inst)
    assert sessions_of(plan, "P1")[0].counsellor == "C2"


def test_rule4_no_multicultural_counsellor_is_explained():
    inst = make_instance([participant("P1", legal_basis="temporary_act")])
    inst["counsellors"][0]["multicultural"] = False
    plan = plan_for(inst)
    assert reasons(plan) == {("P1", "individual"): "no_qualified_counsellor"}


def test_rule5_counsellor_language_avoids_interpreter():
    inst = make_instance([participant("P1", language="ar", needs_interpreter=True)])
    inst["counsellors"][0]["languages"] = ["nb", "ar"]
    (s,) = plan_for(inst).sessions
    assert s.interpreter is None and s.language is None


def test_rule5_group_has_one_interpreted_language():
    inst = make_instance([participant("P1", needs=["group"], language="ti", needs_interpreter=True),
                          participant("P2", needs=["group"], language="ti", needs_interpreter=True),
                          participant("P3", needs=["group"], language="ar", needs_interpreter=True),
                          participant("P4", needs=["group"], language="ar", needs_interpreter=True),
                          participant("P5", needs=["group"]), participant("P6", needs=["group"])])
    plan = plan_for(inst)
    for s in plan.sessions:
        langs = {p for p in s.participants if p in {"P1", "P2", "P3", "P4"}}
        assert not ({"P1", "P2"} & langs and {"P3", "P4"} & langs)
    assert sum(len(s.participants) for s in plan.sessions) == 6


def test_rule6_interpreter_absent_means_no_interpreter_reason():
    inst = make_instance([participant("P1", language="ti", needs_interpreter=True)])
    inst["interpreters"][0]["absences"] = [["2027-01-01", "2027-01-31"]]
    plan = plan_for(inst)
    assert reasons(plan) == {("P1", "individual"): "no_interpreter_for_language"}


def test_rule6_interpreter_never_double_booked():
    inst = make_instance([participant(f"P{i}", language="ti", needs_interpreter=True, deadline="2027-01-04")
                          for i in range(1, 4)])
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2"})
    inst["locations"][0]["rooms"].append({"id": "L-bergen-2", "capacity": 1, "video": False})
    plan = plan_for(inst)
    spans = sorted((s.start, s.end) for s in plan.sessions)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_rule7_video_only_for_video_ok_in_video_room():
    inst = make_instance([participant("P1", place="5001", video_ok=True),
                          participant("P2", place="5001", video_ok=False)])
    plan = plan_for(inst)
    (s,) = sessions_of(plan, "P1")
    assert s.mode == "video" and s.room == "L-bergen-1"
    assert reasons(plan) == {("P2", "individual"): "too_far_from_any_location"}


def test_rule7_phone_interpreter_never_in_groups():
    inst = make_instance([participant(f"P{i}", needs=["group"], language="ti", needs_interpreter=True)
                          for i in range(1, 4)])
    inst["interpreters"][0]["modes"] = ["phone"]
    plan = plan_for(inst)
    assert not plan.sessions
    assert set(reasons(plan).values()) == {"no_interpreter_for_language"}


def test_rule8_group_size_and_capacity():
    inst = make_instance([participant(f"P{i}", needs=["group"]) for i in range(1, 12)])
    inst["locations"][0]["rooms"][1]["capacity"] = 6
    plan = plan_for(inst)
    sizes = sorted(len(s.participants) for s in plan.sessions)
    assert sum(sizes) == 11 and all(3 <= n <= 6 for n in sizes)


def test_rule8_group_too_small():
    inst = make_instance([participant("P1", needs=["group"]), participant("P2", needs=["group"])])
    plan = plan_for(inst)
    assert set(reasons(plan).values()) == {"group_too_small"}


def test_rule9_nearest_location_within_travel_limit():
    inst = make_instance([participant("P1", place="4621")])
    inst["locations"].append({"id": "L-voss", "name": "Voss", "place": "4621", "opening": [["08:00", "16:00"]],
                              "open_dates": None, "rooms": [{"id": "L-voss-1", "capacity": 1, "video": False}]})
    inst["counsellors"][0]["locations"] = ["L-bergen", "L-voss"]
    (s,) = plan_for(inst).sessions
    assert s.location == "L-voss"


def test_deadline_before_earliest_reason():
    inst = make_instance([participant("P1", earliest="2027-01-07", deadline="2027-01-05")])
    assert reasons(plan_for(inst)) == {("P1", "individual"): "deadline_before_earliest"}


def test_no_interpreter_for_language_reason():
    inst = make_instance([participant("P1", language="ln", needs_interpreter=True)])
    plan = plan_for(inst)
    assert reasons(plan) == {("P1", "individual"): "no_interpreter_for_language"}
    assert "'ln'" in plan.unscheduled[0].detail


def test_no_capacity_before_deadline_reason():
    inst = make_instance([participant(f"P{i}", deadline="2027-01-04") for i in range(1, 4)])
    inst["counsellors"][0]["max_sessions_per_day"] = 2
    plan = plan_for(inst)
    assert len(plan.sessions) == 2
    assert list(reasons(plan).values()) == ["no_capacity_before_deadline"]


def test_integration_act_with_nearest_deadline_goes_first():
    inst = make_instance([participant("P-ord", legal_basis="ordinary", deadline="2027-01-04"),
                          participant("P-late", deadline="2027-01-08"),
                          participant("P-soon", deadline="2027-01-04")],
                         horizon={"start": "2027-01-04", "end": "2027-01-04"})
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    plan = plan_for(inst)
    assert [s.participants for s in plan.sessions] == [["P-soon"]]


def _previous(plan_dict, frozen_until=None, **changes):
    return {"previous_plan": plan_dict, "frozen_until": frozen_until, **changes}


def test_rule10_frozen_sessions_kept_exactly():
    base = make_instance([participant("P1"), participant("P2")])
    frozen = {"id": "S-old", "type": "individual", "participants": ["P1"], "counsellor": "C1",
              "location": "L-bergen", "room": "L-bergen-G", "start": "2027-01-05T14:00",
              "end": "2027-01-05T15:30", "mode": "onsite", "language": None, "interpreter": None,
              "interpreter_mode": None}
    prev = {"format": "guidance-plan/1", "instance": "tiny", "sessions": [frozen], "unscheduled": []}
    inst = make_instance(base["participants"], **_previous(prev, "2027-01-06T00:00"))
    plan = plan_for(inst)
    kept = [s for s in plan.sessions if s.id == "S-old"]
    assert kept and dump_plan(plan)["sessions"][[s.id for s in plan.sessions].index("S-old")] == frozen


def test_rule10_frozen_session_with_sick_counsellor_moves():
    inst = make_instance([participant("P1")])
    inst["counsellors"][0]["absences"] = [["2027-01-05", "2027-01-05"]]
    prev = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {"id": "S-old", "type": "individual", "participants": ["P1"], "counsellor": "C1",
         "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-05T09:00", "end": "2027-01-05T10:30"}]}
    inst.update(_previous(prev, "2027-01-06T00:00"))
    (s,) = plan_for(inst).sessions
    assert s.start.date().isoformat() != "2027-01-05"


def test_new_sessions_wait_for_new_sessions_from_and_frozen_ones_before_it_stay():
    """A county's minimum notice: P1's published session on the 5th stays; P1's group session and P2's
    individual one start on the 7th at the earliest."""
    frozen = {"id": "S-old", "type": "individual", "participants": ["P1"], "counsellor": "C1",
              "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-05T09:00",
              "end": "2027-01-05T10:30", "mode": "onsite", "language": None, "interpreter": None,
              "interpreter_mode": None}
    prev = {"format": "guidance-plan/1", "instance": "tiny", "sessions": [frozen], "unscheduled": []}
    people = [participant("P1", needs=["individual", "group"]), participant("P2", needs=["individual", "group"]),
              participant("P3", needs=["group"])]
    inst = make_instance(people, **_previous(prev, "2027-01-06T00:00", new_sessions_from="2027-01-07"))
    plan = plan_for(inst)  # valid under the checker, which holds new_sessions_from too
    sessions = dump_plan(plan)["sessions"]
    assert frozen in sessions
    others = [s for s in sessions if s["id"] != "S-old"]
    assert others and all(s["start"] >= "2027-01-07" for s in others)
    assert {(m, s["type"]) for s in others for m in s["participants"]} >= {("P2", "individual")}


def test_previous_plan_unchanged_when_still_valid():
    first = solve(make_instance([participant("P1"), participant("P2")]), time_limit=LIMIT)
    inst = make_instance([participant("P1"), participant("P2"), participant("P3")],
                         **_previous(dump_plan(first)))
    plan = plan_for(inst)
    old = {s.id: dump_plan(first)["sessions"][i] for i, s in enumerate(first.sessions)}
    new = {s["id"]: s for s in dump_plan(plan)["sessions"]}
    for sid, s in old.items():
        assert new[sid] == s


# Determinism is a property of the work the planner does, not of the machine's speed: the limit
# is only a wall-clock safety cap, far above what these tiny instances need to converge (about a
# second), so a loaded machine cannot end one run earlier than the other.
SAFETY_CAP = 600


def _solved_twice(inst, **options):
    plans = [dump_plan(solve(inst, time_limit=SAFETY_CAP, **options)) for _ in range(2)]
    for plan in plans:
        assert plan["stats"].pop("wall_seconds") < SAFETY_CAP / 4, "the search ended on the clock"
    return plans


def test_same_seed_gives_identical_plan():
    inst = make_instance([participant(f"P{i}", needs=["individual", "group"],
                                      language=("ti" if i % 3 == 0 else "nb"), needs_interpreter=(i % 3 == 0))
                          for i in range(1, 10)])
    a, b = _solved_twice(inst, seed=7)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_progress_callback_reports_improvements():
    seen = []
    solve(make_instance([participant("P1")]), time_limit=LIMIT, on_progress=seen.append)
    assert seen and {"sessions_placed", "objective", "best_bound", "elapsed_seconds"} <= set(seen[0])
    assert seen[-1]["sessions_placed"] == 1


def test_progress_objective_only_improves_and_ends_at_the_plan():
    inst = make_instance([participant(f"P{i}", needs=["individual", "group"], preferred_counsellor="C2")
                          for i in range(1, 7)])
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2", "max_sessions_per_day": 2})
    seen = []
    plan = solve(inst, time_limit=3, on_progress=seen.append)
    values = [s["objective"] for s in seen]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    assert values[-1] == plan.stats.objective
    assert all(s["best_bound"] <= s["objective"] for s in seen)


def test_search_moves_a_session_to_make_room_for_another():
    # Construction serves the integration-act participant first, on the first day; only the
    # CP-SAT search, moving it to the second day, can also fit the ordinary participant.
    inst = make_instance([participant("P-ia", legal_basis="integration_act", deadline="2027-01-05"),
                          participant("P-ord", legal_basis="ordinary", deadline="2027-01-04")],
                         horizon={"start": "2027-01-04", "end": "2027-01-05"})
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    plan = plan_for(inst)
    assert not plan.unscheduled
    days = {s.participants[0]: s.start.date().isoformat() for s in plan.sessions}
    assert days == {"P-ord": "2027-01-04", "P-ia": "2027-01-05"}


def test_time_limit_too_short_for_search_still_gives_valid_plan():
    inst = make_instance([participant(f"P{i}", needs=["individual", "group"]) for i in range(1, 8)])
    plan = plan_for(inst, time_limit=0.05)
    assert plan.stats.status == "FEASIBLE"
    assert sum(len(s.participants) for s in plan.sessions) + len(plan.unscheduled) == 14


def test_rule7_video_interpreter_only_in_video_room():
    inst = make_instance([participant("P1", language="ti", needs_interpreter=True)])
    inst["interpreters"][0]["modes"] = ["video"]
    inst["locations"][0]["rooms"] = [{"id": "R-plain", "capacity": 1, "video": False},
                                     {"id": "R-video", "capacity": 1, "video": True}]
    (s,) = plan_for(inst).sessions
    assert s.interpreter_mode == "video" and s.room == "R-video"


def test_previous_group_keeps_going_when_a_participant_left():
    members = [participant(f"P{i}", needs=["group"]) for i in range(1, 5)]
    first = solve(make_instance(members), time_limit=LIMIT)
    (old,) = first.sessions
    inst = make_instance(members[1:], **_previous(dump_plan(first)))
    (s,) = plan_for(inst).sessions
    assert sorted(s.participants) == ["P2", "P3", "P4"] and s.start == old.start


def test_previous_plan_with_unknown_version_is_a_format_error():
    from solver.formats import FormatError, load_instance

    inst = make_instance([participant("P1")],
                         **_previous({"format": "guidance-plan/7", "sessions": []}))
    with pytest.raises(FormatError) as err:
        load_instance(inst)
    assert err.value.errors[0][0] == "previous_plan.format"


def test_time_limit_reached_is_a_reason_not_a_crash():
    plan = solve(make_instance([participant("P1")]), time_limit=0)
    assert reasons(plan) == {("P1", "individual"): "time_limit_reached"}
    assert check_plan(make_instance([participant("P1")]), plan).valid


def test_same_seed_gives_identical_plan_with_one_worker():
    inst = make_instance([participant(f"P{i}", needs=["individual", "group"], video_ok=(i % 2 == 0))
                          for i in range(1, 10)])
    a, b = _solved_twice(inst, seed=1, workers=1)
    assert a == b


def test_sick_counsellor_session_keeps_its_time_with_a_colleague():
    inst = make_instance([participant("P1")])
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2"})
    inst["counsellors"][0]["absences"] = [["2027-01-06", "2027-01-06"]]
    prev = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {"id": "S-old", "type": "individual", "participants": ["P1"], "counsellor": "C1",
         "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-06T13:00", "end": "2027-01-06T14:30"}]}
    inst.update(_previous(prev, "2027-01-07T00:00"))
    (s,) = plan_for(inst).sessions
    assert s.counsellor == "C2" and s.start.isoformat() == "2027-01-06T13:00:00"


def test_group_moves_so_a_late_participant_can_join():
    members = [participant(f"P{i}", needs=["group"]) for i in range(1, 4)]
    first = solve(make_instance(members), time_limit=LIMIT)
    assert first.sessions[0].start.date().isoformat() == "2027-01-04"
    late = participant("P4", needs=["group"], earliest="2027-01-06")
    plan = plan_for(make_instance(members + [late], **_previous(dump_plan(first))), time_limit=3)
    (s,) = plan.sessions
    assert sorted(s.participants) == ["P1", "P2", "P3", "P4"] and s.start.date().isoformat() >= "2027-01-06"


def test_search_moves_a_session_to_a_nearer_location_when_room_appears():
    # Construction puts P-ia first on Voss's only slot of day 1, so P-ord goes to Bergen
    # (86 min away). Moving P-ia to day 2 lets P-ord come to Voss: less travel (tier 3).
    voss = {"id": "L-voss", "name": "Voss", "place": "4621", "opening": [["08:00", "16:00"]],
            "open_dates": None, "rooms": [{"id": "L-voss-1", "capacity": 1, "video": False}]}
    inst = make_instance([participant("P-ia", place="4621", deadline="2027-01-05"),
                          participant("P-ord", place="4621", legal_basis="ordinary", deadline="2027-01-04")],
                         horizon={"start": "2027-01-04", "end": "2027-01-05"})
    inst["locations"].append(voss)
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2", "locations": ["L-voss"],
                                "max_sessions_per_day": 1})
    plan = plan_for(inst, time_limit=4)
    where = {s.participants[0]: (s.location, s.start.date().isoformat()) for s in plan.sessions}
    assert where == {"P-ord": ("L-voss", "2027-01-04"), "P-ia": ("L-voss", "2027-01-05")}


def test_a_group_that_does_not_fit_as_formed_is_placed_without_the_members_who_block_it():
    from solver.construct import Constructor, State
    from solver.formats import load_instance
    from solver.model import place_group_or_smaller
    from solver.model_data import prepare

    # P4 and P5 can only come on Tuesday, the others only on Monday: no day fits all five,
    # nor any four; the three who share Monday still get their group.
    monday = [participant(f"P{i}", needs=["group"], earliest="2027-01-04", deadline="2027-01-04") for i in (1, 2, 3)]
    tuesday = [participant(f"P{i}", needs=["group"], earliest="2027-01-05", deadline="2027-01-05") for i in (4, 5)]
    prep = prepare(load_instance(make_instance(monday + tuesday)))
    state = State(prep)
    b = place_group_or_smaller(prep, Constructor(prep, state), ("P4", "P1", "P2", "P5", "P3"), "group")
    assert b is not None and set(b.participants) == {"P1", "P2", "P3"}
    state.add(b)
    assert rule_problems(prep, state) == []


@pytest.mark.parametrize("deadline, words", [("2027-01-04", "until the deadline 2027-01-04"),
                                             (None, "until the end of the planning period 2027-01-04")])
def test_full_capacity_reason_names_the_deadline_or_the_end_of_the_period(deadline, words):
    inst = make_instance([participant("P1", deadline="2027-01-04"), participant("P2", deadline=deadline)],
                         horizon={"start": "2027-01-04", "end": "2027-01-04"})
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    plan = solve(inst, time_limit=5, workers=1)
    [left] = plan.unscheduled
    assert left.participant == "P2" and left.reason == "no_capacity_before_deadline"
    assert words in left.detail


def test_a_colleague_keeps_the_appointment_even_when_the_participant_then_sees_two_counsellors():
    # Colleague first (issue 24): P1's follow-up stays with C1 on Thursday; C1 is away on
    # Wednesday, so C2 takes the individual session at its own time. Moving it to a free time
    # of C1 would give P1 one counsellor (tier 5) but lose the appointment: it keeps its time.
    inst = make_instance([participant("P1", needs=["individual", "follow_up"])])
    inst["session_types"]["follow_up"] = {"minutes": 60}
    inst["counsellors"].append({**inst["counsellors"][0], "id": "C2"})
    inst["counsellors"][0]["absences"] = [["2027-01-06", "2027-01-06"]]
    prev = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {"id": "S-ind", "type": "individual", "participants": ["P1"], "counsellor": "C1",
         "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-06T13:00", "end": "2027-01-06T14:30"},
        {"id": "S-fu", "type": "follow_up", "participants": ["P1"], "counsellor": "C1",
         "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-07T09:00", "end": "2027-01-07T10:00"}]}
    inst.update(_previous(prev, None))
    plan = plan_for(inst, time_limit=3)
    by_type = {s.type: s for s in plan.sessions}
    assert by_type["follow_up"].id == "S-fu" and by_type["follow_up"].counsellor == "C1"
    ind = by_type["individual"]
    assert ind.counsellor == "C2" and ind.start.isoformat() == "2027-01-06T13:00:00"
    assert plan.stats.terms["changes"] == {"kept": 1, "moved": 0, "restaffed": 1, "dropped": 0}


def test_rule1_a_weekdays_own_opening_hours_are_used_when_given():
    """One set of hours was the overlap of all days: a late Thursday was never planned."""
    inst = make_instance([participant("P1", earliest="2027-01-07", deadline="2027-01-07")])
    inst["locations"][0]["opening"] = [["08:00", "09:00"]]  # what every weekday shares: no 90-minute session
    inst["locations"][0]["weekly_opening"] = {d: [["08:00", "09:00"]] for d in "1235"} | {"4": [["15:00", "18:00"]]}
    inst["counsellors"][0]["weekly"]["4"] = [["08:00", "18:00"]]
    (s,) = plan_for(inst).sessions
    assert s.start.date().isoformat() == "2027-01-07" and s.start.hour >= 15


def test_the_baseline_keeps_a_weekdays_own_opening_hours():
    from solver.baseline import baseline

    inst = make_instance([participant("P1", earliest="2027-01-04", deadline="2027-01-08")])
    inst["locations"][0]["weekly_opening"] = {"1": [], "2": [], "3": [["13:00", "16:00"]], "4": [], "5": []}
    plan = baseline(inst)
    assert check_plan(inst, plan).valid
    (s,) = plan["sessions"]
    assert s["start"].startswith("2027-01-06T") and s["start"][11:13] >= "13"


def test_a_known_travel_time_replaces_the_straight_line_for_planner_and_checker():
    """Bergen-Stord is about 72 minutes by the straight-line formula and two hours with the ferry: a county's
    known travel time (travel.overrides) is what the participant's limit and the day's journeys count."""
    places = [{"id": "4601", "name": "Bergen", "lat": 60.39, "lon": 5.32},
              {"id": "4621", "name": "Voss", "lat": 60.63, "lon": 6.42}]
    inst = make_instance([participant("P1", place="4621", deadline="2027-01-04")], places=places)
    inst["max_participant_travel_minutes"] = 100   # the formula's 86 minutes fit
    assert [s.location for s in plan_for(inst).sessions] == ["L-bergen"]
    plan = plan_for(inst)
    inst["travel"]["overrides"] = [["4601", "4621", 120]]   # as the county knows it: too far
    assert not plan_for(inst).sessions
    violations = check_plan(inst, plan).violations
    assert [(v.rule, "120 min" in v.message) for v in violations] == [(9, True)]
    inst["travel"]["overrides"] = [["4601", "9999", 120]]
    from solver.formats import FormatError, load_instance

    with pytest.raises(FormatError, match="unknown place"):
        load_instance(inst)
