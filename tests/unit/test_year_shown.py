"""A date in another year than today's shows its year (the review read "Tuesday 30 March" in December)."""
import datetime as dt

from guidance import clock


def test_a_date_next_year_gets_its_year_and_this_years_does_not():
    with clock.moved_to(dt.datetime(2026, 12, 5, 10, tzinfo=dt.timezone.utc)):
        assert clock.year_shown("EEEE d. MMMM 'kl.' HH:mm", dt.date(2027, 3, 30)) == "EEEE d. MMMM y 'kl.' HH:mm"
        assert clock.year_shown("EEEE d MMMM 'at' HH:mm", dt.date(2026, 12, 8)) == "EEEE d MMMM 'at' HH:mm"
        assert clock.year_shown("d. MMM", dt.date(2025, 11, 3)) == "d. MMM y"
        # patterns with a year, named formats, and time-only patterns are left as they are
        for pattern in ("d. MMM y", "medium", "HH:mm", "EEEE d. MMMM y"):
            assert clock.year_shown(pattern, dt.date(2027, 3, 30)) == pattern


def test_new_years_eve_late_in_oslo_is_already_next_year():
    # 23:30 UTC on 31 December is 00:30 on 1 January in Oslo: a session then is "this year" already
    with clock.moved_to(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)):
        session = dt.datetime(2027, 1, 4, 8, tzinfo=dt.timezone.utc)
        assert clock.year_shown("EEEE d. MMMM", session) == "EEEE d. MMMM"
