"""Input the domain forbids is refused on every channel; a passed deadline reads "passed"."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import Referral, Role
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

EN = {"Accept-Language": "en"}
TODAY = dt.date(2026, 12, 3)
TOMORROW = TODAY + dt.timedelta(days=1)
# In words: "03/12/2026" read as 12 March as well as 3 December.
FUTURE_MESSAGE = "The settlement date cannot be after today (3 December 2026)."


@pytest.fixture(autouse=True)
def thursday(travel_to):
    travel_to(f.oslo(2026, 12, 3, 12))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral))


def _form(**changes) -> dict:
    data = {
        "name": "Olena Kovalenko", "phone": "+47 412 34 567", "municipality_id": str(f.municipality("4601").id),
        "legal_basis": "integration_act", "settlement_date": (TODAY - dt.timedelta(days=10)).isoformat(),
        "programme_decision_date": "", "window_months": "3", "language": "uk", "needs_interpreter": "y",
        "needs": ["individual", "group"], "earliest_date": "", "accessibility_needs": "", "notes": "",
        "action": "send",
    }
    data.update(changes)
    return data


def test_the_form_refuses_a_settlement_date_after_today_on_its_field(client):
    f.login(client, f.user(Role.REFERRER), language="en")
    response = client.post("/intake/new", headers=EN, data=_form(settlement_date=TOMORROW.isoformat()))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="settlement_date-error"' in page and FUTURE_MESSAGE in page
    assert 'value="Olena Kovalenko"' in page and count() == 0
    assert client.post("/intake/new", data=_form(settlement_date=TODAY.isoformat())).status_code == 302


def test_the_csv_upload_refuses_a_settlement_date_after_today_naming_row_and_column(client):
    from tests.app.test_intake_bulk import HEADER

    f.login(client, f.user(Role.REFERRER))
    text = "\n".join([HEADER, f"Bjørn Åsen;;4601;integreringsloven;{TOMORROW:%d.%m.%Y};;;uk;ja;nei;ja;ja;;;nei;"])
    response = client.post("/intake/bulk", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(text.encode("utf-8-sig")), "gruppe.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and count() == 0
    assert "<td>2</td><td>bosettingsdato</td><td>Bosettingsdatoen kan ikke være etter i dag" in page


def test_the_api_refuses_a_settlement_date_after_today_with_its_path(client):
    token = f.api_token(f.municipality("4601"))
    body = {"participant": {"name": "Olena Kovalenko", "municipality": "4601", "language": "uk"},
            "legal_basis": "integration_act", "settlement_date": TOMORROW.isoformat()}
    response = client.post("/api/v1/referrals", json=body, headers={"Authorization": f"Bearer {token}", **EN})
    problem = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [e["path"] for e in problem["errors"]] == ["settlement_date"]
    assert "cannot be after today" in problem["errors"][0]["message"] if "message" in problem["errors"][0] \
        else "cannot be after today" in str(problem["errors"][0])
    assert count() == 0


def test_a_passed_deadline_reads_passed_in_the_form_preview_the_referral_and_the_queue_export(client):
    referrer = f.user(Role.REFERRER)
    f.login(client, referrer, language="en")
    preview = client.post("/intake/new", headers=EN, data=_form(settlement_date="2024-03-01", action="preview"))
    page = preview.get_data(as_text=True)
    assert "Deadline: 1 June 2024" in page and "passed" in page
    assert "0 working days left" not in page

    old = f.referral(settlement=dt.date(2024, 3, 1))
    client.post("/logout")
    lead = f.user(Role.LEAD)
    f.login(client, lead, language="en")
    shown = client.get(f"/referrals/{old.id}", headers=EN).get_data(as_text=True)
    assert "<strong>passed</strong>" in shown
    export = client.get("/queue/export.csv").get_data(as_text=True)
    row = next(line for line in export.splitlines() if old.reference in line)
    assert ";passed;" in row


def test_a_correction_may_keep_a_stored_date_but_not_type_a_future_one(app):
    from guidance.services import referrals
    from guidance.services.errors import DomainError
    from guidance.services.referrals import ReferralData

    w = f.world()  # the factory's settlement date (10 January 2027) lies after "today" here
    data = ReferralData.from_referral(w.own_referral)
    data.notes = "Ønsker helsefag."
    assert referrals.correct_referral(w.referrer, w.own_referral, data) == ["notes"]
    data.settlement_date = dt.date(2027, 1, 11)
    with pytest.raises(DomainError) as refused:
        referrals.correct_referral(w.referrer, w.own_referral, data)
    assert list(refused.value.field_errors) == ["settlement_date"]
