"""Bad input never causes a 500: oversized and malformed bodies get 4xx, as problem JSON under
/api/ and as a page elsewhere. Write routes are found in the URL map, so new API endpoints are
covered as they land."""
from __future__ import annotations

import re

import pytest

from tests.app import factories as f
from tests.app.test_access import _url_values


def _api_write_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith("/api/") and r.methods & {"POST", "PUT", "PATCH"}]


def _bearer(w) -> dict:
    # The intake area provides tokens; until it does, requests go without one (still must be 4xx).
    make = getattr(f, "api_token", None)
    return {"Authorization": f"Bearer {make(w.referrer.municipality)}"} if make else {}


def _fill(rule, values) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _assert_problem(response, statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == response.status_code and body["title"]


def test_api_write_routes_refuse_oversized_malformed_and_wrongly_shaped_bodies_with_problem_json(app):
    w = f.world()
    rules = _api_write_rules(app)
    assert rules, "the referral API takes writes (POST /api/v1/referrals)"
    client = app.test_client()
    headers = _bearer(w)
    values = _url_values(w)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    for rule in rules:
        url = _fill(rule, values)
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            big = b'{"notes": "' + b"x" * (200 * 1024) + b'"}'
            _assert_problem(client.open(url, method=method, data=big, headers=headers, content_type="application/json"), {401, 403, 413})
            for body in (b"{not json", b'{"a": ', b"\xff\xfe", b"[]", b'"text"', b"null", b"1e999"):
                _assert_problem(client.open(url, method=method, data=body, headers=headers, content_type="application/json"), {400, 401, 403, 409, 415, 422})
            _assert_problem(client.open(url, method=method, data="a=b", headers=headers,
                                        content_type="application/x-www-form-urlencoded"), {400, 401, 403, 415, 422})


def test_unknown_api_paths_and_methods_answer_problem_json(client):
    _assert_problem(client.get("/api/v1/no-such-thing"), {404})
    _assert_problem(client.post("/api/v1/health", data=b"{}", content_type="application/json"), {405})


def test_oversized_form_upload_gets_a_413_page_not_a_500(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "a@example.no", "password": "x" * 4096})
    assert response.status_code == 413
    assert response.mimetype == "text/html"


def test_malformed_form_fields_on_every_html_post_route_never_give_a_500(app):
    """Every HTML form route, as its own role, gets garbage fields: refused or accepted, never a 500."""
    w = f.world()
    values = _url_values(w)
    people = [None, w.admin, w.lead, w.counsellor, w.referrer, w.interpreter]
    garbage = {"email": "\x00", "password": "", "name": "x" * 10000, "role": "nope", "county_id": "abc",
               "municipality_id": "-1", "query": "%_\\", "language": "xx", "next": "//evil.example",
               "active": "maybe", "file": "not a file"}
    failures = []
    for person in people:
        client = app.test_client()
        if person is not None:
            f.login(client, person)
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/api/") or not rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
                continue
            if rule.endpoint == "auth.logout":
                continue  # ends the session the loop relies on
            response = client.post(_fill(rule, values), data=garbage)
            if response.status_code >= 500:
                failures.append((getattr(person, "role", "anonymous"), rule.endpoint, response.status_code))
    assert not failures


def test_an_id_too_long_for_the_database_in_any_url_is_no_page_not_a_500(app):
    """Every GET route with a number in it, as each signed-in role, with a number past what a database
    row id can hold: 404 (or the role's refusal), never an overflow in the driver."""
    from werkzeug.routing import IntegerConverter

    w = f.world()
    values = _url_values(w)
    failures = []
    for person in (w.lead, w.counsellor, w.referrer, w.interpreter, w.admin):
        client = app.test_client()
        f.login(client, person)
        for rule in app.url_map.iter_rules():
            numbers = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
            if "GET" not in rule.methods or not numbers:
                continue
            url = _fill(rule, {**values, **{name: "9" * 20 for name in numbers}})
            response = client.get(url)
            if response.status_code >= 500 or response.status_code == 200:
                failures.append((person.role.value, url, response.status_code))
    assert not failures


def test_a_week_far_in_the_future_is_no_page(client):
    w = f.world()
    f.login(client, w.counsellor)
    assert client.get("/week/9999/52").status_code == 404
    assert client.get("/week/2027/3").status_code == 200
