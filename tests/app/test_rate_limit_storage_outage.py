"""Rate limits keep working, and keep the app up, while their Redis storage is down."""
from __future__ import annotations

import pytest

from tests.app import factories as f
from tests.smtp import free_port


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app_config["LOGIN_RATE_LIMIT"] = "2 per minute"
    return app_config


def test_the_api_answers_when_the_rate_limit_storage_is_unreachable(client):
    token = f.api_token(f.municipality("4601"))
    response = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_login_attempts_are_still_limited_while_the_storage_is_unreachable(client):
    codes = [client.post("/login", data={"email": "x@example.no", "password": "nope"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_during_an_outage_each_process_allows_its_share_so_the_sum_stays_near_the_limit(app_config):
    """Four workers counting alone would allow four times the limit; each allows a quarter instead."""
    from guidance import create_app

    app_config["LOGIN_RATE_LIMIT"] = "8 per minute"
    app_config["RATELIMIT_FALLBACK_PROCESSES"] = 4
    client = create_app(app_config).test_client()
    codes = [client.post("/login", data={"email": "x@example.no", "password": "nope"}).status_code for _ in range(4)]
    assert codes == [400, 400, 429, 429]


def test_a_limit_is_shared_part_by_part_and_never_below_one():
    from guidance.web.rate_limits import share

    assert share("10 per minute; 100 per hour", 4) == "2 per minute; 25 per hour"
    assert share("2 per minute", 4) == "1 per minute"
