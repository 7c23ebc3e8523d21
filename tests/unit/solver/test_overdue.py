"""overdue_since (PROBLEM.md additions): a participant whose legal deadline has passed is the
most urgent, the longest overdue first; the formats and the checker accept it."""

from __future__ import annotations

import pytest

from solver.baseline import baseline
from solver.check import check_plan
from solver.formats import FormatError, load_instance
from solver.model import solve
from solver.model_data import prepare
from solver.objective import urgency

from .conftest import make_instance, participant


def _one_slot(*people):
    """One working day, one counsellor with one session that day: a single scarce slot."""
    inst = make_instance(list(people), horizon={"start": "2027-01-04", "end": "2027-01-04"})
    inst["counsellors"][0]["max_sessions_per_day"] = 1
    return inst


def _planned(inst):
    plan = solve(inst, time_limit=2.0)
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations]
    return [s.participants for s in plan.sessions], result


def test_overdue_participant_gets_the_scarce_slot_before_a_near_deadline():
    inst = _one_slot(participant("P-soon", deadline="2027-01-04"),
                     participant("P-over", deadline=None, overdue_since="2026-12-01"))
    sessions, result = _planned(inst)
    assert sessions == [["P-over"]]
    assert result.metrics["overdue"] == 1 and result.metrics["overdue_incomplete"] == 0


def test_overdue_ranks_above_the_act_whatever_the_legal_basis():
    inst = _one_slot(participant("P-act", deadline="2027-01-04"),
                     participant("P-over", legal_basis="ordinary", deadline=None, overdue_since="2026-12-20"))
    assert _planned(inst)[0] == [["P-over"]]


def test_longest_overdue_goes_first():
    inst = _one_slot(participant("P-recent", deadline=None, overdue_since="2026-12-20"),
                     participant("P-long", deadline=None, overdue_since="2026-10-01"))
    assert _planned(inst)[0] == [["P-long"]]


def test_overdue_weighs_more_than_any_deadline_in_the_objective():
    inst = make_instance([participant("P-today", deadline="2027-01-04"),
                          participant("P-recent", deadline=None, overdue_since="2027-01-03"),
                          participant("P-long", deadline=None, overdue_since="2026-06-01")])
    prep = prepare(load_instance(inst))
    assert urgency(prep, "P-long") > urgency(prep, "P-recent") > urgency(prep, "P-today")
    assert prep.priority_key("P-long") < prep.priority_key("P-recent") < prep.priority_key("P-today")


def test_baseline_also_serves_the_overdue_first():
    inst = _one_slot(participant("P-soon", deadline="2027-01-04"),
                     participant("P-over", deadline=None, overdue_since="2026-12-01"))
    plan = baseline(inst)
    assert [s["participants"] for s in plan["sessions"]] == [["P-over"]]


def test_overdue_since_is_optional_and_defaults_to_null():
    inst = load_instance(make_instance([participant("P1")]))
    assert inst.participants[0].overdue_since is None


def test_overdue_since_with_a_deadline_is_a_format_error():
    with pytest.raises(FormatError) as exc:
        load_instance(make_instance([participant("P1", deadline="2027-01-08", overdue_since="2026-12-01")]))
    assert "overdue_since" in str(exc.value)


def test_checker_sets_no_upper_date_limit_for_the_overdue():
    inst = make_instance([participant("P1", deadline=None, overdue_since="2026-11-30")])
    plan = {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        {"id": "S1", "type": "individual", "participants": ["P1"], "counsellor": "C1",
         "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-08T09:00", "end": "2027-01-08T10:30"}]}
    result = check_plan(inst, plan)
    assert result.valid, [str(v) for v in result.violations]


def test_an_overdue_participant_is_seen_days_sooner_for_some_more_travel_and_others_are_not():
    # Bergen (where they live) has time only on Friday; Voss, 88 minutes away, on Monday.
    from .conftest import BERGEN_VOSS, centre, counsellor

    def instance(**who):
        inst = make_instance([participant("P1", **who)], places=BERGEN_VOSS,
                             locations=[{**centre("L-bergen", "4601"), "open_dates": ["2027-01-08"]},
                                        {**centre("L-voss", "4621"), "open_dates": ["2027-01-04"]}],
                             counsellors=[counsellor("C1", ["L-bergen", "L-voss"])])
        return inst

    overdue = solve(instance(deadline=None, overdue_since="2026-12-01"), time_limit=2.0)
    on_time = solve(instance(), time_limit=2.0)
    assert [(s.location, s.start.date().isoformat()) for s in overdue.sessions] == [("L-voss", "2027-01-04")]
    assert [(s.location, s.start.date().isoformat()) for s in on_time.sessions] == [("L-bergen", "2027-01-08")]
