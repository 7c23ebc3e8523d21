"""Absurd input gets a message, never a 500 (issue 25, items 4 and 5)."""
from __future__ import annotations

import pytest
import datetime as dt

from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import Absence, Role
from guidance.planning.ids import local_today
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def test_json_nested_1500_deep_is_a_400_problem(client):
    token = f.api_token(f.municipality("4601"))
    body = "[" * 1500 + "]" * 1500
    response = client.post("/api/v1/referrals", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_an_absence_in_year_9999_or_0001_is_refused_with_a_message(client):
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, lead)
    today = local_today().isoformat()
    for start, end, field in (("0001-01-01", today, "start_date"), (today, "9999-12-31", "end_date")):
        response = client.post("/planning/absences", data={"user_id": counsellor.id, "start_date": start,
                                                           "end_date": end, "reason": ""})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Skriv en dato fra" in page and f'id="{field}-error"' in page
    assert db.session.scalar(select(func.count()).select_from(Absence)) == 0


def test_an_absence_stored_with_an_absurd_end_still_shows_its_page(client):
    lead = f.user(Role.LEAD)
    counsellor = f.user(Role.COUNSELLOR)
    absence = Absence(user_id=counsellor.id, start_date=dt.date(1, 1, 1), end_date=dt.date(9999, 12, 31))
    db.session.add(absence)
    db.session.commit()
    f.login(client, lead)
    assert client.get(f"/planning/absences/{absence.id}").status_code == 200


def test_keeping_published_sessions_until_year_9999_is_refused(client):
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    response = client.post("/planning/runs", data={"time_limit": "10", "keep_until": "9999-12-31"})
    assert response.status_code == 400
    assert "Skriv en dato fra" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/referrals/?municipality=99999999999999999999", "/referrals/?page=99999999999999999999",
                                  "/queue/?municipality=99999999999999999999", "/queue/?page=-99999999999999999999",
                                  "/outbox/?page=99999999999999999999"])
def test_a_number_no_column_can_hold_in_the_address_reads_as_absent(client, path):
    w = f.world()
    f.login(client, w.lead)
    assert client.get(path).status_code == 200
