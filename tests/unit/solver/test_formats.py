"""The instance and plan formats: validation, field-path errors, round trips."""

from __future__ import annotations

import json

import pytest

from solver.calendar import grid_starts, numbered_grid_starts, working_days
from solver.formats import FormatError, dump_plan, json_schemas, load_instance, load_plan
from solver.travel import travel_minutes

from .conftest import make_instance, participant


def paths(exc: FormatError) -> list[str]:
    return [p for p, _ in exc.errors]


def test_valid_instance_loads(tiny_instance):
    inst = load_instance(tiny_instance)
    assert inst.participants[1].language == "ti"
    assert inst.session_types["group"].is_group
    assert not inst.session_types["individual"].is_group


def test_unknown_format_version_is_named():
    data = make_instance([participant("P1")], format="guidance-instance/2")
    with pytest.raises(FormatError) as err:
        load_instance(data)
    assert "unsupported format 'guidance-instance/2'; this solver reads guidance-instance/1" in str(err.value)


def test_missing_format_is_an_error():
    data = make_instance([participant("P1")])
    del data["format"]
    with pytest.raises(FormatError) as err:
        load_instance(data)
    assert paths(err.value) == ["format"]


def test_dangling_references_name_their_field_paths():
    data = make_instance([participant("P1", place="9999", preferred_counsellor="C9")])
    data["counsellors"][0]["locations"].append("L-nowhere")
    data["locations"][0]["place"] = "0000"
    with pytest.raises(FormatError) as err:
        load_instance(data)
    got = set(paths(err.value))
    assert {"participants[0].place", "participants[0].preferred_counsellor",
            "counsellors[0].locations[1]", "locations[0].place"} <= got


def test_duplicate_room_ids_are_rejected():
    data = make_instance([participant("P1")])
    data["locations"][0]["rooms"][1]["id"] = "L-bergen-1"
    with pytest.raises(FormatError) as err:
        load_instance(data)
    assert "duplicate room id" in str(err.value)


def test_schema_errors_carry_paths():
    data = make_instance([participant("P1", earliest="04.01.2027", legal_basis="other")])
    with pytest.raises(FormatError) as err:
        load_instance(data)
    got = set(paths(err.value))
    assert "participants[0].earliest" in got and "participants[0].legal_basis" in got


def test_deadline_before_earliest_is_not_a_format_error():
    inst = load_instance(make_instance([participant("P1", earliest="2027-01-08", deadline="2027-01-05")]))
    assert inst.participants[0].deadline < inst.participants[0].earliest


def test_unknown_field_is_rejected():
    data = make_instance([participant("P1", needs_interpeter=True)])
    with pytest.raises(FormatError) as err:
        load_instance(data)
    assert "participants[0].needs_interpeter" in paths(err.value)


def test_malformed_json_and_missing_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{\"format\": ", encoding="utf-8")
    with pytest.raises(FormatError) as err:
        load_instance(bad)
    assert "malformed JSON" in str(err.value)
    with pytest.raises(FormatError) as err:
        load_instance(tmp_path / "nope.json")
    assert "file not found" in str(err.value)


def test_plan_round_trip_keeps_minute_times():
    plan_dict = {
        "format": "guidance-plan/1", "instance": "tiny",
        "sessions": [{"id": "S1", "type": "individual", "participants": ["P1"], "counsellor": "C1",
                      "location": "L-bergen", "room": "L-bergen-1", "start": "2027-01-04T09:00",
                      "end": "2027-01-04T10:30", "mode": "onsite", "language": None,
                      "interpreter": None, "interpreter_mode": None}],
        "unscheduled": [{"participant": "P2", "type": "group", "reason": "group_too_small", "detail": "x"}],
        "stats": {"status": "FEASIBLE", "objective": 1, "best_bound": 2, "wall_seconds": 0.1},
    }
    dumped = dump_plan(load_plan(plan_dict))
    assert dumped["sessions"][0]["start"] == "2027-01-04T09:00"
    assert json.loads(json.dumps(dumped)) == dumped
    assert dumped["sessions"] == plan_dict["sessions"]


def test_plan_with_unknown_version_is_rejected():
    with pytest.raises(FormatError) as err:
        load_plan({"format": "guidance-plan/9", "sessions": []})
    assert "this solver reads guidance-plan/1" in str(err.value)


def test_schemas_are_json():
    schemas = json_schemas()
    assert set(schemas) == {"guidance-instance/1", "guidance-plan/1"}
    json.dumps(schemas)


def test_travel_minutes_formula():
    bergen, voss = (60.39, 5.32), (60.63, 6.42)
    # haversine ~ 65.86 km; * 1.3 / 60 km/h * 60 = 85.6 -> 86
    assert travel_minutes(bergen, voss, 1.3, 60) == 86
    assert travel_minutes(bergen, bergen, 1.3, 60) == 0


def test_working_days_skip_weekends_and_holidays():
    inst = load_instance(make_instance([participant("P1")], horizon={"start": "2027-01-01", "end": "2027-01-11"},
                                       calendar={"workdays": [1, 2, 3, 4, 5], "holidays": ["2027-01-05"]}))
    days = [d.isoformat() for d in working_days(inst)]
    assert days == ["2027-01-01", "2027-01-04", "2027-01-06", "2027-01-07", "2027-01-08", "2027-01-11"]


def test_grid_starts_fit_windows():
    assert grid_starts([(480, 600)], 90, 15) == [480, 495, 510]
    assert grid_starts([(485, 600)], 90, 15) == [495, 510]
    assert grid_starts([(480, 960)], 90, 15, step=90) == [480, 570, 660, 750, 840]


@pytest.mark.parametrize("step", [15, 30, 60, 120])
def test_numbered_grid_starts_thin_like_a_step(step):
    # The search thins a window's start times by filtering these numbers instead of searching
    # again with a larger step: both must give the same starts.
    windows = [(485, 600), (630, 700), (725, 960)]
    numbered = numbered_grid_starts(windows, 60, 15)
    assert [s for s, k in numbered if k % (step // 15) == 0] == grid_starts(windows, 60, 15, step=step)
