"""When the referral says the participant can come, the planner is told the other working times are busy."""
import datetime as dt

from guidance.planning.wish import Wish

MONDAY, FRIDAY = dt.date(2027, 1, 11), dt.date(2027, 1, 15)


def test_wednesday_afternoons_leave_the_other_days_and_wednesday_morning_busy():
    busy = Wish(weekdays=(3,), part_of_day="afternoon").busy(MONDAY, FRIDAY + dt.timedelta(days=2))
    assert busy == [("2027-01-11T00:00", "2027-01-11T23:59"), ("2027-01-12T00:00", "2027-01-12T23:59"),
                    ("2027-01-13T00:00", "2027-01-13T12:00"),
                    ("2027-01-14T00:00", "2027-01-14T23:59"), ("2027-01-15T00:00", "2027-01-15T23:59")]


def test_mornings_only_leave_every_afternoon_busy_and_nothing_said_leaves_nothing_busy():
    assert Wish(part_of_day="morning").busy(MONDAY, MONDAY) == [("2027-01-11T12:00", "2027-01-11T23:59")]
    assert Wish().busy(MONDAY, FRIDAY) == []
