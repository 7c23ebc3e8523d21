"""Local accounts: a user changes their own password, and resets a forgotten one by e-mail."""
from __future__ import annotations

import pytest
import datetime as dt
import re

from sqlalchemy import select

from guidance import clock
from guidance.extensions import db
from guidance.models import AuditEvent, OutboxMessage, Role, UserIdentity
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

NEW = "a brand new passphrase 2026"


def change(client, current=f.PASSWORD, new=NEW, repeat=None):
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                   "repeat_password": new if repeat is None else repeat})


def test_a_user_changes_their_password_and_logs_in_with_the_new_one(client):
    person = f.user(Role.COUNSELLOR)
    f.login(client, person)
    response = change(client)
    assert response.status_code == 302
    client.post("/logout")
    assert f.login(client, person).status_code == 400  # the old password no longer works
    assert f.login(client, person, NEW).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_changed"))
    assert event.actor_id == person.id and event.object_id == person.id


def test_the_current_password_is_required(client):
    person = f.user(Role.LEAD)
    f.login(client, person)
    response = change(client, current="not my password")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Det nåværende passordet er feil." in page
    assert 'aria-describedby="current_password-error"' in page
    client.post("/logout")
    assert f.login(client, person).status_code == 302  # unchanged


def test_a_short_or_mistyped_new_password_gets_a_message_per_field(client):
    person = f.user(Role.REFERRER)
    f.login(client, person)
    short = change(client, new="too short")
    assert short.status_code == 400 and "Det nye passordet må ha minst 12 tegn." in short.get_data(as_text=True)
    mistyped = change(client, repeat=NEW + "x")
    assert mistyped.status_code == 400 and "De to nye passordene er ikke like." in mistyped.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_changed")) is None


def test_a_common_new_password_is_refused_however_it_is_set(client):
    """The rule that refuses "password1234" when an administrator creates a user holds for the
    user's own change and for the reset link too (a referrer sees refugees' data and has no code)."""
    person = f.user(Role.REFERRER, name="Kari Nordmann")
    f.login(client, person)
    for weak in ("password1234", "Kari Nordmann1", "aaaaaaaaaaaa"):
        response = change(client, new=weak)
        assert response.status_code == 400 and "for lett å gjette" in response.get_data(as_text=True), weak
    client.post("/logout")
    client.post("/account/forgot-password", data={"email": person.email})
    link = _link(db.session.scalar(select(OutboxMessage)))
    weak = client.post(link, data={"new_password": "password1234", "repeat_password": "password1234"})
    assert weak.status_code == 400 and "for lett å gjette" in weak.get_data(as_text=True)
    assert f.login(client, person, "password1234").status_code == 400
    assert client.post(link, data={"new_password": NEW, "repeat_password": NEW}).status_code == 302  # still usable


def test_a_user_of_the_identity_provider_has_no_password_here(client):
    person = f.user(Role.LEAD)
    f.login(client, person)  # signed in, then connected to the provider (its password is refused at login)
    db.session.add(UserIdentity(user=person, provider="entra", issuer="https://login.example", subject="abc"))
    db.session.commit()
    assert client.get("/account/password").status_code == 404
    assert "Endre passord" not in client.get("/").get_data(as_text=True)


def _link(message: OutboxMessage) -> str:
    return re.search(r"http://\S+/account/reset-password/\S+", message.body).group(0).split("127.0.0.1:5000")[-1]


def test_a_forgotten_password_is_reset_by_an_e_mailed_link_that_works_once(client):
    person = f.user(Role.LEAD)
    response = client.post("/account/forgot-password", data={"email": person.email.upper()})
    assert response.status_code == 200 and "Sjekk e-posten din" in response.get_data(as_text=True)
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.to_address == person.email and message.subject == "Tilbakestill passordet ditt i Veiled"
    link = _link(message)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"new_password": NEW, "repeat_password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert f.login(client, person, NEW).status_code == 302
    client.post("/logout")
    # used once: the same link is refused, and the password stays
    again = client.post(link, data={"new_password": "yet another passphrase", "repeat_password": "yet another passphrase"})
    assert again.status_code == 400 and "Denne lenken er ikke lenger gyldig" in again.get_data(as_text=True)
    assert f.login(client, person, NEW).status_code == 302
    assert [e for e in db.session.scalars(select(AuditEvent.action)) if "password" in e] == [
        "user.password_reset_requested", "user.password_reset"]


def test_the_answer_says_nothing_about_whether_the_address_exists(client):
    person = f.user(Role.LEAD)
    known = client.post("/account/forgot-password", data={"email": person.email}).get_data(as_text=True)
    unknown = client.post("/account/forgot-password", data={"email": "nobody@example.no"}).get_data(as_text=True)
    assert known == unknown
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_a_reset_link_expires_within_an_hour(client, travel_to):
    person = f.user(Role.COUNSELLOR)
    start = clock.now()
    travel_to(start)
    client.post("/account/forgot-password", data={"email": person.email})
    link = _link(db.session.scalar(select(OutboxMessage)))
    travel_to(start + dt.timedelta(minutes=59))
    assert client.get(link).status_code == 200
    travel_to(start + dt.timedelta(minutes=61))
    assert client.get(link).status_code == 400
    assert client.post(link, data={"new_password": NEW, "repeat_password": NEW}).status_code == 400
    assert f.login(client, person).status_code == 302  # the old password still works


def test_a_forged_link_is_refused(client):
    person = f.user(Role.ADMIN)
    client.post("/account/forgot-password", data={"email": person.email})
    link = _link(db.session.scalar(select(OutboxMessage)))
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.post(forged, data={"new_password": NEW, "repeat_password": NEW}).status_code == 400
    assert f.login(client, person).status_code == 302


def test_no_reset_link_for_an_account_of_the_identity_provider(client):
    person = f.user(Role.LEAD)
    db.session.add(UserIdentity(user=person, provider="entra", issuer="https://login.example", subject="xyz"))
    db.session.commit()
    response = client.post("/account/forgot-password", data={"email": person.email})
    assert response.status_code == 200
    assert db.session.scalars(select(OutboxMessage)).all() == []
