"""The referral CSV upload reads files from municipalities' spreadsheets: whatever bytes come,
parsing answers rows and cell errors, never an exception (which would be a 500)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app import factories as f

from guidance.services import referral_csv

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["", "ja", "nei", "x", "31.02.2027", "2027-01-15", "15.01.2027", "4601", "9999", "integreringsloven",
     "midlertidig lov", "ordinær", "uk", "zz", "-1", "13", "0", "=cmd|' /C calc'!A0", "\"", ";", "\r\n"])
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _sheet(rows: list[list[str]], delimiter: str) -> str:
    header = delimiter.join(h for h, _attr in referral_csv.COLUMNS)
    return "\r\n".join([header] + [delimiter.join(r) for r in rows])


def _check(raw: bytes, county_id: int) -> None:
    parsed = referral_csv.parse(raw, county_id)
    assert len(parsed.items) == len(parsed.rows)
    for error in parsed.errors:
        assert error.message


@SETTINGS
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_parse_to_rows_or_cell_errors(app, raw):
    _check(raw, f.county("46").id)


@SETTINGS
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=18), max_size=6), delimiter=st.sampled_from([";", ","]),
       encoding=st.sampled_from(["utf-8-sig", "utf-8", "cp1252"]))
def test_template_shaped_sheets_with_odd_cells_parse_and_validate_without_exceptions(app, rows, delimiter, encoding):
    from guidance.services import referrals

    text = _sheet(rows, delimiter)
    raw = text.encode(encoding, errors="replace")
    county = f.county("46")
    parsed = referral_csv.parse(raw, county.id)
    bergen = f.municipality("4601")
    for item in parsed.items:
        # every parsed row goes through the same validation as the form: refusals, not exceptions
        referrals.validate(referrals.normalise(item, dt.date(2027, 1, 20)), bergen, dt.date(2027, 1, 20))


def test_a_huge_cell_is_a_cell_error_not_a_crash(app):
    raw = _sheet([["x" * 200_000] + [""] * 15], ";").encode()
    _check(raw, f.county("46").id)
