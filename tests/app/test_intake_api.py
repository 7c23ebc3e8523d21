"""The referral API: bearer tokens per municipality, pydantic bodies, idempotent retries,
RFC 9457 problems with field paths, and the OpenAPI document."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import ApiToken, AuditEvent, Referral, Role
from guidance.services import api_tokens
from tests.app import factories as f
from guidance.planning.ids import local_today


def body(**changes) -> dict:
    data = {
        "participant": {"name": "Olena Kovalenko", "phone": "+47 412 34 567", "municipality": "4601", "language": "uk"},
        "legal_basis": "integration_act",
        "settlement_date": (local_today() - dt.timedelta(days=10)).isoformat(),
    }
    data.update(changes)
    return data


def auth(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral))


def test_a_case_system_sends_a_referral_and_reads_it_back(client):
    token = f.api_token(f.municipality("4601"))
    response = client.post("/api/v1/referrals", json=body(), headers=auth(token))
    assert response.status_code == 201
    created = response.get_json()
    assert created["reference"].startswith("H-") and created["status"] == "received"
    assert created["deadline"] and created["needs"] == ["individual", "group"]
    assert created["participant"]["municipality"] == "4601"
    assert response.headers["Location"] == f"/api/v1/referrals/{created['id']}"
    again = client.get(response.headers["Location"], headers=auth(token))
    assert again.status_code == 200 and again.get_json() == created
    listing = client.get("/api/v1/referrals", headers=auth(token)).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == created["id"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.submitted"))
    assert event.actor_id is None and '"api"' in event.detail and "Olena" not in event.detail


def test_a_case_system_says_the_participant_needs_step_free_access(client):
    token = f.api_token(f.municipality("4601"))
    sent = body()
    sent["participant"]["needs_step_free"] = True
    created = client.post("/api/v1/referrals", json=sent, headers=auth(token)).get_json()
    assert created["participant"]["needs_step_free"] is True
    assert db.session.get(Referral, created["id"]).participant.needs_step_free is True
    plain = client.post("/api/v1/referrals", json=body(participant={**body()["participant"], "name": "Amal Haddad",
                                                                         "phone": "+47 400 00 001"}),
                        headers=auth(token)).get_json()
    assert plain["participant"]["needs_step_free"] is False


def test_a_case_system_says_when_the_participant_can_come(client):
    token = f.api_token(f.municipality("4601"))
    created = client.post("/api/v1/referrals", json=body(can_come_weekdays=[3, 1], can_come_part="afternoon"),
                          headers=auth(token)).get_json()
    assert (created["can_come_weekdays"], created["can_come_part"]) == ([1, 3], "afternoon")
    assert db.session.get(Referral, created["id"]).can_come_weekdays == [1, 3]
    refused = client.post("/api/v1/referrals", json=body(can_come_weekdays=[6], can_come_part="night"),
                          headers=auth(token))
    paths = {e["path"] for e in refused.get_json()["errors"]}
    assert refused.status_code == 422 and {"can_come_weekdays.0", "can_come_part"} <= paths, refused.get_json()


def test_a_retry_with_the_same_idempotency_key_returns_the_first_result(client):
    token = f.api_token(f.municipality("4601"))
    first = client.post("/api/v1/referrals", json=body(), headers=auth(token, **{"Idempotency-Key": "case-123"}))
    # the same body, keys in another order
    reordered = dict(reversed(list(body().items())))
    retry = client.post("/api/v1/referrals", json=reordered, headers=auth(token, **{"Idempotency-Key": "case-123"}))
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json() == first.get_json()
    assert count() == 1


def test_the_same_key_with_another_body_is_refused(client):
    token = f.api_token(f.municipality("4601"))
    client.post("/api/v1/referrals", json=body(), headers=auth(token, **{"Idempotency-Key": "case-123"}))
    other = client.post("/api/v1/referrals", json=body(notes="Endret"), headers=auth(token, **{"Idempotency-Key": "case-123"}))
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.get_json()["errors"][0]["path"] == "header.Idempotency-Key"
    assert count() == 1


def test_the_same_key_in_two_municipalities_is_two_referrals(client):
    bergen, voss = f.api_token(f.municipality("4601")), f.api_token(f.municipality("4621"))
    client.post("/api/v1/referrals", json=body(), headers=auth(bergen, **{"Idempotency-Key": "k"}))
    response = client.post("/api/v1/referrals", json=body(participant={**body()["participant"], "municipality": "4621"}),
                           headers=auth(voss, **{"Idempotency-Key": "k"}))
    assert response.status_code == 201 and count() == 2


def test_racing_retries_make_one_referral(app):
    """Two retries at once: the unique constraint, not the look-up, decides which one wins."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        import pytest

        pytest.skip("SQLite serialises writers; the race needs a server database")
    token = f.api_token(f.municipality("4601"))
    barrier = threading.Barrier(2)
    statuses, bodies = [], []

    def send():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post("/api/v1/referrals", json=body(), headers=auth(token, **{"Idempotency-Key": "race"}))
            statuses.append(response.status_code)
            bodies.append(response.get_json().get("id"))
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 201] and len(set(bodies)) == 1
    assert count() == 1


def test_validation_errors_are_problem_json_with_field_paths(client):
    token = f.api_token(f.municipality("4601"))
    bad = body(participant={"name": "", "municipality": "4601", "language": "UKR"}, legal_basis="other")
    response = client.post("/api/v1/referrals", json=bad, headers=auth(token))
    problem = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert problem["status"] == 422 and problem["title"]
    paths = {e["path"] for e in problem["errors"]}
    assert {"participant.name", "participant.language", "legal_basis"} <= paths


def test_domain_rules_answer_with_api_paths(client):
    token = f.api_token(f.municipality("4601"))
    bad = body(participant={**body()["participant"], "municipality": "0301", "language": "xx"}, settlement_date=None)
    problem = client.post("/api/v1/referrals", json=bad, headers=auth(token)).get_json()
    paths = {e["path"] for e in problem["errors"]}
    assert paths == {"participant.municipality", "participant.language", "settlement_date"}


def test_malformed_json_and_wrong_content_type_are_refused(client):
    token = f.api_token(f.municipality("4601"))
    broken = client.post("/api/v1/referrals", data=b"{not json", headers=auth(token), content_type="application/json")
    assert broken.status_code == 400 and broken.mimetype == "application/problem+json"
    form = client.post("/api/v1/referrals", data={"a": "b"}, headers=auth(token))
    assert form.status_code == 415


def test_a_duplicate_needs_confirm_duplicate(client):
    token = f.api_token(f.municipality("4601"))
    assert client.post("/api/v1/referrals", json=body(), headers=auth(token)).status_code == 201
    twice = client.post("/api/v1/referrals", json=body(), headers=auth(token))
    assert twice.status_code == 409 and twice.get_json()["errors"][0]["path"] == "confirm_duplicate"
    # a case system has no box to tick: the answer names the field, not "tick the box"
    assert '"confirm_duplicate": true' in twice.get_json()["detail"] and "Kryss av" not in str(twice.get_json())
    assert client.post("/api/v1/referrals", json=body(confirm_duplicate=True), headers=auth(token)).status_code == 201


def test_no_token_a_wrong_token_and_a_revoked_token_are_401(client):
    admin = f.user(Role.ADMIN, county_number=None)
    token = f.api_token(f.municipality("4601"))
    assert client.get("/api/v1/referrals").status_code == 401
    assert client.get("/api/v1/referrals", headers=auth("vld_wrong")).status_code == 401
    assert client.get("/api/v1/referrals", headers=auth(token)).status_code == 200
    api_tokens.revoke_token(admin, db.session.scalar(select(ApiToken)))
    revoked = client.post("/api/v1/referrals", json=body(), headers=auth(token))
    assert revoked.status_code == 401 and revoked.headers["WWW-Authenticate"].startswith("Bearer")
    assert count() == 0


def test_another_municipality_s_referral_is_404_through_the_api(client):
    w = f.world()
    token = f.api_token(w.other_referrer.municipality)
    assert client.get(f"/api/v1/referrals/{w.own_referral.id}", headers=auth(token)).status_code == 404
    assert client.get(f"/api/v1/referrals/{w.other_referral.id}", headers=auth(token)).status_code == 200
    listing = client.get("/api/v1/referrals", headers=auth(token)).get_json()
    assert [item["id"] for item in listing["items"]] == [w.other_referral.id]
    assert client.get("/api/v1/referrals/99999999999", headers=auth(token)).status_code == 404


def test_tokens_are_stored_only_as_a_hash(app):
    plaintext = f.api_token(f.municipality("4601"))
    stored = db.session.scalar(select(ApiToken))
    assert plaintext not in stored.token_hash and len(stored.token_hash) == 64


def test_admin_creates_a_token_sees_it_once_and_revokes_it(client):
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    bergen = f.municipality("4601")
    oslo = f.municipality("0301")   # Oslo's county has no career centre here: a token there would reach nobody
    refused = client.post("/admin/api-tokens/", data={"municipality_id": oslo.id, "name": "Visma Flyt"})
    assert refused.status_code == 400 and "Fylket til Oslo har ikke noe karrieresenter" in refused.get_data(as_text=True)
    f.centre()
    page = client.post("/admin/api-tokens/", data={"municipality_id": bergen.id, "name": "Visma Flyt"}).get_data(as_text=True)
    token = page.split('<p class="token-once">')[1].split("<")[0]
    assert token.startswith("vld_")
    # How to send it, readable (the placeholder vanished as an HTML tag).
    assert "<code>Authorization: Bearer &lt;nøkkel&gt;</code>" in page
    assert token not in client.get("/admin/api-tokens/").get_data(as_text=True)
    assert client.get("/api/v1/referrals", headers=auth(token)).status_code == 200
    stored = db.session.scalar(select(ApiToken))
    assert client.post(f"/admin/api-tokens/{stored.id}/revoke").status_code == 302
    assert client.get("/api/v1/referrals", headers=auth(token)).status_code == 401


def test_the_token_list_says_who_made_each_token_and_when_it_was_last_used(client, travel_to):
    """Which token is the live one: an administrator revoking the old token of a case system that moved to a new
    one could not tell them apart."""
    import html
    import re

    travel_to(f.oslo(2027, 1, 12, 9, 0))
    admin = f.user(Role.ADMIN, county_number=None, name="Drift Fylke")
    f.login(client, admin)
    f.centre()
    bergen = f.municipality("4601")
    for name in ("Gammel Flyt", "Ny Flyt"):
        page = client.post("/admin/api-tokens/", data={"municipality_id": bergen.id, "name": name}).get_data(as_text=True)
        if name == "Ny Flyt":
            token = page.split('<p class="token-once">')[1].split("<")[0]

    def row(name: str) -> str:
        page = html.unescape(client.get("/admin/api-tokens/").get_data(as_text=True))
        found = re.search(rf"<td>{name}</td>.*?</tr>", page, re.S).group(0)
        return " ".join(re.sub(r"<[^>]+>", " ", found).split())

    assert "av Drift Fylke" in row("Ny Flyt") and "Aldri brukt" in row("Ny Flyt")
    assert client.get("/api/v1/referrals", headers=auth(token)).status_code == 200
    assert "tir. 12. jan. 2027, 09:00" in row("Ny Flyt") and "Aldri brukt" in row("Gammel Flyt")
    # Recorded once every few minutes, not written by every request; then again.
    travel_to(f.oslo(2027, 1, 12, 9, 3))
    client.get("/api/v1/referrals", headers=auth(token))
    assert "09:00" in row("Ny Flyt")
    travel_to(f.oslo(2027, 1, 12, 10, 30))
    client.get("/api/v1/referrals", headers=auth(token))
    f.login(client, admin)   # an hour and a half later: signed out for being idle
    assert "tir. 12. jan. 2027, 10:30" in row("Ny Flyt")
    # A wrong token records nothing.
    assert client.get("/api/v1/referrals", headers=auth(token + "x")).status_code == 401
    assert "Aldri brukt" in row("Gammel Flyt")


def test_a_token_needs_a_name_and_a_municipality(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    response = client.post("/admin/api-tokens/", data={"municipality_id": 0, "name": ""})
    assert response.status_code == 400 and db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    # A municipality no row can be ("abc" read "Invalid Choice: could not coerce"; a huge number gave a 500).
    for nonsense in ("abc", "99999999999999999999", "-4"):
        response = client.post("/admin/api-tokens/", data={"municipality_id": nonsense, "name": "Flyt"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "Velg kommunen nøkkelen gjelder for." in page, nonsense
        assert "coerce" not in page


def test_openapi_document_is_generated_from_the_models(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/v1/referrals", "/api/v1/referrals/{referral_id}"}
    schemas = doc["components"]["schemas"]
    assert "participant" in schemas["ReferralIn"]["properties"]
    assert schemas["ParticipantIn"]["properties"]["language"]["pattern"]
    assert "Problem" in schemas


def test_a_retry_that_commits_between_look_up_and_duplicate_check_gets_the_first_result(app, monkeypatch):
    """The interleaving behind the race, made deterministic: the key look-up misses once."""
    from guidance.services import referrals
    from guidance.services.referrals import ReferralData

    referrer = f.user(Role.REFERRER)
    data = lambda: ReferralData(name="Olena Kovalenko", municipality_id=referrer.municipality_id,  # noqa: E731
                                settlement_date=local_today(), language="uk")
    first = referrals.submit_referral(None, data(), referring=referrer.municipality, idempotency_key="k", fingerprint="x")
    real, calls = referrals._by_idempotency_key, []

    def miss_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(referrals, "_by_idempotency_key", miss_once)
    again = referrals.submit_referral(None, data(), referring=referrer.municipality, idempotency_key="k", fingerprint="x")
    assert again.created is False and again.referral.id == first.referral.id and count() == 1


def test_each_token_has_its_own_rate_limit_and_a_refused_request_stores_nothing(app, client):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    busy, other = f.api_token(f.municipality("4601")), f.api_token(f.municipality("4602"))
    statuses = [client.get("/api/v1/referrals", headers=auth(busy)).status_code for _ in range(2)]
    statuses.append(client.post("/api/v1/referrals", json=body(), headers=auth(busy)).status_code)
    refused = client.post("/api/v1/referrals", json=body(), headers=auth(busy, **{"Idempotency-Key": "k-1"}))
    assert statuses + [refused.status_code] == [200, 200, 201, 429]
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["status"] == 429 and problem["type"].endswith("rate_limited") and "Retry-After" in problem["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    assert count() == 1  # the refused referral was not stored
    # another municipality's token, possibly behind the same address, is not slowed down
    assert client.post("/api/v1/referrals", json=body(participant={**body()["participant"], "municipality": "4602"}),
                       headers=auth(other)).status_code == 201
    # a wrong token is refused as unauthorised (401), never mistaken for a busy token (429)
    assert client.get("/api/v1/referrals", headers=auth("not-a-token")).status_code == 401


def test_a_booked_referral_whose_session_is_over_reads_awaiting_outcome_as_the_pages_do(client, travel_to):
    """The API said "booked" for a participant whose only session was yesterday and had no outcome yet, while
    the centre's pages said "the session is over, waiting for the outcome": a case system showed a stale
    "booked" with no next session. `status` stays the stored one (a documented enum); `shown_status` reads
    as the pages do, in the item and in the list."""
    from guidance.models import ReferralStatus

    travel_to(f.oslo(2027, 1, 11, 12))
    w = f.world()
    token = f.api_token(w.own_referral.referring_municipality)
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 13, 9))
    w.own_referral.status = ReferralStatus.BOOKED
    db.session.commit()
    ahead = client.get(f"/api/v1/referrals/{w.own_referral.id}", headers=auth(token)).get_json()
    assert ahead["status"] == "booked" and ahead["shown_status"] == "booked" and ahead["next_session"]

    travel_to(f.oslo(2027, 1, 14, 12))   # the day after: no outcome recorded
    over = client.get(f"/api/v1/referrals/{w.own_referral.id}", headers=auth(token)).get_json()
    assert over["status"] == "booked" and over["shown_status"] == "awaiting_outcome"
    listing = client.get("/api/v1/referrals", headers=auth(token)).get_json()
    item = next(i for i in listing["items"] if i["id"] == w.own_referral.id)
    assert item["shown_status"] == "awaiting_outcome"
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ReferralOut"]
    assert "awaiting_outcome" in str(schema["properties"]["shown_status"])


def test_the_list_reads_the_same_number_of_queries_for_three_referrals_as_for_nine(client):
    """A case system reads a hundred referrals a page: each one's next session and participant were read with
    queries of their own."""
    from sqlalchemy import event

    w = f.world()
    token = f.api_token(w.own_referral.referring_municipality)
    day = f.future_weekday(2)

    def add(n: int) -> None:
        for i in range(n):
            referral = f.referral(name=f"Deltaker {i}")
            f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, 8 + i % 6))

    def queries() -> tuple[int, int]:
        statements = []

        def count(*_args, **_kwargs):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            listing = client.get("/api/v1/referrals?per_page=100", headers=auth(token)).get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert all(item["next_session"] for item in listing["items"] if item["reference"] != w.own_referral.reference)
        return len(statements), listing["total"]

    client.get("/api/v1/referrals", headers=auth(token))   # the token's use recorded (once every few minutes)
    add(2)
    few, total = queries()
    assert total == 3
    add(6)
    many, total = queries()
    assert total == 9 and many == few, (few, many)


def test_a_refused_referral_lists_every_problem_at_once_in_one_language(client):
    """A case system's developer fixed the name and the date, and only then heard that the language was unknown;
    the messages mixed pydantic's English ("String should have at least 1 character") with bokmål."""
    token = f.api_token(f.municipality("4601"))
    bad = body(participant={"name": "", "municipality": "4601", "language": "xx"}, settlement_date="31.12.2026")
    problem = client.post("/api/v1/referrals", json=bad, headers=auth(token)).get_json()
    messages = {e["path"]: e["message"] for e in problem["errors"]}
    assert set(messages) == {"participant.name", "settlement_date", "participant.language"}
    assert messages["participant.name"] == "Must not be empty."   # the API's words, not pydantic's
    assert messages["settlement_date"] == "A date as YYYY-MM-DD."
    # the intake's rule, in words for a case system (it has no list to choose from)
    assert messages["participant.language"].startswith("Unknown language code: use the ISO 639-1 code")
    assert problem["title"] == "Invalid referral"

    answer = client.post("/api/v1/referrals", json=bad, headers=auth(token, **{"Accept-Language": "nb"}))
    norsk = answer.get_json()
    assert answer.headers["Content-Language"] == "nb"
    messages = {e["path"]: e["message"] for e in norsk["errors"]}
    assert messages["participant.name"] == "Kan ikke være tom." and messages["settlement_date"] == "En dato som ÅÅÅÅ-MM-DD."
    assert messages["participant.language"].startswith("Ukjent språkkode")
    assert norsk["title"] == "Ugyldig henvisning"   # the whole answer in one language, and said so
    assert count() == 0

    # "dari" against the code's form: the answer says which codes, not a regular expression.
    dari = client.post("/api/v1/referrals", json=body(participant={**body()["participant"], "language": "dari"}),
                       headers=auth(token)).get_json()
    [error] = dari["errors"]
    assert error["path"] == "participant.language" and "prs for Dari" in error["message"] and "^[a-z]" not in error["message"]
    # A JSON list is no referral: one problem, not a field-by-field flood.
    assert len(client.post("/api/v1/referrals", json=[1], headers=auth(token)).get_json()["errors"]) == 1


def test_a_window_with_another_legal_basis_is_refused_not_dropped(client):
    """`window_months` under the Integration Act was silently dropped: the case system believed it was kept."""
    token = f.api_token(f.municipality("4601"))
    response = client.post("/api/v1/referrals", json=body(window_months=6), headers=auth(token))
    assert response.status_code == 422 and count() == 0
    assert [e["path"] for e in response.get_json()["errors"]] == ["window_months"]
    temporary = body(legal_basis="temporary_act", window_months=6)
    created = client.post("/api/v1/referrals", json=temporary, headers=auth(token))
    assert created.status_code == 201 and created.get_json()["window_months"] == 6
    # an accepted request is not told to retry (the limiter's window is in its X-RateLimit headers)
    assert "Retry-After" not in created.headers and "X-RateLimit-Remaining" in created.headers


def test_a_case_system_polls_for_the_referrals_that_changed(client, travel_to):
    from guidance.models import Session
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import draft_run, draft_session

    """A case system following 300 referrals read every page each time: `updated_since` gives the ones whose
    status, details or sessions changed (a booking moves a referral without touching its own row)."""
    travel_to(f.oslo(2027, 1, 4, 9))
    w = f.world()
    token = f.api_token(w.own_referral.referring_municipality)
    quiet = f.referral(name="Sara Haddad")
    travel_to(f.oslo(2027, 1, 6, 9))
    first = draft_run(w.lead, today=dt.date(2027, 1, 6))
    draft_session(first, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 20, 9))
    planning_service.publish_run(w.lead, first, confirm_stale=True)   # booked on the 6th
    db.session.commit()
    def changed(since: str) -> set[int]:
        response = client.get("/api/v1/referrals", query_string={"updated_since": since}, headers=auth(token))
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert changed("2027-01-05T12:00:00+01:00") == {w.own_referral.id}   # booked on the 6th
    assert changed("2027-01-01T00:00:00Z") >= {w.own_referral.id, quiet.id}
    assert changed("2027-01-07T00:00:00Z") == set()
    # A publication that keeps a session publishes it again (a new row): no change to the referral. A move is.
    from guidance.services import plan_edits

    travel_to(f.oslo(2027, 1, 8, 9))
    run = draft_run(w.lead, today=dt.date(2027, 1, 8))
    booked = db.session.scalars(select(Session).where(Session.status == "booked")).one()
    draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 20, 9), uid=booked.uid)
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    assert changed("2027-01-08T07:00:00Z") == set()
    travel_to(f.oslo(2027, 1, 8, 11))
    kept = db.session.scalars(select(Session).where(Session.status == "booked")).one()
    plan_edits.move_published_session(w.lead, kept, start=dt.datetime(2027, 1, 21, 13, 0), room_id=kept.room_id,
                                      counsellor_id=kept.counsellor_id, interpreter_id=None, interpreter_mode=None)
    db.session.commit()
    response = client.get("/api/v1/referrals", query_string={"updated_since": "2027-01-08T09:30:00Z"}, headers=auth(token))
    [item] = response.get_json()["items"]
    assert item["id"] == w.own_referral.id and item["updated_at"] >= "2027-01-08T10:00"   # the move's time, in UTC
    naive = client.get("/api/v1/referrals", query_string={"updated_since": "2027-01-05T12:00:00"}, headers=auth(token))
    assert naive.status_code == 400
    assert naive.get_json()["errors"] == [{"path": "query.updated_since",
                                           "message": "An instant with its offset, like 2027-01-08T06:00:00Z."}]
    # each wrong parameter is named (one sentence had listed every rule)
    both = client.get("/api/v1/referrals", query_string={"page": "0", "status": "lost"}, headers=auth(token))
    assert {e["path"] for e in both.get_json()["errors"]} == {"query.page", "query.status"}
