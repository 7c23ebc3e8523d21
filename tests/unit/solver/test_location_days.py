"""Counsellors at a location on some weekdays only (solver/README.md "location_days"): Tuesdays in Voss,
the rest of the week in Bergen. The planner, the recommendation and the spreadsheet baseline keep to it;
the independent checker refuses a session on another weekday."""

from __future__ import annotations

import datetime as dt

import pytest

from solver.baseline import baseline
from solver.check import check_plan
from solver.formats import FormatError, load_instance
from solver.model import solve
from solver.recommend import recommend

from .conftest import BERGEN_VOSS, centre, counsellor, make_instance, participant

TUESDAY = 2


def _voss_on_tuesdays(participants) -> dict:
    c1 = {**counsellor("C1", ["L-bergen", "L-voss"]), "location_days": {"L-voss": [TUESDAY]}}
    return make_instance(participants, places=BERGEN_VOSS, locations=[centre("L-bergen", "4601"), centre("L-voss", "4621")],
                         counsellors=[c1])


def _day(session) -> dt.date:
    start = session["start"] if isinstance(session, dict) else session.start
    return dt.date.fromisoformat(str(start)[:10])


def test_the_planner_books_a_counsellor_at_a_location_only_on_their_days_there():
    # Five Voss residents, each best seen in Voss (no travel) and soon: only Tuesday will do there.
    inst = _voss_on_tuesdays([participant(f"R{i}", place="4621", deadline="2027-01-08") for i in range(5)])
    plan = solve(inst, time_limit=2.0)
    assert check_plan(inst, plan).valid
    in_voss = [s for s in plan.sessions if s.location == "L-voss"]
    assert in_voss and all(_day(s).isoweekday() == TUESDAY for s in in_voss)
    # The fifth goes to Bergen on another day (the counsellor holds four a day) or waits: never Voss on Monday.
    assert len(in_voss) <= 4


def test_the_checker_refuses_a_session_at_the_location_on_another_weekday():
    inst = _voss_on_tuesdays([participant("R1", place="4621")])
    plan = {"format": "guidance-plan/1", "instance": "tiny", "sessions": [
        {"id": "S1", "type": "individual", "participants": ["R1"], "counsellor": "C1", "location": "L-voss",
         "room": "L-voss-1", "start": "2027-01-04T09:00", "end": "2027-01-04T10:30", "mode": "onsite",
         "language": None, "interpreter": None, "interpreter_mode": None}], "unscheduled": []}
    result = check_plan(inst, plan)
    assert not result.valid
    assert any(v.rule == 3 and "is not at L-voss on Mondays" in v.message for v in result.violations), result.violations
    tuesday = {**plan, "sessions": [{**plan["sessions"][0], "start": "2027-01-05T09:00", "end": "2027-01-05T10:30"}]}
    assert check_plan(inst, tuesday).valid


def test_recommendations_and_the_baseline_keep_to_the_days():
    inst = _voss_on_tuesdays([participant("R1", place="4621", deadline="2027-01-08")])
    inst["previous_plan"] = {"format": "guidance-plan/1", "sessions": []}
    options = recommend(inst, participant="R1", top=5)["options"]
    assert options
    for option in options:
        for s in option["sessions"]:
            assert s["location"] != "L-voss" or _day(s).isoweekday() == TUESDAY, s
    assert any(s["location"] == "L-voss" for o in options for s in o["sessions"])
    base = baseline(inst)
    assert check_plan(inst, base).valid
    assert all(_day(s).isoweekday() == TUESDAY for s in base["sessions"] if s["location"] == "L-voss")


def test_days_at_a_location_the_counsellor_does_not_work_at_are_a_format_error():
    inst = _voss_on_tuesdays([])
    inst["counsellors"][0]["location_days"] = {"L-stord": [1]}
    with pytest.raises(FormatError, match="location_days"):
        load_instance(inst)
    inst["counsellors"][0]["location_days"] = {"L-voss": [8]}
    with pytest.raises(FormatError):
        load_instance(inst)
