"""Simultaneous identical submissions create one referral (issue 25, item 1).

Real concurrent HTTP requests against the app served in threads, on SQLite and PostgreSQL:
the database decides (the municipality's intake lock and the unique idempotency key).
"""
from __future__ import annotations

import re

import requests
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import Referral, Role
from tests.app import factories as f
from tests.app.live_server import at_once, logged_in, serve
from tests.app.test_intake import form_data

BROWSERS = 5


def referral_count() -> int:
    db.session.expire_all()
    db.session.commit()  # a fresh snapshot on PostgreSQL
    return db.session.scalar(select(func.count()).select_from(Referral))


def submission_token(page: str) -> str:
    match = re.search(r'name="submission"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="submission"', page)
    assert match, "the form carries a submission token"
    return match.group(1)


def copies(browser: requests.Session) -> list[requests.Session]:
    """One HTTP client per thread, all with the same login cookie (as a double click)."""
    out = []
    for _ in range(BROWSERS):
        copy = requests.Session()
        copy.cookies.update(browser.cookies)
        out.append(copy)
    return out


def test_a_double_clicked_form_creates_one_referral(app):
    referrer = f.user(Role.REFERRER)
    with serve(app) as base:
        browser = logged_in(base, referrer.email, f.PASSWORD)
        token = submission_token(browser.get(f"{base}/intake/new").text)
        # Confirmed as a possible duplicate, so only the form's token can stop the copies.
        data = form_data(submission=token, confirm_duplicate="y")
        clients = iter(copies(browser))
        responses = at_once(BROWSERS, lambda: next(clients).post(f"{base}/intake/new", data=data, allow_redirects=False))
    assert all(isinstance(r, requests.Response) for r in responses), responses
    assert [r.status_code for r in responses] == [302] * BROWSERS
    assert referral_count() == 1
    only = db.session.scalar(select(Referral))
    assert all(f"/referrals/{only.id}" in r.headers["Location"] for r in responses)


def test_simultaneous_forms_for_the_same_person_create_one_referral(app):
    referrer = f.user(Role.REFERRER)
    with serve(app) as base:
        browser = logged_in(base, referrer.email, f.PASSWORD)
        # Five separate forms (no shared token): the duplicate check must see the first one.
        data = form_data()
        clients = iter(copies(browser))
        responses = at_once(BROWSERS, lambda: next(clients).post(f"{base}/intake/new", data=data, allow_redirects=False))
    assert sorted(r.status_code for r in responses) == [302] + [400] * (BROWSERS - 1)
    assert referral_count() == 1


def test_simultaneous_api_posts_without_a_key_create_one_referral(app):
    bergen = f.municipality("4601")
    token = f.api_token(bergen)
    names = ["Olena Kovalenko", "Amal Haddad", "Yonas Tesfay"]
    with serve(app) as base:
        for name in names:
            body = {"participant": {"name": name, "municipality": "4601", "language": "uk"}, "legal_basis": "ordinary"}
            responses = at_once(8, lambda: requests.post(f"{base}/api/v1/referrals", json=body,
                                                           headers={"Authorization": f"Bearer {token}"}))
            assert sorted(r.status_code for r in responses) == [201] + [409] * 7, name
    assert referral_count() == len(names)


def test_a_sent_form_sent_again_with_other_answers_is_refused_with_a_message(client):
    f.login(client, f.user(Role.REFERRER))
    token = submission_token(client.get("/intake/new").get_data(as_text=True))
    assert client.post("/intake/new", data=form_data(submission=token)).status_code == 302
    again = client.post("/intake/new", data=form_data(submission=token, name="Someone Else", phone=""))
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "Dette skjemaet er allerede sendt med andre svar" in page
    assert submission_token(page) != token  # the page is a new form now
    assert referral_count() == 1
    assert client.post("/intake/new", data=form_data(submission=submission_token(page), name="Someone Else",
                                                     phone="")).status_code == 302
    assert referral_count() == 2
