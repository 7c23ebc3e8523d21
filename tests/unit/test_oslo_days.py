"""Oslo dates as the UTC instants a query compares with: every "sessions on these days" read (the week,
the day plan, the outcomes to record, absences) goes through `clock.oslo_days`."""
import datetime as dt

from guidance import clock


def test_a_winter_day_starts_at_23_utc_the_evening_before():
    start, end = clock.oslo_days(dt.date(2027, 1, 12), dt.date(2027, 1, 12))
    assert start == dt.datetime(2027, 1, 11, 23, 0, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2027, 1, 12, 23, 0, tzinfo=dt.timezone.utc)


def test_a_summer_week_starts_at_22_utc_on_sunday():
    start, end = clock.oslo_days(dt.date(2027, 6, 7), dt.date(2027, 6, 13))
    assert start == dt.datetime(2027, 6, 6, 22, 0, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2027, 6, 13, 22, 0, tzinfo=dt.timezone.utc)


def test_the_week_the_clocks_go_forward_is_one_hour_short():
    start, end = clock.oslo_days(dt.date(2027, 3, 22), dt.date(2027, 3, 28))  # summer time from 28 March
    assert end - start == dt.timedelta(days=7, hours=-1)
    assert end.utcoffset() == dt.timedelta(0)  # aware UTC, safe to hand to a formatter or a query
