"""The lead's words for an interpreter who cannot take a remote booking between two on-site ones: the
referee's message ("... at L-bergen to home; travel takes 86 min") on the move form, in bokmål."""
from __future__ import annotations

import pytest

from guidance.services import rule_words
from solver.check import check_plan
from tests.unit.solver.test_check import BERGEN_VOSS, find, person, session, tiny, valid_plan, with_unscheduled

pytestmark = pytest.mark.one_database  # words for a checker message: nothing a database decides


def test_a_phone_booking_in_the_drive_home_is_refused_in_the_leads_words(app):
    inst = tiny()
    plan = with_unscheduled(valid_plan(), *[(p, "group") for p in ("P1", "P2", "P3", "P4")])
    plan["sessions"].remove(find(plan, "S2"))
    inst["interpreters"][0].update(place="4621", name="Amina Yusuf")  # lives at Voss
    find(plan, "S1").update(start="2027-01-05T09:00", end="2027-01-05T10:30")  # on site in Bergen
    inst["participants"].append(person("P7", language="ti", needs_interpreter=True, needs=["individual"]))
    plan["sessions"].append(session("S9", ["P7"], "01-05T10:30", counsellor="C2", room="B-2",
                                    language="ti", interpreter="I1", interpreter_mode="phone"))
    violations = [v for v in check_plan(inst, plan).violations if v.session == "S9"]
    with app.test_request_context(headers={"Accept-Language": "nb"}):
        words = rule_words.Words(inst, plan, "S9", {})
        said = rule_words.explain(words, violations, lambda rule: f"rule {rule}")
    assert said == {rule_words.INTERPRETER: [
        "Amina Yusuf tolker på video eller telefon hjemmefra og rekker ikke mellom hjemmet og Bergen: reisen tar "
        f"{BERGEN_VOSS} minutter."]}


@pytest.mark.parametrize("day, said", [
    ("2027-12-24", "Sentrene er stengt 24. des. 2027."),   # the county closes; not a public holiday
    ("2027-05-17", "17. mai 2027 er en helligdag: Andre pinsedag, Grunnlovsdag."),   # Whit Monday, Constitution Day
])
def test_a_closure_day_is_not_called_a_public_holiday(app, day, said):
    """The move form said "24. desember er en helligdag" of the county's own closure day."""
    inst = tiny()
    plan = valid_plan()
    inst["horizon"]["end"] = "2027-12-31"
    inst["calendar"]["holidays"] = sorted({*inst["calendar"]["holidays"], day})
    find(plan, "S1").update(start=f"{day}T09:00", end=f"{day}T10:30")
    violations = [v for v in check_plan(inst, plan).violations if v.session == "S1" and "holiday" in v.message]
    with app.test_request_context(headers={"Accept-Language": "nb"}):
        words = rule_words.Words(inst, plan, "S1", {})
        text = rule_words.explain(words, violations, lambda rule: f"rule {rule}")[rule_words.DAY][0]
    assert text.lower() == said.lower(), text


def test_a_time_the_participant_cannot_come_is_refused_in_the_leads_words(app):
    """A referrer's "cannot come" is the participant's busy time: a move into it is refused by the time field."""
    inst = tiny()
    plan = valid_plan()
    s1 = find(plan, "S1")
    pid = s1["participants"][0]
    next(p for p in inst["participants"] if p["id"] == pid)["busy"] = [[s1["start"], s1["end"]]]
    violations = [v for v in check_plan(inst, plan).violations if v.session == "S1"]
    with app.test_request_context(headers={"Accept-Language": "nb"}):
        said = rule_words.explain(rule_words.Words(inst, plan, "S1", {}), violations, lambda rule: f"rule {rule}")
    assert said == {rule_words.TIME: [
        f"Henviseren har sagt at deltakeren i {pid} ikke kan komme {s1['start'][11:]}–{s1['end'][11:]}."]}
