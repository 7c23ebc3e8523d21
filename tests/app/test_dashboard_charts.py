"""The dashboard's charts name months as people do, in the page's language (issue 24, item 10)."""
import re

import pytest

from tests.app import factories as f

pytestmark = pytest.mark.one_database  # the charts are drawn from figures in Python (statistics' SQL: planning/test_dashboard.py)


def _chart(page: str, chart_id: str) -> str:
    return re.search(rf'<svg id="{chart_id}".*?</svg>', page, re.S).group(0)


def test_charts_name_the_months_and_show_the_budget_against_the_cost(client, travel_to):
    travel_to(f.oslo(2026, 12, 4, 12))
    w = f.world()
    f.login(client, w.lead)
    client.post("/dashboard/budget", data={"month": "2027-01", "amount": "5000"})
    page = client.get("/dashboard/").get_data(as_text=True)
    referrals = _chart(page, "referrals-chart")
    assert ">des. 2026</text>" in referrals and "2026-12</text>" not in referrals
    cost = _chart(page, "interpreter-chart")
    assert ">jan. 2027</text>" in cost and 'class="chart-target"' in cost
    f.login(client, w.lead, language="en")
    page = client.get("/dashboard/?period=quarter").get_data(as_text=True)
    assert ">Q4 2026</text>" in _chart(page, "referrals-chart")


def test_the_tables_beside_the_charts_name_months_and_quarters_in_full(client, travel_to):
    travel_to(f.oslo(2026, 12, 4, 12))
    w = f.world()
    f.login(client, w.lead)
    client.post("/dashboard/budget", data={"month": "2027-01", "amount": "5000"})
    page = client.get("/dashboard/").get_data(as_text=True)
    tables = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    assert '<th scope="row">desember 2026</th>' in tables
    assert '<th scope="row">januar 2027</th>' in tables  # the interpreter table's budgeted month
    assert not re.search(r"<t[hd][^>]*>\d{4}-\d{2}</t[hd]>", tables)
    page = client.get("/dashboard/?period=quarter").get_data(as_text=True)
    assert '<th scope="row">4. kvartal 2026</th>' in page


def test_interpreter_hours_are_written_with_the_pages_decimal_comma(client, travel_to):
    from guidance.extensions import db
    from guidance.services import bookings

    travel_to(f.oslo(2026, 12, 4, 12))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 12, 14, 9), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    bookings.transition(None, booking, "accept")
    db.session.commit()
    f.login(client, w.lead)
    tables = re.sub(r"<svg.*?</svg>", "", client.get("/dashboard/").get_data(as_text=True), flags=re.S)
    row = re.search(r'<th scope="row">desember 2026</th><td>([^<]*)</td>', tables).group(1)
    assert row == "1,5"


def test_the_budget_form_starts_from_this_months_budget_with_a_month_picker(client, travel_to):
    """The amount was empty though December had a budget of NOK 160 000: a lead read it as "none set"."""
    travel_to(f.oslo(2026, 12, 4, 12))
    w = f.world()
    f.login(client, w.lead)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="month"[^>]*type="month"[^>]*value="2026-12"', page) or \
        re.search(r'<input[^>]*type="month"[^>]*id="month"[^>]*value="2026-12"', page), re.findall(r"<input[^>]*month[^>]*>", page)
    assert not re.search(r'<input[^>]*id="amount"[^>]*value="\d', page)   # none set yet
    client.post("/dashboard/budget", data={"month": "2026-12", "amount": "160000"})
    page = client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="amount"[^>]*value="160000"', page), re.findall(r"<input[^>]*amount[^>]*>", page)
    assert "Budsjettet for desember 2026 er lagret." in page   # the month in words, not 2026-12
