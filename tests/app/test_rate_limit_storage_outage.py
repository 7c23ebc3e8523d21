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
