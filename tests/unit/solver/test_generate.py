"""The instance generator: valid, deterministic, realistic in the ways the benchmarks rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from solver.formats import load_instance
from solver.generate import (SCENARIOS, add_months, easter_sunday, generate, generate_detailed, main,
                             norwegian_holidays)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_validates(scenario):
    inst = load_instance(generate("46", 120, seed=3, scenario=scenario))
    assert len(inst.participants) == 120
    assert inst.horizon.start == date(2027, 1, 4) and inst.horizon.end == date(2027, 4, 2)


@pytest.mark.parametrize("county", ["03", "18", "50", "56"])
def test_other_counties_validate(county):
    load_instance(generate(county, 60, seed=1))


def test_deterministic_for_a_seed():
    assert generate("46", 200, seed=7) == generate("46", 200, seed=7)
    assert generate("46", 200, seed=7) != generate("46", 200, seed=8)


def test_participants_spread_by_population_bergen_most():
    inst = generate("46", 800, seed=1)
    counts = Counter(p["place"] for p in inst["participants"])
    assert counts.most_common(1)[0][0] == "4601"  # Bergen
    assert 0.35 < counts["4601"] / 800 < 0.55  # Bergen is about 45 % of Vestland
    assert len(counts) > 20


def test_integration_act_deadline_is_three_months_after_settlement():
    gen = generate_detailed("46", 300, seed=2)
    act = [p for p in gen.instance["participants"] if p["legal_basis"] == "integration_act"]
    assert len(act) > 150
    for p in act:
        assert p["deadline"] == add_months(gen.settled[p["id"]], 3).isoformat()
        assert p["earliest"] < p["deadline"]
        assert p["needs"] == ["individual", "group"]
    bases = Counter(p["legal_basis"] for p in gen.instance["participants"])
    assert bases["temporary_act"] > 0 and bases["ordinary"] > 0
    assert all(p["deadline"] is None for p in gen.instance["participants"] if p["legal_basis"] == "ordinary")


def test_add_months_clamps_to_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 10, 15), 3) == date(2028, 1, 15)


def test_norwegian_holidays_follow_easter():
    assert easter_sunday(2027) == date(2027, 3, 28) and easter_sunday(2025) == date(2025, 4, 20)
    days = norwegian_holidays(2027)
    for d in ("2027-01-01", "2027-03-25", "2027-03-26", "2027-03-29", "2027-05-01", "2027-05-06",
              "2027-05-17", "2027-05-17", "2027-12-25"):
        assert date.fromisoformat(d) in days
    inst = generate("46", 10, seed=1)
    assert inst["calendar"]["holidays"] == ["2027-03-25", "2027-03-26", "2027-03-29"]


def test_languages_ukrainian_most_and_rare_ones_remote_only():
    inst = generate("46", 600, seed=1)
    langs = Counter(p["language"] for p in inst["participants"])
    assert langs.most_common(1)[0][0] == "uk"
    rare = [i for i in inst["interpreters"] if set(i["languages"]) & {"ln", "rw", "my", "om", "sw"}
            and len(i["languages"]) == 1]
    assert rare and all("onsite" not in i["modes"] for i in rare)
    rare_share = lambda i: sum(p["language"] in {"ln", "rw", "my", "om", "sw"} for p in i["participants"])  # noqa: E731
    assert rare_share(generate("46", 600, seed=1, scenario="rare-language")) > 3 * rare_share(inst)


def test_interpreters_rates_and_register_categories():
    inst = generate("46", 300, seed=1)
    for i in inst["interpreters"]:
        assert 600 <= i["hourly_rate"] <= 900 and i["travel_rate"] == i["hourly_rate"] // 2
        assert i["min_billed_minutes"] == 60
        assert all(1 <= cat <= 5 for cat in i["languages"].values())


def test_crunch_has_less_multicultural_capacity_than_normal():
    def capacity(inst):
        return sum(len(c["weekly"]) * c["max_sessions_per_day"] for c in inst["counsellors"] if c["multicultural"])
    assert capacity(generate("46", 1000, 1, "crunch")) < 0.75 * capacity(generate("46", 1000, 1, "normal"))
    share = [c["multicultural"] for c in generate("46", 1000, 1)["counsellors"]]
    assert 0.55 < sum(share) / len(share) < 0.85


def test_outreach_venues_have_open_dates_and_cover_the_county():
    inst = generate("46", 100, seed=1)
    outreach = [loc for loc in inst["locations"] if loc["open_dates"] is not None]
    assert outreach and all(loc["open_dates"] for loc in outreach)


def test_sick_leave_has_previous_plan_absence_and_frozen_until():
    inst = generate("46", 150, seed=1, scenario="sick-leave")
    assert inst["previous_plan"]["sessions"] and inst["frozen_until"] == "2027-01-27T00:00"
    sick = [c for c in inst["counsellors"] if ["2027-01-25", "2027-02-05"] in c["absences"]]
    assert len(sick) == 1
    assert any(s["counsellor"] == sick[0]["id"] for s in inst["previous_plan"]["sessions"])
    load_instance(inst)


def test_main_writes_a_file(tmp_path):
    out = tmp_path / "inst.json"
    assert main(["--county", "46", "--participants", "30", "--seed", "2", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["format"] == "guidance-instance/1"
    assert main(["--scenario", "nonsense"]) == 2
    assert main(["--county", "99", "-o", str(out)]) == 2


def test_cli_generate_via_python_m_solver(tmp_path):
    out = tmp_path / "inst.json"
    proc = subprocess.run([sys.executable, "-m", "solver", "generate", "--participants", "20",
                           "--scenario", "crunch", "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    load_instance(out)


def test_settlement_wave_meets_normals_participants_with_a_tenth_of_the_capacity_and_half_the_interpreters():
    for county in ("46", "18", "03"):
        normal, wave = generate(county, 2000, seed=1), generate(county, 2000, seed=1, scenario="settlement-wave")
        load_instance(wave)  # schema and references (a preferred counsellor who is not there would fail)

        # The same people with the same needs, windows and languages.
        def people(inst):
            return [{**p, "preferred_counsellor": None} for p in inst["participants"]]
        assert people(wave) == people(normal)
        assert {p["preferred_counsellor"] for p in wave["participants"]} - {None} <= {c["id"] for c in wave["counsellors"]}

        # Multicultural capacity (weekdays x sessions a day) about a tenth of normal's: each centre
        # keeps at least one counsellor one day a week, so a little more than a tenth.
        def capacity(inst):
            return sum(len(c["weekly"]) * c["max_sessions_per_day"] for c in inst["counsellors"] if c["multicultural"])
        assert 0.08 <= capacity(wave) / capacity(normal) <= 0.16, county
        assert len(wave["counsellors"]) <= 0.4 * len(normal["counsellors"])
        centres = {loc["id"] for loc in wave["locations"] if loc["open_dates"] is None}
        assert centres <= {lid for c in wave["counsellors"] if c["multicultural"] for lid in c["locations"]}

        # Half the interpreters of each language, rounded up (the first language is the one
        # an interpreter was hired for).
        def per_language(inst):
            return Counter(next(iter(i["languages"])) for i in inst["interpreters"])
        half = {lang: -(-n // 2) for lang, n in per_language(normal).items()}
        assert per_language(wave) == half


def test_settlement_wave_is_deterministic_for_a_seed_and_named_for_its_scenario():
    first = generate("46", 300, seed=5, scenario="settlement-wave")
    assert first == generate("46", 300, seed=5, scenario="settlement-wave")
    assert first != generate("46", 300, seed=6, scenario="settlement-wave")
    assert first["name"].endswith("-settlement-wave")


def test_main_generates_a_settlement_wave(tmp_path):
    out = tmp_path / "wave.json"
    assert main(["--scenario", "settlement-wave", "--participants", "40", "-o", str(out)]) == 0
    assert load_instance(out).name.endswith("settlement-wave")
