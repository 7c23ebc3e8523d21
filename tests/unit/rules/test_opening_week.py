"""Which week a week view opens on (guidance.rules.week)."""
import datetime as dt

from guidance.rules.week import first_week_ahead, opening_monday

MONDAY = dt.date(2026, 11, 30)


def test_a_working_day_opens_its_own_week_and_the_weekend_the_next():
    assert opening_monday(MONDAY) == MONDAY
    assert opening_monday(MONDAY + dt.timedelta(days=4)) == MONDAY            # Friday
    assert opening_monday(MONDAY + dt.timedelta(days=5)) == MONDAY + dt.timedelta(weeks=1)   # Saturday
    assert opening_monday(MONDAY + dt.timedelta(days=6)) == MONDAY + dt.timedelta(weeks=1)   # Sunday


def test_a_plans_list_opens_on_the_first_week_not_behind_us():
    weeks = [MONDAY - dt.timedelta(weeks=4), MONDAY, MONDAY + dt.timedelta(weeks=1)]
    assert first_week_ahead(weeks, MONDAY + dt.timedelta(days=2)) == MONDAY
    assert first_week_ahead(weeks, MONDAY + dt.timedelta(days=5)) == MONDAY + dt.timedelta(weeks=1)
    assert first_week_ahead(weeks, MONDAY + dt.timedelta(weeks=3)) == weeks[-1]   # all behind: the last
    assert first_week_ahead([], MONDAY) is None
