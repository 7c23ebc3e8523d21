"""Errors are friendly and translated; the API answers problem JSON; headers protect the pages."""
import pytest
from guidance.models import Role
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def test_unknown_page_is_a_friendly_norwegian_404(client):
    response = client.get("/finnes-ikke")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.get_data(as_text=True)


def test_api_errors_are_problem_json(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_an_unexpected_error_never_shows_a_stack_trace(app):
    def boom():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    client = app.test_client()
    page = client.get("/boom")
    api = client.get("/api/v1/boom")
    assert page.status_code == 500 and api.status_code == 500
    assert "secret internal detail" not in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert api.get_json()["title"] and "secret" not in api.get_data(as_text=True)


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_http_only_and_same_site(client):
    person = f.user(Role.LEAD)
    response = f.login(client, person)  # the code step's answer also clears Flask-Login's remember cookie
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_role_gets_a_translated_403_not_a_500(client):
    f.login(client, f.user(Role.REFERRER))
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Du har ikke tilgang til denne siden" in response.get_data(as_text=True)
