"""While the database is unreachable, pages answer a plain 503, never a 500 (issue 25, item 2).

No mock: a second app with the same secret key points at a PostgreSQL address where nothing
listens (a closed port on 127.0.0.1), and gets the cookie of a user who logged in while the
database was up, as a browser does when PostgreSQL stops under it.
"""
from __future__ import annotations

import socket

import pytest

from guidance import create_app
from guidance.models import Role
from tests.app import factories as f


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is: connections are refused


@pytest.fixture
def down(app_config):
    config = dict(app_config, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/gone",
                  SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True,
                                             "connect_args": {"connect_timeout": 2}})
    return create_app(config)


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


@pytest.mark.parametrize("role, path", [(Role.LEAD, "/referrals/"), (Role.LEAD, "/planning/"),
                                        (Role.COUNSELLOR, "/week/"), (Role.REFERRER, "/intake/new")])
def test_a_logged_in_page_answers_a_plain_503_while_the_database_is_down(client, down, role, path):
    person = f.user(role)
    person.language = "en"
    from guidance.extensions import db

    db.session.commit()
    f.login(client, person)
    assert client.get(path).status_code == 200
    browser = down.test_client()
    browser.set_cookie("session", session_cookie(client))
    response = browser.get(path, headers={"Accept-Language": "nb"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Tjenesten er midlertidig utilgjengelig" in page
    assert "Internal Server Error" not in page and "Traceback" not in page
    assert int(response.headers["Retry-After"]) <= 60


def test_an_anonymous_page_that_needs_the_database_answers_503(down):
    response = down.test_client().post("/login", data={"email": "a@example.no", "password": "x" * 12})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True) or \
        "midlertidig utilgjengelig" in response.get_data(as_text=True)


def test_health_tells_the_truth(client, down):
    assert client.get("/api/v1/health").status_code == 200
    response = down.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "postgres" not in response.get_data(as_text=True).lower()


def test_the_api_answers_503_problem_json_while_the_database_is_down(app, down):
    token = f.api_token(f.municipality("4601"))
    response = down.test_client().get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) <= 60


def test_a_503_on_a_rate_limited_feed_says_retry_soon_not_the_limiters_window(down):
    # The feed's limit is counted per hour: the limiter would announce up to an hour.
    response = down.test_client().get("/calendar/" + "a" * 43 + ".ics")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
