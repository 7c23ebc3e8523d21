"""The per-horizon window helpers prepare() uses give what the per-day ones give."""

from solver import calendar as cal
from solver.formats import load_instance
from solver.generate import generate


def test_windows_for_all_days_equal_the_per_day_windows():
    inst = generate(participants=20, seed=2, weeks=4)
    inst["counsellors"][0]["absences"] = [["2027-01-05", "2027-01-07"]]
    inst["interpreters"][0]["absences"] = [["2027-01-11", "2027-01-11"]]
    inst["locations"][0]["open_dates"] = ["2027-01-05", "2027-01-13"]
    instance = load_instance(inst)
    days = cal.working_days(instance)
    for person in instance.counsellors + instance.interpreters:
        assert cal.weekly_windows_for(person, days) == [cal.weekly_windows(person, d) for d in days]
    for location in instance.locations:
        assert cal.location_windows_for(location, days) == [cal.location_windows(location, d) for d in days]
    assert cal.weekly_windows_for(instance.counsellors[0], days)[days.index(instance.horizon.start) + 1] == []
