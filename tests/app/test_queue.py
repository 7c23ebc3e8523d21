"""The centre's queue: open referrals by deadline, filters, counts, paging and a CSV without personal data."""
from __future__ import annotations

import datetime as dt

from guidance.extensions import db
from guidance.models import LegalBasis, ReferralStatus, Role
from guidance.rules.deadlines import at_risk_cutoff
from tests.app import factories as f
from guidance.planning.ids import local_today


def queue_rows(page: str) -> list[str]:
    import re

    return re.findall(r'href="/referrals/\d+">(H-[A-Z0-9-]+)<', page)


def test_lead_sees_open_referrals_of_the_county_nearest_deadline_first(client):
    today = local_today()
    lead = f.user(Role.LEAD)
    late = f.referral(name="A", deadline=today + dt.timedelta(days=60))
    soon = f.referral(name="B", municipality_number="4621", deadline=today + dt.timedelta(days=5))
    closed = f.referral(name="C", deadline=today + dt.timedelta(days=1))
    closed.status = ReferralStatus.WITHDRAWN
    elsewhere = f.referral(name="D", municipality_number="1804", deadline=today + dt.timedelta(days=2))  # Bodø, Nordland
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert queue_rows(page) == [soon.reference, late.reference]
    assert closed.reference not in page and elsewhere.reference not in page
    assert "Amal" not in page  # references, not names


def test_filters_by_municipality_language_basis_and_status(client):
    lead = f.user(Role.LEAD)
    bergen = f.referral(name="A", language="ar")
    voss = f.referral(name="B", municipality_number="4621", language="ti", legal_basis=LegalBasis.TEMPORARY_ACT)
    voss.status = ReferralStatus.PLANNED
    db.session.commit()
    f.login(client, lead)
    assert queue_rows(client.get(f"/queue/?municipality={voss.referring_municipality_id}").get_data(as_text=True)) == [voss.reference]
    assert queue_rows(client.get("/queue/?language=ar").get_data(as_text=True)) == [bergen.reference]
    assert queue_rows(client.get("/queue/?basis=temporary_act").get_data(as_text=True)) == [voss.reference]
    assert queue_rows(client.get("/queue/?status=received").get_data(as_text=True)) == [bergen.reference]


def test_at_risk_means_deadline_within_15_working_days_and_not_booked(client):
    today = local_today()
    cutoff = at_risk_cutoff(today)
    lead = f.user(Role.LEAD)
    at_risk = f.referral(name="A", deadline=cutoff)
    safe = f.referral(name="B", deadline=cutoff + dt.timedelta(days=1))
    booked = f.referral(name="C", deadline=today + dt.timedelta(days=2))
    booked.status = ReferralStatus.BOOKED
    no_deadline = f.referral(name="D", legal_basis=LegalBasis.ORDINARY)
    no_deadline.deadline = None
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/?at_risk=1").get_data(as_text=True)
    assert queue_rows(page) == [at_risk.reference]
    assert safe.reference not in page


def test_counts_at_the_top_follow_the_filters(client):
    lead = f.user(Role.LEAD)
    f.referral(name="A", deadline=local_today() - dt.timedelta(days=1))
    planned = f.referral(name="B")
    planned.status = ReferralStatus.PLANNED
    db.session.commit()
    f.login(client, lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert '<span class="figure-number">2</span> åpne' in page
    assert '<span class="figure-number">1</span> planlagt' in page
    assert '<span class="figure-number">1</span> over fristen' in page


def test_the_queue_is_paginated(client):
    lead = f.user(Role.LEAD)
    made = [f.referral(name=f"P{i}", deadline=dt.date(2030, 1, 1) + dt.timedelta(days=i)) for i in range(55)]
    f.login(client, lead)
    first = client.get("/queue/").get_data(as_text=True)
    second = client.get("/queue/?page=2").get_data(as_text=True)
    assert len(queue_rows(first)) == 50 and queue_rows(second) == [r.reference for r in made[50:]]
    assert "Side 1 av 2" in first and 'rel="next"' in first


def test_csv_export_has_no_names_or_phones(client):
    lead = f.user(Role.LEAD)
    referral = f.referral(name="Unik Navnesen")
    f.login(client, lead)
    response = client.get("/queue/export.csv")
    text = response.data.decode("utf-8-sig")
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert referral.reference in text and "4601" in text and "integration_act" in text
    assert "Navnesen" not in text and "400 00 000" not in text and "40000000" not in text
    assert text.splitlines()[0].startswith("reference;")


def test_csv_export_follows_the_filters(client):
    lead = f.user(Role.LEAD)
    ar = f.referral(name="A", language="ar")
    ti = f.referral(name="B", language="ti")
    f.login(client, lead)
    text = client.get("/queue/export.csv?language=ti").data.decode("utf-8-sig")
    assert ti.reference in text and ar.reference not in text


def test_referrers_and_counsellors_have_no_queue(client):
    w = f.world()
    for person in (w.referrer, w.counsellor):
        f.login(client, person)
        assert client.get("/queue/").status_code == 403
        assert client.get("/queue/export.csv").status_code == 403
        client.post("/logout")
