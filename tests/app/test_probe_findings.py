"""The low findings of the security and fault probe (issue 25, items 8, 9, 10 and 13)."""
from __future__ import annotations

import re
import socket

from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import PlanningRun, Referral, Role, User
from tests.app import factories as f
from tests.app.test_intake import form_data

RLO = "\u202e"


# --- 8: bidirectional controls --------------------------------------------------------------

def test_a_name_with_a_bidi_override_is_refused(client):
    f.login(client, f.user(Role.REFERRER))
    response = client.post("/intake/new", data=form_data(name=f"Amal {RLO}ladaH"))
    assert response.status_code == 400
    assert "usynlige kontrolltegnene" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_an_isolate_in_a_user_name_is_refused(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    response = client.post("/admin/users/new", data={
        "name": "Kari \u2067Nordmann", "email": "kari@example.no", "role": "referrer", "county_id": "0",
        "municipality_id": str(f.municipality("4601").id), "password": "fjord lantern quietly 42"})
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "kari@example.no")) is None


def test_names_in_lists_are_isolated(client):
    w = f.world()
    f.login(client, w.lead)
    page = client.get("/referrals/").get_data(as_text=True)
    assert "<bdi>Amal Haddad</bdi>" in page


# --- 9: caching, Allow, Retry-After, no connection errors on pages ---------------------------

def test_api_answers_with_personal_data_are_not_cached(client):
    w = f.world()
    token = f.api_token(w.own_referral.referring_municipality)
    response = client.get(f"/api/v1/referrals/{w.own_referral.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and "Amal Haddad" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_405_says_which_methods_are_allowed(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    api = client.delete("/api/v1/referrals")
    assert api.status_code == 405 and "POST" in api.headers["Allow"]


def test_the_run_page_shows_no_connection_error_when_the_queue_is_down(app_config, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app_config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    from guidance import create_app

    app = create_app(app_config)
    with app.app_context():
        try:
            lead = f.user(Role.LEAD)
            client = app.test_client()
            f.login(client, lead)
            response = client.post("/planning/runs", data={"time_limit": "10"})
            assert response.status_code == 400
            run = db.session.scalar(select(PlanningRun))
            page = client.get(f"/planning/runs/{run.id}").get_data(as_text=True)
            assert "Planleggingskøen svarte ikke" in page
            assert not re.search(r"Error \d+|127\.0\.0\.1|6379|connecting", page + (run.message or ""))
        finally:
            from tests.conftest import _empty_tables

            db.session.remove()
            _empty_tables(db)
            db.engine.dispose()


# --- 10: common passwords --------------------------------------------------------------------

def test_a_common_password_is_refused_beside_the_field(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    f.centre()   # Bergen's county has a career centre: the referrer's referrals reach someone
    data = {"name": "Kari Nordmann", "email": "kari@example.no", "role": "referrer", "county_id": "0",
            "municipality_id": str(f.municipality("4601").id)}
    for weak in ("password1234", "Kari Nordmann1", "qwertyuiop12"):
        response = client.post("/admin/users/new", data={**data, "password": weak})
        assert response.status_code == 400, weak
        assert "for lett å gjette" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "kari@example.no")) is None
    assert client.post("/admin/users/new", data={**data, "password": "fjord lantern quietly 42"}).status_code == 302


# --- 13: no form without a submit button -----------------------------------------------------

def test_every_form_on_the_user_list_has_a_submit_button(client):
    admin = f.user(Role.ADMIN, county_number=None)
    f.user(Role.LEAD)
    f.login(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
    assert forms
    for form in forms:
        assert re.search(r'<button\b[^>]*type="submit"|<input\b[^>]*type="submit"', form), form
