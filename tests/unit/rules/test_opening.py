"""When a location is open: weekly hours, even/odd-week patterns, single dates, closed days."""
import datetime as dt
from types import SimpleNamespace

from guidance.rules.opening import closed_days, common_hours, in_pattern, open_days


def venue(**kw):
    base = {"weekly_hours": {"2": [["09:00", "15:00"]]}, "outreach": True, "open_pattern": [], "open_dates": []}
    return SimpleNamespace(**{**base, **kw})


def test_even_and_odd_weeks_follow_the_iso_week_number():
    tuesday_week_2, tuesday_week_3 = dt.date(2027, 1, 12), dt.date(2027, 1, 19)
    assert tuesday_week_2.isocalendar().week == 2
    assert in_pattern(tuesday_week_2, [{"weekday": 2, "weeks": "even"}])
    assert not in_pattern(tuesday_week_3, [{"weekday": 2, "weeks": "even"}])
    assert in_pattern(tuesday_week_3, [{"weekday": 2, "weeks": "odd"}])
    assert in_pattern(tuesday_week_3, [{"weekday": 2, "weeks": "every"}])
    assert not in_pattern(dt.date(2027, 1, 13), [{"weekday": 2, "weeks": "every"}])


def test_outreach_venue_is_open_on_its_pattern_and_single_dates_but_not_on_closed_days():
    loc = venue(open_pattern=[{"weekday": 2, "weeks": "odd"}], open_dates=["2027-01-12"])
    days = open_days(loc, dt.date(2027, 1, 11), dt.date(2027, 1, 31), closed={dt.date(2027, 1, 26)})
    assert days == [dt.date(2027, 1, 12), dt.date(2027, 1, 19)]  # week 3 odd, 12th single; 26th (odd) closed


def test_an_office_is_open_on_every_weekday_with_hours():
    loc = venue(outreach=False, weekly_hours={"1": [["08:00", "16:00"]], "3": [["08:00", "12:00"]]},
                open_pattern=[{"weekday": 2, "weeks": "every"}])
    assert [d.isoweekday() for d in open_days(loc, dt.date(2027, 1, 11), dt.date(2027, 1, 17), [])] == [1, 3]


def test_common_hours_are_what_every_open_weekday_shares():
    weekly = {"1": [["08:00", "11:30"], ["12:00", "16:00"]], "5": [["08:00", "14:00"]]}
    assert common_hours(weekly, {1}) == [["08:00", "11:30"], ["12:00", "16:00"]]
    assert common_hours(weekly, {1, 5}) == [["08:00", "11:30"], ["12:00", "14:00"]]
    assert common_hours(weekly, set()) == []


def test_closed_days_add_the_countys_own_to_the_public_holidays():
    county = SimpleNamespace(closure_days=["2027-12-24", "2028-01-05"])
    days = closed_days(county, dt.date(2027, 12, 20), dt.date(2027, 12, 31))
    assert days == [dt.date(2027, 12, 24), dt.date(2027, 12, 25), dt.date(2027, 12, 26)]
