"""solver.recommend: the best places for one participant's open needs, or for moving one
session, in the plan in force, each valid under the independent checker when merged into it,
nothing else moved, best first by the planner's own objective."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from solver.__main__ import main
from solver.check import check_plan
from solver.construct import State
from solver.formats import dump_plan, load_instance, load_plan
from solver.generate import generate
from solver.construct import booking_from_session
from solver.model import solve
from solver.objective import plan_objective
from solver.model_data import prepare
from solver.recommend import FORMAT, recommend

from .conftest import counsellor, make_instance, participant


# ---------------------------------------------------------------------- helpers


def merged(inst: dict, option: dict) -> dict:
    """The previous plan with the option's sessions replacing those of the same id or added;
    the unscheduled list says exactly which needs are still open."""
    previous = copy.deepcopy(inst["previous_plan"])
    by_id = {s["id"]: i for i, s in enumerate(previous["sessions"])}
    for s in option["sessions"]:
        if s["id"] in by_id:
            previous["sessions"][by_id[s["id"]]] = s
        else:
            previous["sessions"].append(s)
    scheduled = {(pid, s["type"]) for s in previous["sessions"] for pid in s["participants"]}
    previous["unscheduled"] = [{"participant": p["id"], "type": t, "reason": "not_planned", "detail": ""}
                               for p in inst["participants"] for t in p["needs"] if (p["id"], t) not in scheduled]
    return previous


def assert_valid_merge(inst: dict, option: dict) -> dict:
    plan = merged(inst, option)
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations]
    return plan


def assert_nothing_else_moves(inst: dict, option: dict) -> None:
    """Sessions of the previous plan the option does not name are untouched; a named one of
    the previous plan keeps its old participants (it may gain the participant asked for)."""
    named = {s["id"]: s for s in option["sessions"]}
    plan = merged(inst, option)
    old = {s["id"]: s for s in inst["previous_plan"]["sessions"]}
    for s in plan["sessions"]:
        if s["id"] in old and s["id"] not in named:
            assert s == old[s["id"]]
    for sid, s in named.items():
        if sid in old:
            assert set(old[sid]["participants"]) <= set(s["participants"])


def objective_change(inst: dict, option: dict) -> int:
    """The planner's objective.plan_objective after minus before applying the option, recomputed from
    scratch: moved sessions count as changed (re-timed ones also lose their appointment),
    joined groups keep their id."""
    instance = load_instance(inst)
    prep = prepare(instance)
    old = {s.id: s for s in instance.previous_plan.sessions}
    state = State(prep)
    keys = {sid: state.add(booking_from_session(prep, s)) for sid, s in old.items()}
    previous = {sid: False for sid in old}
    before = plan_objective(prep, state, previous)
    for raw in option["sessions"]:
        new = booking_from_session(prep, load_plan({"format": "guidance-plan/1", "sessions": [raw]}).sessions[0])
        if raw["id"] in old:
            was = state.remove(keys[raw["id"]])
            if was.participants != new.participants[:len(was.participants)] or (
                    was.day, was.start, was.counsellor, was.room) != (new.day, new.start, new.counsellor, new.room):
                new.prev_id, new.anchor, new.was_interpreter = None, (was.day, was.start), was.interpreter
        else:
            new.prev_id = None
        state.add(new)
    return plan_objective(prep, state, previous) - before


@pytest.fixture(scope="module")
def county():
    """A generated county of 60 participants with a solved plan in force, and four new
    referrals (copies of planned participants under new ids, so their needs are open)."""
    inst = generate(participants=60, seed=3, weeks=6)
    plan = solve(inst, time_limit=3.0)
    inst["previous_plan"] = dump_plan(plan)
    assert check_plan(inst, inst["previous_plan"]).valid
    planned = [p for p in inst["participants"] if all(
        any(p["id"] in s.participants and s.type == t for s in plan.sessions) for t in p["needs"])]
    interpreted = [p for p in planned if p["needs_interpreter"]]
    plain = [p for p in planned if not p["needs_interpreter"]]
    picks = [interpreted[0], interpreted[1], plain[0], plain[1]]
    for i, p in enumerate(picks, 1):
        q = copy.deepcopy(p)
        q["id"] = f"R{i}"
        inst["participants"].append(q)
    return inst


# ---------------------------------------------------------------------- a participant's open needs


def test_every_option_is_valid_under_the_checker_when_merged_and_nothing_else_moves(county):
    untouched = copy.deepcopy(county)
    for pid in ("R1", "R2", "R3", "R4"):
        answer = recommend(county, participant=pid, top=5)
        assert county == untouched   # the caller's instance is read, never changed
        assert answer["format"] == FORMAT and answer["participant"] == pid
        assert answer["instance"] == county["name"]
        assert 1 <= len(answer["options"]) <= 5, answer
        for option in answer["options"]:
            assert_valid_merge(county, option)
            assert_nothing_else_moves(county, option)
            placed = {(m, s["type"]) for s in option["sessions"] for m in s["participants"]}
            assert {(pid, t) for t in next(p for p in county["participants"] if p["id"] == pid)["needs"]} <= placed


def test_options_come_best_first_by_the_planners_objective(county):
    for pid in ("R1", "R3"):
        options = recommend(county, participant=pid, top=5)["options"]
        values = [o["terms"]["objective"] for o in options]
        assert values == sorted(values)
        for option in options:
            assert option["terms"]["objective"] == objective_change(county, option)


def test_terms_say_what_differs(county):
    option = recommend(county, participant="R3", top=1)["options"][0]
    terms = option["terms"]
    p = next(p for p in county["participants"] if p["id"] == "R3")
    assert terms["sessions_placed"] == len(p["needs"]) and terms["participants_complete"] == 1
    assert terms["changes"] == 0
    assert terms["date"] == min(s["start"][:10] for s in option["sessions"])
    for key in ("participant_travel_minutes", "interpreter_cost_nok", "other_counsellors", "video_sessions"):
        assert isinstance(terms[key], int)
    counsellors = {s["counsellor"] for s in option["sessions"]}
    assert terms["same_counsellor"] == (len(counsellors) == 1)
    assert terms["other_counsellors"] == len(counsellors) - 1   # R3 had no session before


def test_an_interpreter_needing_participant_gets_an_interpreter(county):
    inst = copy.deepcopy(county)
    r1 = next(p for p in inst["participants"] if p["id"] == "R1")
    r1["needs"] = ["individual"]
    speakers = {c["id"] for c in inst["counsellors"] if r1["language"] in c["languages"]}
    options = recommend(inst, participant="R1", top=5)["options"]
    assert options
    for option in options:
        (s,) = option["sessions"]
        assert s["counsellor"] in speakers or (s["language"] == r1["language"] and s["interpreter"])
        assert_valid_merge(inst, option)


def test_only_the_type_asked_for(county):
    answer = recommend(county, participant="R3", session_type="individual", top=3)
    assert answer["type"] == "individual"
    for option in answer["options"]:
        assert [s["type"] for s in option["sessions"]] == ["individual"]
        assert_valid_merge(county, option)


def test_options_differ_by_more_than_the_room(county):
    options = recommend(county, participant="R4", session_type="individual", top=5)["options"]
    slots = {(s["start"], s["counsellor"]) for o in options for s in o["sessions"]}
    assert len(slots) == len(options) >= 3
    assert len({s["start"][:10] for o in options for s in o["sessions"]}) >= 2


def test_a_group_need_joins_a_group_with_room():
    people = [participant(f"P{i}", needs=["group"]) for i in range(1, 4)] + [participant("R1", needs=["group"])]
    group = {"id": "S-g", "type": "group", "participants": ["P1", "P2", "P3"], "counsellor": "C1",
             "location": "L-bergen", "room": "L-bergen-G", "start": "2027-01-05T09:00",
             "end": "2027-01-05T10:30", "mode": "onsite", "language": None, "interpreter": None,
             "interpreter_mode": None}
    inst = make_instance(people, previous_plan={"format": "guidance-plan/1", "instance": "tiny",
                                                "sessions": [group], "unscheduled": []})
    (option,) = recommend(inst, participant="R1")["options"]
    (s,) = option["sessions"]
    assert s["id"] == "S-g" and s["participants"] == ["P1", "P2", "P3", "R1"]
    same = lambda session: {k: v for k, v in session.items() if k != "participants"}  # noqa: E731
    assert same(s) == same(group)
    assert option["terms"]["changes"] == 0
    assert_valid_merge(inst, option)


def test_nothing_fits_gives_the_plans_reason_code():
    late = make_instance([participant("R1", earliest="2027-01-08", deadline="2027-01-05")],
                         previous_plan={"format": "guidance-plan/1", "sessions": [], "unscheduled": []})
    answer = recommend(late, participant="R1")
    assert answer["options"] == [] and answer["reason"] == "deadline_before_earliest"

    full = make_instance([participant("P1", deadline="2027-01-04"), participant("R1", deadline="2027-01-04")],
                         horizon={"start": "2027-01-04", "end": "2027-01-04"})
    full["counsellors"][0]["max_sessions_per_day"] = 1
    full["previous_plan"] = {"format": "guidance-plan/1", "unscheduled": [], "sessions": [
        {"id": "S1", "type": "individual", "participants": ["P1"], "counsellor": "C1", "location": "L-bergen",
         "room": "L-bergen-1", "start": "2027-01-04T09:00", "end": "2027-01-04T10:30"}]}
    answer = recommend(full, participant="R1")
    assert answer["options"] == [] and answer["reason"] == "no_capacity_before_deadline"
    assert answer["detail"]


def test_a_participant_already_planned_is_told_so(county):
    first = county["previous_plan"]["sessions"][0]
    answer = recommend(county, participant=first["participants"][0], session_type=first["type"])
    assert answer["options"] == [] and answer["reason"] == "already_scheduled"
    assert first["id"] in answer["detail"]


def test_unknown_participant_session_or_type_is_a_clear_error(county):
    with pytest.raises(ValueError, match="unknown participant 'P-nobody'"):
        recommend(county, participant="P-nobody")
    with pytest.raises(ValueError, match="unknown session 'S-nowhere'"):
        recommend(county, session="S-nowhere")
    with pytest.raises(ValueError, match="unknown session type 'coaching'"):
        recommend(county, participant="R1", session_type="coaching")
    with pytest.raises(ValueError, match="participant or a session"):
        recommend(county)


# ---------------------------------------------------------------------- moving one session


def test_a_moved_session_keeps_its_id_and_participants(county):
    for old in county["previous_plan"]["sessions"][:6]:
        answer = recommend(county, session=old["id"], top=3)
        assert answer["session"] == old["id"]
        assert answer["options"], answer
        for option in answer["options"]:
            (s,) = option["sessions"]
            assert s["id"] == old["id"] and s["participants"] == old["participants"] and s["type"] == old["type"]
            assert s != old
            assert option["terms"]["changes"] == 1
            assert option["terms"]["objective"] == objective_change(county, option)
            assert_valid_merge(county, option)
            assert_nothing_else_moves(county, option)


def _sick_counsellor_instance(frozen_until=None):
    inst = make_instance([participant("P1"), participant("P2")])
    inst["locations"] = [dict(inst["locations"][0])]
    inst["counsellors"] = [counsellor("C1", ["L-bergen"]), counsellor("C2", ["L-bergen"]),
                           counsellor("C3", ["L-bergen"])]
    inst["counsellors"][0]["absences"] = [["2027-01-04", "2027-01-08"]]
    inst["previous_plan"] = {"format": "guidance-plan/1", "unscheduled": [], "sessions": [
        {"id": "S1", "type": "individual", "participants": ["P1"], "counsellor": "C1", "location": "L-bergen",
         "room": "L-bergen-1", "start": "2027-01-05T09:00", "end": "2027-01-05T10:30"},
        {"id": "S2", "type": "individual", "participants": ["P2"], "counsellor": "C2", "location": "L-bergen",
         "room": "L-bergen-1", "start": "2027-01-05T11:00", "end": "2027-01-05T12:30"}]}
    inst["frozen_until"] = frozen_until
    return inst


def test_an_absent_counsellors_session_gets_options_with_other_counsellors():
    inst = _sick_counsellor_instance(frozen_until="2027-01-06T00:00")   # frozen, but it breaks rule 3
    answer = recommend(inst, session="S1", top=5)
    options = answer["options"]
    assert options
    assert {o["sessions"][0]["counsellor"] for o in options} == {"C2", "C3"}
    # The best keeps the participant's appointment (same time), only the counsellor changes.
    assert options[0]["sessions"][0]["start"] == "2027-01-05T09:00"
    assert options[0]["terms"]["time_changed"] is False
    assert options[0]["terms"]["same_counsellor"] is True and options[0]["terms"]["other_counsellors"] == 0
    for option in options:
        assert_valid_merge(inst, option)
        assert_nothing_else_moves(inst, option)


def _booked_interpreter_instance() -> dict:
    """P1 (Tigrinya) has a session with the sick C1 and interpreter I1, who is free all week; I2
    is cheaper. P2's session with C2 and I2 starts when P1's does."""
    inst = _sick_counsellor_instance(frozen_until="2027-01-06T00:00")
    inst["participants"][0].update(language="ti", needs_interpreter=True)
    inst["participants"][1].update(language="ti", needs_interpreter=True)
    expensive = inst["interpreters"][0]
    cheap = {**copy.deepcopy(expensive), "id": "I2", "name": "Billig", "hourly_rate": 500}
    inst["interpreters"] = [expensive, cheap]
    sessions = inst["previous_plan"]["sessions"]
    sessions[0].update(language="ti", interpreter="I1", interpreter_mode="onsite")
    sessions[1].update(language="ti", interpreter="I2", interpreter_mode="onsite", start="2027-01-05T09:00",
                       end="2027-01-05T10:30", room="L-bergen-G")
    assert check_plan({**inst, "counsellors": [{**c, "absences": []} for c in inst["counsellors"]]},
                      inst["previous_plan"]).valid
    return inst


def test_a_moved_session_keeps_the_interpreter_it_has_booked_over_a_cheaper_one():
    inst = _booked_interpreter_instance()
    inst["previous_plan"]["sessions"].pop(1)   # I2 is free too, and cheaper
    answer = recommend(inst, session="S1", top=5)
    options = answer["options"]
    assert options
    # Cancelling the booked interpreter and asking another is a change (tier 2): every option
    # keeps I1 while I1 is free, however much cheaper I2 is.
    assert {o["sessions"][0]["interpreter"] for o in options} == {"I1"}
    assert all(o["terms"]["interpreter_changed"] is False for o in options)
    for option in options:
        assert option["terms"]["objective"] == objective_change(inst, option)
        assert_valid_merge(inst, option)


def test_a_moved_session_gets_another_interpreter_only_when_its_own_is_taken():
    inst = _booked_interpreter_instance()
    inst["interpreters"][0]["weekly"] = {"2": [["08:00", "11:00"]]}   # I1 works Tuesday morning only
    inst["counsellors"][2]["weekly"]["2"] = [["09:30", "16:00"]]   # C3 starts at 09:30 on Tuesday
    answer = recommend(inst, session="S1", top=5)
    options = answer["options"]
    assert options
    kept = [o for o in options if o["sessions"][0]["interpreter"] == "I1"]
    others = [o for o in options if o["sessions"][0]["interpreter"] != "I1"]
    assert kept and others
    # Nobody is free at 09:00, so every option loses the appointment; keeping I1 means 09:30 with
    # C3, and a day with the cheaper I2 costs the booking (tier 2), so it comes after.
    assert kept[0]["sessions"][0]["start"] == "2027-01-05T09:30"
    assert options.index(kept[0]) < options.index(others[0])
    assert all(o["terms"]["interpreter_changed"] is True for o in others)
    for option in options:
        assert option["terms"]["objective"] == objective_change(inst, option)
        assert_valid_merge(inst, option)


def test_a_frozen_session_that_keeps_every_rule_is_not_moved():
    inst = _sick_counsellor_instance(frozen_until="2027-01-06T00:00")
    answer = recommend(inst, session="S2")
    assert answer["options"] == [] and answer["reason"] == "session_frozen"


def test_a_participant_not_in_the_session_is_an_error():
    with pytest.raises(ValueError, match="not in session 'S1'"):
        recommend(_sick_counsellor_instance(), session="S1", participant="P2")


# ---------------------------------------------------------------------- command line


def test_command_prints_the_recommendation(county, tmp_path, capsys):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(county))
    assert main(["recommend", str(path), "--participant", "R3", "--top", "2"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == recommend(county, participant="R3", top=2)
    assert main(["recommend", str(path), "--participant", "R3", "--type", "individual", "--top", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)["options"]) == 1
    sid = county["previous_plan"]["sessions"][0]["id"]
    assert main(["recommend", str(path), "--session", sid]) == 0
    assert json.loads(capsys.readouterr().out)["session"] == sid


def test_command_bad_input_exits_2_without_a_traceback(county, tmp_path, capsys):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(county))
    assert main(["recommend", str(path), "--participant", "P-nobody"]) == 2
    assert "unknown participant 'P-nobody'" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert main(["recommend", str(tmp_path / "bad.json"), "--participant", "R1"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["recommend", str(path)])
    assert exc.value.code == 2


def test_a_group_need_without_a_group_to_join_says_why():
    members = [f"P{i}" for i in range(1, 9)]
    group = {"id": "S-g", "type": "group", "participants": members, "counsellor": "C1", "location": "L-bergen",
             "room": "L-bergen-G", "start": "2027-01-05T09:00", "end": "2027-01-05T10:30"}
    people = [participant(m, needs=["group"]) for m in members] + [participant("R1", needs=["group"])]
    full = make_instance(people, previous_plan={"format": "guidance-plan/1", "sessions": [group]})
    answer = recommend(full, participant="R1")
    # The group is full: no seat (not the rooms' or counsellors' time, which a lead would extend).
    assert answer["options"] == [] and answer["reason"] == "no_group_seat"
    none = make_instance(people, previous_plan={"format": "guidance-plan/1", "sessions": []})
    answer = recommend(none, participant="R1")
    assert answer["options"] == [] and answer["reason"] == "group_too_small"
    assert answer["unplaced"] == [{"type": "group", "reason": "group_too_small", "detail": answer["detail"]}]


def test_needs_that_cannot_be_placed_together_are_offered_one_by_one():
    members = ["P1", "P2", "P3"]
    people = [participant(m, needs=["group"], deadline="2027-01-04") for m in members]
    people.append(participant("R1", needs=["individual", "group"], deadline="2027-01-04"))
    inst = make_instance(people, horizon={"start": "2027-01-04", "end": "2027-01-04"})
    inst["locations"][0]["opening"] = [["09:00", "10:30"]]          # one slot a day
    inst["counsellors"] = [counsellor("C1", ["L-bergen"]), counsellor("C2", ["L-bergen"])]
    inst["previous_plan"] = {"format": "guidance-plan/1", "sessions": [
        {"id": "S-g", "type": "group", "participants": members, "counsellor": "C1", "location": "L-bergen",
         "room": "L-bergen-G", "start": "2027-01-04T09:00", "end": "2027-01-04T10:30"}]}
    options = recommend(inst, participant="R1")["options"]
    assert sorted(tuple(s["type"] for s in o["sessions"]) for o in options) == [("group",), ("individual",)]
    for option in options:
        assert option["terms"]["sessions_placed"] == 1 and option["terms"]["participants_complete"] == 0
        assert option["terms"]["objective"] == objective_change(inst, option)
        assert_valid_merge(inst, option)


def test_options_spread_over_counsellors_and_days_before_the_next_cheapest_of_one():
    inst = make_instance([participant("R1", preferred_counsellor="C1")],
                         previous_plan={"format": "guidance-plan/1", "sessions": []})
    inst["counsellors"] = [counsellor(c, ["L-bergen"]) for c in ("C1", "C2", "C3")]
    options = recommend(inst, participant="R1", top=3)["options"]
    # By cost alone the three best are C1 (preferred) on three days; a lead is better served
    # by the best with C1 and the best with each colleague, on other days.
    assert options[0]["sessions"][0]["counsellor"] == "C1"
    assert len({o["sessions"][0]["counsellor"] for o in options}) == 3
    assert len({o["sessions"][0]["start"][:10] for o in options}) == 3
    assert [o["terms"]["preferred_counsellor_missed"] for o in options] == [0, 1, 1]


def test_without_a_plan_in_force_the_options_fit_an_empty_plan():
    inst = make_instance([participant("R1"), participant("P2")])   # previous_plan null
    options = recommend(inst, participant="R1", top=2)["options"]
    assert len(options) == 2
    plan = {"format": "guidance-plan/1", "sessions": options[0]["sessions"],
            "unscheduled": [{"participant": "P2", "type": "individual", "reason": "not_planned"}]}
    assert check_plan(inst, plan).valid
    with pytest.raises(ValueError, match="no previous plan"):
        recommend(inst, session="S1")


# ---------------------------------------------------------------------- when the participant can come


def _local(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_options_keep_the_date_and_hours_the_participant_can_come(county):
    """A participant at a language course every morning: only afternoon times from a given
    date, each still valid under the checker and leaving the rest of the plan as it was."""
    unwished = recommend(county, participant="R1", top=5)["options"]
    first = min(_local(s["start"]) for o in unwished for s in o["sessions"])
    later = (first.date() + dt.timedelta(days=7)).isoformat()
    answer = recommend(county, participant="R1", top=5, not_before=later, between=("12:00", "16:00"))
    assert answer["options"], answer
    for option in answer["options"]:
        assert_valid_merge(county, option)
        assert_nothing_else_moves(county, option)
        for s in option["sessions"]:
            start, end = _local(s["start"]), _local(s["end"])
            assert start.date().isoformat() >= later
            assert start.strftime("%H:%M") >= "12:00" and end.strftime("%H:%M") <= "16:00"


def test_a_moved_session_goes_only_where_the_participant_can_come(county):
    old = county["previous_plan"]["sessions"][0]
    answer = recommend(county, session=old["id"], top=3, between=("13:00", "16:00"))
    assert answer["options"], answer
    for option in answer["options"]:
        (s,) = option["sessions"]
        assert _local(s["start"]).strftime("%H:%M") >= "13:00" and _local(s["end"]).strftime("%H:%M") <= "16:00"
        assert_valid_merge(county, option)


def test_options_only_on_the_weekdays_the_participant_can_come(county):
    """"Wednesdays and Thursdays after 12": the days count too, not only the part of the day."""
    unwished = recommend(county, participant="R1", top=5)["options"]
    days = {_local(s["start"]).isoweekday() for o in unwished for s in o["sessions"]}
    wanted = sorted({1, 2, 3, 4, 5} - {min(days)})[:2]   # two days, leaving out one the engine chose
    answer = recommend(county, participant="R1", top=5, weekdays=wanted)
    assert answer["options"], answer
    for option in answer["options"]:
        assert_valid_merge(county, option)
        assert all(_local(s["start"]).isoweekday() in wanted for s in option["sessions"])
    with pytest.raises(ValueError, match="weekdays must be ISO weekdays"):
        recommend(county, participant="R1", weekdays=[0])


def test_nothing_at_the_hours_asked_for_says_so_not_that_the_plan_is_full(county):
    answer = recommend(county, participant="R3", top=5, between=("05:00", "06:00"))
    assert answer["options"] == []
    assert answer["reason"] == "not_as_wished"
    assert "between 05:00 and 06:00" in answer["detail"]


def test_a_malformed_wish_is_a_clear_error(county, tmp_path, capsys):
    with pytest.raises(ValueError, match="between must start before it ends"):
        recommend(county, participant="R1", between=("16:00", "12:00"))
    with pytest.raises(ValueError, match="not_before must be a date"):
        recommend(county, participant="R1", not_before="next week")
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(county))
    assert main(["recommend", str(path), "--participant", "R1", "--between", "noon"]) == 2
    assert "between must be two times" in capsys.readouterr().err
    assert main(["recommend", str(path), "--participant", "R1", "--between", "12:00-16:00",
                 "--not-before", "2000-01-01"]) == 0


def test_an_overdue_participants_options_include_the_nearest_place_beside_the_soonest():
    # Bergen (where they live) has time only on Friday; Voss, 88 minutes away, every day. By the
    # objective an overdue participant is best seen in Voss on Monday, and every Voss day ranks
    # above Bergen's Friday; the lead must still be shown Bergen to choose sooner or nearer.
    from .conftest import BERGEN_VOSS, centre

    inst = make_instance([participant("R1", deadline=None, overdue_since="2026-12-01")], places=BERGEN_VOSS,
                         locations=[{**centre("L-bergen", "4601"), "open_dates": ["2027-01-08"]}, centre("L-voss", "4621")],
                         counsellors=[counsellor("C1", ["L-bergen", "L-voss"]), counsellor("C2", ["L-voss"])],
                         previous_plan={"format": "guidance-plan/1", "sessions": []})
    options = recommend(inst, participant="R1", top=3)["options"]
    places = [(o["sessions"][0]["location"], o["sessions"][0]["start"][:10]) for o in options]
    assert places[0] == ("L-voss", "2027-01-04")
    assert ("L-bergen", "2027-01-08") in places
    nearest = next(o for o in options if o["sessions"][0]["location"] == "L-bergen")
    assert nearest["terms"]["participant_travel_minutes"] == 0
    assert min(o["terms"]["participant_travel_minutes"] for o in options if o is not nearest) > 60
    for option in options:
        assert_valid_merge(inst, option)


def test_when_the_best_time_means_leaving_home_before_seven_a_later_one_is_shown_beside_it():
    # A Voss resident, 88 minutes from the Bergen centre: Monday 08:00 is the best time by the objective
    # (the earliest day, and the start hour weighs nothing), and means leaving home about 06:30. The lead is
    # shown the best time where nobody sets off before 07:00 beside it, whatever the other options are.
    from solver.config import SolverConfig
    from solver.travel import travel_minutes

    from .conftest import BERGEN_VOSS, centre

    inst = make_instance([participant("R1", place="4621", deadline="2027-01-29")], places=BERGEN_VOSS,
                         locations=[centre("L-bergen", "4601")],
                         counsellors=[counsellor(c, ["L-bergen"]) for c in ("C1", "C2", "C3", "C4")],
                         previous_plan={"format": "guidance-plan/1", "sessions": []})
    journey = travel_minutes(BERGEN_VOSS[1], BERGEN_VOSS[0], inst["travel"]["road_factor"], inst["travel"]["speed_kmh"])
    early = SolverConfig().recommend.early_departure_minute
    assert 8 * 60 - journey < early   # 08:00 in Bergen means setting off before 07:00

    def sets_off(option) -> int:
        start = _local(option["sessions"][0]["start"])
        return start.hour * 60 + start.minute - journey

    options = recommend(inst, participant="R1", top=3)["options"]
    assert _local(options[0]["sessions"][0]["start"]).strftime("%a %H:%M") == "Mon 08:00"
    later = [o for o in options if sets_off(o) >= early]
    assert later, [o["sessions"][0]["start"] for o in options]
    assert _local(later[0]["sessions"][0]["start"]).date() == _local(options[0]["sessions"][0]["start"]).date()
    for option in options:
        assert_valid_merge(inst, option)

    # Without the rule (any time of day will do) the four counsellors' 08:00 sessions fill the options.
    plain = recommend(inst, participant="R1", top=3, config={"recommend": {"early_departure_minute": 0}})["options"]
    assert all(_local(o["sessions"][0]["start"]).strftime("%H:%M") == "08:00" for o in plain), \
        [o["sessions"][0]["start"] for o in plain]
