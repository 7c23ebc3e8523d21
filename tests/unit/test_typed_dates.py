"""Dates as referrers type them (a Norwegian phone's number pad offers "," for "."), one reading for
the intake form and the CSV import."""
import datetime as dt

import pytest

from guidance.services.referrals import parse_typed_date


@pytest.mark.parametrize("typed", ["17.03.2027", "17,03,2027", "17,3,2027", "17/3/2027", "17-03-2027", "17.03.27",
                                   " 17. 03. 2027 ", "2027-03-17", "2027-3-17"])
def test_the_ways_people_write_a_date_are_read_as_that_day(typed):
    assert parse_typed_date(typed) == dt.date(2027, 3, 17)


@pytest.mark.parametrize("typed", ["", "32.03.2027", "17.13.2027", "03/17/2027", "17.03", "17.03.202", "mars 2027",
                                   "17..2027", "29.02.2027", "1e3.03.2027"])
def test_what_is_not_a_real_date_is_not_read(typed):
    assert parse_typed_date(typed) is None
