"""The referee: one hand-made plan per hard rule that breaks it, and a valid plan that passes.

Each broken plan changes the valid plan in one place, and the test asserts that exactly that
rule (and no other) is reported, so a misfiled violation fails as surely as a missed one.
"""

from __future__ import annotations

import copy

import pytest

from solver.check import booking_cost, check_plan, session_interpreter_cost
from solver.formats import FormatError
from solver.travel import travel_minutes

BERGEN = {"id": "4601", "name": "Bergen", "lat": 60.39, "lon": 5.32}
VOSS = {"id": "4621", "name": "Voss", "lat": 60.63, "lon": 6.42}
TRONDHEIM = {"id": "5001", "name": "Trondheim", "lat": 63.43, "lon": 10.39}
BERGEN_VOSS = travel_minutes(BERGEN, VOSS, 1.3, 60)
ALL_WEEK = {d: [["08:00", "16:00"]] for d in "12345"}


def person(pid: str, **kw) -> dict:
    p = {"id": pid, "place": "4601", "legal_basis": "integration_act", "needs": ["individual", "group"],
         "earliest": "2027-01-04", "deadline": "2027-01-08", "language": "nb",
         "needs_interpreter": False, "video_ok": False, "preferred_counsellor": None}
    p.update(kw)
    return p


def counsellor(cid: str, **kw) -> dict:
    c = {"id": cid, "name": cid, "locations": ["L-bergen"], "multicultural": True,
         "languages": ["nb", "en"], "weekly": copy.deepcopy(ALL_WEEK), "absences": [],
         "max_sessions_per_day": 4}
    c.update(kw)
    return c


def interpreter(iid: str, **kw) -> dict:
    i = {"id": iid, "name": iid, "languages": {"ti": 2}, "modes": ["onsite", "video", "phone"],
         "place": "4601", "weekly": copy.deepcopy(ALL_WEEK), "absences": [],
         "hourly_rate": 720, "min_billed_minutes": 60, "travel_rate": 360}
    i.update(kw)
    return i


def tiny() -> dict:
    """Bergen centre, a Voss outreach venue open on Tuesdays, three counsellors, two interpreters."""
    return {
        "format": "guidance-instance/1", "name": "tiny", "timezone": "Europe/Oslo",
        "horizon": {"start": "2027-01-04", "end": "2027-01-08"}, "slot_minutes": 15,
        "calendar": {"workdays": [1, 2, 3, 4, 5], "holidays": []},
        "session_types": {"individual": {"minutes": 90},
                          "group": {"minutes": 90, "min_size": 3, "max_size": 8}},
        "travel": {"road_factor": 1.3, "speed_kmh": 60},
        "max_participant_travel_minutes": 150,
        "places": [BERGEN, VOSS, TRONDHEIM],
        "locations": [
            {"id": "L-bergen", "name": "Bergen", "place": "4601", "opening": [["08:00", "16:00"]],
             "open_dates": None,
             "rooms": [{"id": "B-1", "capacity": 1, "video": True},
                       {"id": "B-2", "capacity": 1, "video": False},
                       {"id": "B-G", "capacity": 4, "video": False}]},
            {"id": "L-voss", "name": "Voss", "place": "4621", "opening": [["08:00", "16:00"]],
             "open_dates": ["2027-01-05"],
             "rooms": [{"id": "V-1", "capacity": 1, "video": False}]},
        ],
        "counsellors": [counsellor("C1", languages=["nb", "en", "ar"]),
                        counsellor("C2", locations=["L-bergen", "L-voss"]),
                        counsellor("C3", multicultural=False)],
        "interpreters": [interpreter("I1"), interpreter("I2", languages={"ti": 4, "so": 1})],
        "participants": [person("P1", language="ti", needs_interpreter=True),
                         person("P2"), person("P3"), person("P4", language="ar", needs_interpreter=True),
                         person("P5", legal_basis="ordinary", needs=["individual"], deadline=None),
                         person("P6", place="5001", needs=["individual"], video_ok=True)],
        "previous_plan": None, "frozen_until": None,
    }


def session(sid: str, participants, start: str, **kw) -> dict:
    """A session dict; ``start`` is 'MM-DDTHH:MM' in January 2027, 90 minutes long."""
    day, clock = start.split("T")
    minutes = int(clock[:2]) * 60 + int(clock[3:]) + 90
    s = {"id": sid, "type": "individual", "participants": list(participants), "counsellor": "C1",
         "location": "L-bergen", "room": "B-1", "start": f"2027-{start}",
         "end": f"2027-{day}T{minutes // 60:02d}:{minutes % 60:02d}", "mode": "onsite",
         "language": None, "interpreter": None, "interpreter_mode": None}
    s.update(kw)
    return s


def valid_plan() -> dict:
    """Every need of P1-P6 placed, keeping all rules."""
    return {"format": "guidance-plan/1", "instance": "tiny", "unscheduled": [], "sessions": [
        session("S1", ["P1"], "01-04T09:00", language="ti", interpreter="I1", interpreter_mode="onsite"),
        session("S2", ["P1", "P2", "P3"], "01-05T09:00", type="group", room="B-G",
                language="ti", interpreter="I1", interpreter_mode="onsite"),
        session("S3", ["P4"], "01-04T11:00"),  # C1 speaks Arabic: no interpreter needed
        session("S4", ["P2"], "01-04T09:00", counsellor="C2", room="B-2"),
        session("S5", ["P3"], "01-04T11:00", counsellor="C2", room="B-2"),
        session("S6", ["P5"], "01-06T09:00", counsellor="C3", room="B-2"),
        session("S7", ["P6"], "01-06T09:00", mode="video"),  # Trondheim is too far for on site
    ], }


def with_unscheduled(plan: dict, *needs) -> dict:
    plan["unscheduled"] += [{"participant": p, "type": t, "reason": "no_capacity_before_deadline",
                             "detail": ""} for p, t in needs]
    return plan


def find(plan: dict, sid: str) -> dict:
    return next(s for s in plan["sessions"] if s["id"] == sid)


def broken_rules(inst: dict, plan: dict) -> set[int]:
    return check_plan(inst, plan).rules_broken()


# --------------------------------------------------------------------------- valid


def test_valid_plan_passes():
    result = check_plan(tiny(), with_unscheduled(valid_plan(), ("P4", "group")))
    assert result.valid, [str(v) for v in result.violations]
    assert result.metrics["scheduled"] == 9 and result.metrics["required"] == 10


def test_metrics_count_coverage_cost_and_continuity():
    m = check_plan(tiny(), with_unscheduled(valid_plan(), ("P4", "group"))).metrics
    assert m["complete"] == 5 and m["complete_ratio"] == round(5 / 6, 4)
    assert m["integration_act_complete_ratio"] == 0.8  # P4 lacks a group
    assert m["deadline_missed"] == 1
    assert m["video_sessions"] == 1 and m["onsite_sessions"] == 6
    assert m["interpreter_cost_nok"] == 2 * 90 * 720 / 60
    assert m["mean_register_category"] == 2
    # P1 sees C1 twice; P2 and P3 see C2 and C1: one of three multi-session participants.
    assert m["continuity_ratio"] == round(1 / 3, 4)
    assert m["counsellor_load_max"] == 4 and m["counsellor_load_min"] == 1
    assert m["changes"] is None



def test_metrics_of_a_plan_with_a_booking_without_a_way_of_interpreting_do_not_fail():
    """The web app asks the checker whether an interpreter is free; a stored session with an interpreter
    and no mode made the metrics fail, and the app then offered nobody."""
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    booked = [s for s in plan["sessions"] if s.get("interpreter")]
    assert booked
    booked[0]["interpreter_mode"] = None
    modes = check_plan(tiny(), plan).metrics["interpreter_modes"]
    assert modes[None] == 1 and sum(modes.values()) == len(booked)


# --------------------------------------------------------------------------- rule 1


@pytest.mark.parametrize("change", [
    {"start": "2027-01-04T09:05", "end": "2027-01-04T10:35"},   # off the 15-minute grid
    {"end": "2027-01-04T10:15"},                                 # shorter than 90 minutes
    {"start": "2027-01-04T14:45", "end": "2027-01-04T16:15"},   # past closing at 16:00
])
def test_rule1_grid_duration_and_opening_hours(change):
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    for c in inst["counsellors"]:
        c["weekly"] = {d: [["08:00", "18:00"]] for d in "12345"}
    for i in inst["interpreters"]:
        i["weekly"] = {d: [["08:00", "18:00"]] for d in "12345"}
    find(plan, "S1").update(change)
    assert broken_rules(inst, plan) == {1}


def test_rule1_holiday_weekday_and_horizon():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    inst = tiny()
    inst["calendar"]["holidays"] = ["2027-01-06"]
    assert broken_rules(inst, plan) == {1}
    inst = tiny()
    inst["calendar"]["workdays"] = [1, 2, 4, 5]
    assert broken_rules(inst, plan) == {1}
    inst = tiny()
    inst["horizon"]["end"] = "2027-01-05"
    assert broken_rules(inst, plan) == {1}


def test_rule1_outreach_venue_only_on_its_open_dates():
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    s5 = find(plan, "S5")
    s5.update(location="L-voss", room="V-1", start="2027-01-05T13:00", end="2027-01-05T14:30")
    assert check_plan(inst, plan).valid
    s5.update(start="2027-01-06T13:00", end="2027-01-06T14:30")
    assert broken_rules(inst, plan) == {1}


# --------------------------------------------------------------------------- rule 2


def test_rule2_before_earliest_and_after_deadline():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    inst = tiny()
    inst["participants"][3]["earliest"] = "2027-01-05"  # P4 is seen on the 4th
    assert broken_rules(inst, plan) == {2}
    inst = tiny()
    inst["participants"][3]["deadline"] = "2027-01-03"
    inst["participants"][3]["earliest"] = "2027-01-01"
    assert broken_rules(inst, plan) == {2}


def test_rule2_need_at_most_once():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    plan["sessions"].append(session("S8", ["P4"], "01-07T09:00"))
    assert broken_rules(tiny(), plan) == {2}


def test_rule2_participant_in_two_overlapping_sessions():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S2").update(start="2027-01-04T10:00", end="2027-01-04T11:30", counsellor="C2",
                            interpreter="I2")
    find(plan, "S4").update(start="2027-01-07T09:00", end="2027-01-07T10:30")  # free C2
    find(plan, "S5").update(start="2027-01-05T11:00", end="2027-01-05T12:30")
    assert broken_rules(tiny(), plan) == {2}


def test_rule2_session_type_not_needed():
    plan = valid_plan()
    find(plan, "S2")["participants"].append("P5")  # P5 needs no group
    plan = with_unscheduled(plan, ("P4", "group"))
    assert broken_rules(tiny(), plan) == {2}


# --------------------------------------------------------------------------- rule 3


def test_rule3_counsellor_location_hours_absence():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    inst = tiny()
    inst["counsellors"][0]["locations"] = ["L-voss"]
    assert 3 in broken_rules(inst, plan) and broken_rules(inst, plan) == {3}
    inst = tiny()
    inst["counsellors"][0]["weekly"]["1"] = [["08:00", "12:00"]]  # S3 ends 12:30
    assert broken_rules(inst, plan) == {3}
    inst = tiny()
    inst["counsellors"][0]["absences"] = [["2027-01-04", "2027-01-04"]]
    assert broken_rules(inst, plan) == {3}


def test_rule3_weekly_windows_that_touch_form_one_stretch():
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    inst["counsellors"][0]["weekly"]["1"] = [["08:00", "10:00"], ["10:00", "16:00"]]
    assert check_plan(inst, plan).valid
    inst["counsellors"][0]["weekly"]["1"] = [["08:00", "10:00"], ["10:15", "16:00"]]
    assert broken_rules(inst, plan) == {3}


def test_rule3_max_sessions_per_day_and_overlap():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    inst = tiny()
    inst["counsellors"][0]["max_sessions_per_day"] = 1  # C1 has S1 and S3 on the 4th
    assert broken_rules(inst, plan) == {3}
    find(plan, "S3").update(start="2027-01-04T10:00", end="2027-01-04T11:30", room="B-G")
    assert broken_rules(tiny(), plan) == {3}


def test_rule3_travel_between_locations_counts_from_end_to_start():
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    # C2: Bergen 11:00-12:30 on the 5th, then Voss exactly on the first slot after travel.
    fmt = lambda m: f"2027-01-05T{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    find(plan, "S4").update(start=fmt(11 * 60), end=fmt(12 * 60 + 30), room="B-2")
    start = -(-(12 * 60 + 30 + BERGEN_VOSS) // 15) * 15
    find(plan, "S5").update(location="L-voss", room="V-1", start=fmt(start), end=fmt(start + 90))
    assert check_plan(inst, plan).valid
    early = start - 15  # one slot earlier leaves less than the travel time
    assert early - (12 * 60 + 30) < BERGEN_VOSS
    find(plan, "S5").update(start=fmt(early), end=fmt(early + 90))
    assert broken_rules(inst, plan) == {3}


def test_rule2_a_participant_gets_from_one_location_to_the_next_in_time():
    """An addition (solver/README.md): P2's group is in Bergen 09:00-10:30 on the 5th; their individual
    session at Voss that day must leave the journey free, as a counsellor's would."""
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    fmt = lambda m: f"2027-01-05T{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    first = -(-(10 * 60 + 30 + BERGEN_VOSS) // 15) * 15
    find(plan, "S4").update(location="L-voss", room="V-1", start=fmt(first), end=fmt(first + 90))
    assert check_plan(inst, plan).valid
    find(plan, "S4").update(start=fmt(10 * 60 + 30), end=fmt(12 * 60))   # straight from the group
    assert broken_rules(inst, plan) == {2}
    assert "participant P2 has 0 min from S2 at L-bergen to L-voss" in str(check_plan(inst, plan).violations)


def test_rule2_a_session_by_video_is_taken_from_home():
    """P2 lives in Voss and has the group in Bergen 09:00-10:30 on the 5th: a video session that day
    starts once they can be home (book-now offered one straight after the group, 88 min away)."""
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    p2 = next(p for p in inst["participants"] if p["id"] == "P2")
    p2.update(place="4621", video_ok=True)
    fmt = lambda m: f"2027-01-05T{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    find(plan, "S4").update(room="B-1", mode="video", start=fmt(10 * 60 + 30), end=fmt(12 * 60))
    assert broken_rules(inst, plan) == {2}
    assert "participant P2 has 0 min from S2 at L-bergen to home" in str(check_plan(inst, plan).violations)
    home = -(-(10 * 60 + 30 + BERGEN_VOSS) // 15) * 15
    find(plan, "S4").update(start=fmt(home), end=fmt(home + 90))
    assert check_plan(inst, plan).valid
    # Living in Bergen, the same video session straight after the group is fine: no journey.
    p2["place"] = "4601"
    find(plan, "S4").update(start=fmt(10 * 60 + 30), end=fmt(12 * 60))
    assert check_plan(inst, plan).valid


# --------------------------------------------------------------------------- rule 4


def test_rule4_act_participant_needs_multicultural_counsellor():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S4")["counsellor"] = "C3"  # P2 is integration_act; C3 lacks the training
    find(plan, "S6").update(counsellor="C2")
    assert broken_rules(tiny(), plan) == {4}


# --------------------------------------------------------------------------- rule 5


def test_rule5_participant_not_covered():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S1").update(language=None, interpreter=None, interpreter_mode=None)
    assert broken_rules(tiny(), plan) == {5}


def test_rule5_counsellor_language_covers_without_interpreter():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S3")["counsellor"] = "C2"  # C2 does not speak Arabic
    find(plan, "S5").update(start="2027-01-04T13:00", end="2027-01-04T14:30")
    assert broken_rules(tiny(), plan) == {5}


def test_rule5_language_exactly_when_interpreter():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S1").update(interpreter=None, interpreter_mode=None)  # language ti stays
    assert broken_rules(tiny(), plan) == {5}
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S6").update(interpreter="I2", interpreter_mode="onsite")  # no language
    assert broken_rules(tiny(), plan) == {5}


# --------------------------------------------------------------------------- rule 6


def test_rule6_interpreter_language_mode_hours_absence():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    inst = tiny()
    inst["interpreters"][0]["languages"] = {"so": 1}
    assert broken_rules(inst, plan) == {6}
    inst = tiny()
    inst["interpreters"][0]["modes"] = ["video", "phone"]
    assert broken_rules(inst, plan) == {6}
    inst = tiny()
    del inst["interpreters"][0]["weekly"]["2"]  # S2 is on Tuesday
    assert broken_rules(inst, plan) == {6}
    inst = tiny()
    inst["interpreters"][0]["absences"] = [["2027-01-05", "2027-01-08"]]
    assert broken_rules(inst, plan) == {6}


def test_rule6_interpreter_overlap():
    inst, plan = tiny(), with_unscheduled(valid_plan(), ("P4", "group"))
    inst["participants"].append(person("P7", legal_basis="ordinary", needs=["individual"],
                                       language="ti", needs_interpreter=True))
    plan["sessions"].append(session("S9", ["P7"], "01-04T09:30", counsellor="C3", room="B-G",
                                    language="ti", interpreter="I1", interpreter_mode="phone"))
    assert broken_rules(inst, plan) == {6}
    find(plan, "S9")["interpreter"] = "I2"
    assert check_plan(inst, plan).valid


def test_rule6_onsite_interpreter_travel_but_not_remote():
    inst = tiny()
    plan = with_unscheduled(valid_plan(), *[(p, "group") for p in ("P1", "P2", "P3", "P4")])
    plan["sessions"].remove(find(plan, "S2"))
    # I1 on site in Bergen 09:00-10:30 on the 5th, then on site in Voss at 11:00.
    find(plan, "S1").update(start="2027-01-05T09:00", end="2027-01-05T10:30")
    inst["participants"].append(person("P7", language="ti", needs_interpreter=True, needs=["individual"]))
    plan["sessions"].append(session("S9", ["P7"], "01-05T11:00", counsellor="C2", location="L-voss",
                                    room="V-1", language="ti", interpreter="I1", interpreter_mode="onsite"))
    assert broken_rules(inst, plan) == {6}
    find(plan, "S9")["interpreter_mode"] = "phone"  # remote: no travel needed
    assert check_plan(inst, plan).valid


def test_rule6_remote_interpreting_is_from_home_so_the_journey_counts():
    """An addition (solver/README.md): an interpreter interprets by video or phone from home. A published
    plan had one on site at Stord 09:30-11:00, by video 11:00-12:30 and on site in Bergen at 12:30: the
    video booking fell in the drive, and the letter promised an interpreter in the room at 12:30."""
    inst = tiny()
    plan = with_unscheduled(valid_plan(), *[(p, "group") for p in ("P1", "P2", "P3", "P4")])
    plan["sessions"].remove(find(plan, "S2"))
    next(i for i in inst["interpreters"] if i["id"] == "I1")["place"] = "4621"  # lives at Voss
    find(plan, "S1").update(start="2027-01-05T09:00", end="2027-01-05T10:30")  # on site in Bergen
    inst["participants"].append(person("P7", language="ti", needs_interpreter=True, needs=["individual"]))
    plan["sessions"].append(session("S9", ["P7"], "01-05T10:30", counsellor="C2", room="B-2",
                                    language="ti", interpreter="I1", interpreter_mode="phone"))
    assert broken_rules(inst, plan) == {6}
    assert "interpreter I1 has 0 min from S1 at L-bergen to home" in str(check_plan(inst, plan).violations)
    home = -(-(10 * 60 + 30 + BERGEN_VOSS) // 15) * 15  # once back at Voss
    fmt = lambda m: f"2027-01-05T{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    find(plan, "S9").update(start=fmt(home), end=fmt(home + 90))
    assert check_plan(inst, plan).valid
    # Before the on-site booking, too: by phone at Voss until 10:00 leaves no time to reach Bergen at 11:00.
    find(plan, "S1").update(start="2027-01-05T11:00", end="2027-01-05T12:30")
    find(plan, "S9").update(start="2027-01-05T08:30", end="2027-01-05T10:00")
    assert broken_rules(inst, plan) == {6}


def test_the_planner_asks_for_the_interpreters_journey_home_too():
    """The planner's rule check refuses what the checker refuses: a remote booking straight after an
    on-site one far from the interpreter's home; the same booking once they are home, or with an
    interpreter who lives where the on-site session is, is fine."""
    import datetime as dt

    from solver.construct import Booking, State
    from solver.formats import load_instance
    from solver.model_data import prepare
    from solver.rules import session_problems

    inst = tiny()
    inst["interpreters"][0]["place"] = "4621"  # I1 lives at Voss, I2 in Bergen
    inst["participants"].append(person("P7", language="ti", needs_interpreter=True, needs=["individual"]))
    prep = prepare(load_instance(inst))
    tuesday = prep.day_index[dt.date(2027, 1, 5)]

    def by_phone(interpreter: str, start: int) -> Booking:
        return Booking("individual", ("P7",), "C2", "L-bergen", "B-2", tuesday, start, start + 90, language="ti",
                       interpreter=interpreter, interpreter_mode="phone")

    for iid, straight_ok in (("I1", False), ("I2", True)):
        state = State(prep)
        state.add(Booking("individual", ("P1",), "C1", "L-bergen", "B-1", tuesday, 540, 630, language="ti",
                          interpreter=iid, interpreter_mode="onsite"))
        refused = [p for p in session_problems(prep, state, by_phone(iid, 630)) if "rule 6" in p]
        assert bool(refused) is not straight_ok, iid
        later = -(-(630 + BERGEN_VOSS) // 15) * 15
        assert not session_problems(prep, state, by_phone(iid, later))


# --------------------------------------------------------------------------- rule 7


def test_rule7_video_needs_video_ok_and_video_room():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S3")["mode"] = "video"  # P4 is not video_ok
    assert broken_rules(tiny(), plan) == {7}
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S7")["room"] = "B-G"  # no video in B-G
    assert broken_rules(tiny(), plan) == {7}


def test_rule7_group_neither_video_nor_phone_interpreter():
    inst = tiny()
    for p in inst["participants"][:3]:
        p["video_ok"] = True
    inst["locations"][0]["rooms"][2]["video"] = True
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S2")["mode"] = "video"
    assert broken_rules(inst, plan) == {7}
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S2")["interpreter_mode"] = "phone"
    assert broken_rules(inst, plan) == {7}


def test_rule7_video_interpreter_needs_video_room():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S2")["interpreter_mode"] = "video"  # B-G has no video
    assert broken_rules(tiny(), plan) == {7}
    find(plan, "S1")["interpreter_mode"] = "video"  # B-1 has
    find(plan, "S2")["interpreter_mode"] = "onsite"
    assert check_plan(tiny(), plan).valid


# --------------------------------------------------------------------------- rule 8


def test_rule8_room_overlap():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S4")["room"] = "B-1"  # S1 is in B-1 at the same time
    assert broken_rules(tiny(), plan) == {8}


def test_rule8_group_size_and_capacity():
    plan = valid_plan()
    find(plan, "S2")["participants"] = ["P1", "P2"]
    plan = with_unscheduled(plan, ("P4", "group"), ("P3", "group"))
    assert broken_rules(tiny(), plan) == {8}
    inst = tiny()
    inst["locations"][0]["rooms"][2]["capacity"] = 2
    assert broken_rules(inst, with_unscheduled(valid_plan(), ("P4", "group"))) == {8}


def test_rule8_room_at_another_location_and_individual_of_two():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S6")["room"] = "V-1"
    assert broken_rules(tiny(), plan) == {8}
    plan = valid_plan()
    find(plan, "S6")["participants"] = ["P5", "P4"]
    find(plan, "S6")["counsellor"] = "C1"
    find(plan, "S6")["room"] = "B-G"
    find(plan, "S7").update(start="2027-01-07T09:00", end="2027-01-07T10:30")
    plan["sessions"].remove(find(plan, "S3"))
    plan = with_unscheduled(plan, ("P4", "group"))
    assert broken_rules(tiny(), plan) == {8}


# --------------------------------------------------------------------------- rule 9


def test_rule9_participant_travel_on_site():
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S7")["mode"] = "onsite"  # Trondheim to Bergen is far beyond 150 minutes
    assert broken_rules(tiny(), plan) == {9}


def test_rule9_step_free_access_for_a_participant_who_needs_it():
    inst = tiny()
    inst["participants"][4]["needs_step_free"] = True  # P5, on site in Bergen (S6)
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    assert broken_rules(inst, plan) == {9}
    inst["locations"][0]["step_free"] = True
    assert check_plan(inst, plan).valid


def test_rule9_step_free_access_not_asked_of_a_video_session():
    inst = tiny()
    inst["participants"][5]["needs_step_free"] = True  # P6 takes S7 by video from home
    assert check_plan(inst, with_unscheduled(valid_plan(), ("P4", "group"))).valid


# --------------------------------------------------------------------------- rule 10


def replan_instance() -> dict:
    inst = tiny()
    inst["previous_plan"] = with_unscheduled(valid_plan(), ("P4", "group"))
    inst["frozen_until"] = "2027-01-05T00:00"
    return inst


def test_rule10_frozen_session_kept_exactly():
    inst, plan = replan_instance(), with_unscheduled(valid_plan(), ("P4", "group"))
    assert check_plan(inst, plan).valid
    find(plan, "S1").update(start="2027-01-04T13:00", end="2027-01-04T14:30")  # frozen: moved
    assert broken_rules(inst, plan) == {10}


def test_rule10_renumbered_ids_still_count_as_kept():
    inst, plan = replan_instance(), with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S1")["id"] = "S100"
    assert check_plan(inst, plan).valid


def test_rule10_sessions_after_frozen_until_may_move():
    inst, plan = replan_instance(), with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S6").update(start="2027-01-07T09:00", end="2027-01-07T10:30")
    result = check_plan(inst, plan)
    assert result.valid
    assert result.metrics["changes"] == {"kept": 8, "moved": 1, "restaffed": 0, "dropped": 0}


def test_rule10_frozen_session_that_breaks_a_rule_may_move():
    inst, plan = replan_instance(), with_unscheduled(valid_plan(), ("P4", "group"))
    inst["counsellors"][0]["absences"] = [["2027-01-04", "2027-01-04"]]  # C1 fell sick
    find(plan, "S1").update(start="2027-01-07T09:00", end="2027-01-07T10:30")
    find(plan, "S3").update(start="2027-01-07T11:00", end="2027-01-07T12:30")
    assert check_plan(inst, plan).valid


def test_new_sessions_from_holds_every_session_but_the_frozen_ones_kept_exactly():
    inst = replan_instance()  # frozen until 5 January: S1, S3, S4 and S5 on the 4th
    inst["new_sessions_from"] = "2027-01-06"
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    assert broken_rules(inst, plan) == {2}  # S2 on the 5th is not frozen, so it is new here
    assert [v.session for v in check_plan(inst, plan).violations] == ["S2"] * 3  # one per member
    inst["frozen_until"] = "2027-01-06T00:00"
    assert check_plan(inst, plan).valid  # now S2 is frozen and kept exactly
    find(plan, "S3").update(start="2027-01-04T13:00", end="2027-01-04T14:30")  # a frozen one changed
    assert broken_rules(inst, plan) == {2, 10}


# --------------------------------------------------------------------------- consistency


def test_consistency_unknown_ids_and_double_reporting():
    plan = with_unscheduled(valid_plan(), ("P4", "group"), ("P1", "individual"))
    assert broken_rules(tiny(), plan) == {0}
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    find(plan, "S6")["participants"] = ["P99"]
    plan["unscheduled"].append({"participant": "P5", "type": "individual", "reason": "x", "detail": ""})
    assert broken_rules(tiny(), plan) == {0}
    plan = valid_plan()  # P4's group neither scheduled nor reported
    assert broken_rules(tiny(), plan) == {0}
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    plan["sessions"].append(dict(find(plan, "S7")))
    assert 0 in broken_rules(tiny(), plan)


def test_malformed_plan_raises_format_error():
    with pytest.raises(FormatError):
        check_plan(tiny(), {"format": "guidance-plan/9", "sessions": []})


# --------------------------------------------------------------------------- cost


def test_booking_cost_bills_minimum_and_travel_there_and_back():
    assert booking_cost(30, 720, 60) == 720
    assert booking_cost(90, 720, 60) == 1080
    assert booking_cost(90, 720, 60, 360, 50) == 1080 + 2 * 50 * 360 / 60


def test_session_interpreter_cost_uses_onsite_travel():
    inst = tiny()
    s = session("S9", ["P1"], "01-05T11:00", counsellor="C2", location="L-voss", room="V-1",
                language="ti", interpreter="I1", interpreter_mode="onsite")
    assert session_interpreter_cost(inst, s) == 1080 + 2 * BERGEN_VOSS * 360 / 60
    s["interpreter_mode"] = "video"
    assert session_interpreter_cost(inst, s) == 1080


def test_the_planner_asks_for_the_journey_between_a_participants_sessions_too():
    """The planner's own rule check (solver.rules) refuses what the checker refuses, and allows the
    same session after the journey or by video."""
    import datetime as dt

    from solver.construct import Booking, State
    from solver.formats import load_instance
    from solver.model_data import prepare
    from solver.rules import session_problems

    inst = tiny()
    inst["participants"][1]["video_ok"] = True
    inst["locations"][1]["rooms"][0]["video"] = True
    prep = prepare(load_instance(inst))
    state = State(prep)
    tuesday = prep.day_index[dt.date(2027, 1, 5)]
    state.add(Booking("group", ("P1", "P2", "P3"), "C1", "L-bergen", "B-G", tuesday, 540, 630))
    straight = Booking("individual", ("P2",), "C2", "L-voss", "V-1", tuesday, 630, 720)
    assert any("rule 2" in p for p in session_problems(prep, state, straight))
    later = -(-(630 + BERGEN_VOSS) // 15) * 15
    assert not session_problems(prep, state, Booking("individual", ("P2",), "C2", "L-voss", "V-1", tuesday,
                                                     later, later + 90))
    assert not session_problems(prep, state, Booking("individual", ("P2",), "C2", "L-voss", "V-1", tuesday,
                                                     630, 720, mode="video"))


def test_rule1_each_weekday_has_its_own_opening_hours_when_given():
    """`weekly_opening` (solver/README.md): a Bergen with a short Monday and a late Thursday."""
    inst = tiny()
    inst["locations"][0]["weekly_opening"] = {"1": [["08:00", "11:30"]], "2": [["08:00", "16:00"]],
                                              "3": [["08:00", "16:00"]], "4": [["08:00", "19:00"]],
                                              "5": [["08:00", "16:00"]]}
    for counsellor_ in inst["counsellors"]:
        counsellor_["weekly"]["4"] = [["08:00", "19:00"]]
    plan = with_unscheduled(valid_plan(), ("P4", "group"))
    result = check_plan(inst, plan)
    # Monday's 11:00 sessions end at 12:30, after Monday's closing (the one set of hours allowed them)
    assert {v.session for v in result.violations} == {"S3", "S5"} and result.rules_broken() == {1}
    find(plan, "S3").update(start="2027-01-07T17:00", end="2027-01-07T18:30")
    find(plan, "S5").update(start="2027-01-07T17:00", end="2027-01-07T18:30")
    assert broken_rules(inst, plan) == set()  # Thursday evening: open then
    one_set = copy.deepcopy(inst)
    del one_set["locations"][0]["weekly_opening"]
    assert broken_rules(one_set, plan) == {1}  # without the weekday's hours: closed at 16:00
