"""Sign-in sessions are revocable on the server and end when idle (issue 25, item 3)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from guidance import clock
from guidance.extensions import db
from guidance.models import Role, UserSession
from guidance.services import accounts
from tests.app import factories as f

PAGE = "/week/"


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def opens(browser, path: str = PAGE) -> bool:
    response = browser.get(path)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_a_cookie_copied_before_logout_no_longer_opens_a_page(app, client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    copy = copy_of(app, client)
    assert opens(copy)
    client.post("/logout")
    response = copy.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(UserSession.end_reason)) == "logout"


def test_logout_ends_only_this_browser(app, client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    other = app.test_client()
    f.login(other, counsellor)
    client.post("/logout")
    assert opens(other)


def test_log_out_everywhere_ends_every_browser_of_the_user(app, client):
    counsellor, colleague = f.user(Role.COUNSELLOR), f.user(Role.COUNSELLOR)
    phone, desk, theirs = app.test_client(), app.test_client(), app.test_client()
    for browser, person in ((phone, counsellor), (desk, counsellor), (theirs, colleague)):
        f.login(browser, person)
    page = desk.get(PAGE).get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page
    response = desk.post("/logout/everywhere")
    assert response.status_code == 302
    assert not opens(phone) and not opens(desk)
    assert opens(theirs)


def test_reactivating_a_user_does_not_revive_old_cookies(app, client):
    admin, counsellor = f.user(Role.ADMIN, county_number=None), f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    accounts.set_active(admin, counsellor, False)
    db.session.commit()
    assert not opens(client)
    accounts.set_active(admin, counsellor, True)
    db.session.commit()
    assert not opens(client)
    f.login(client, counsellor)
    assert opens(client)


def test_a_new_password_ends_the_users_sessions(app, client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    counsellor.set_password("a completely new passphrase")
    db.session.commit()
    assert not opens(client)


def test_an_idle_session_expires_and_an_active_one_does_not(app, client, travel_to):
    start = clock.now()
    counsellor = f.user(Role.COUNSELLOR)
    travel_to(start)
    f.login(client, counsellor)
    busy = app.test_client()
    f.login(busy, counsellor)
    for minutes in (50, 100):  # the busy browser comes back within the hour
        travel_to(start + dt.timedelta(minutes=minutes))
        assert opens(busy)
    assert not opens(client)  # 100 minutes without a request
    travel_to(start + dt.timedelta(minutes=100 + app.config["SESSION_IDLE_MINUTES"] + 1))
    assert not opens(busy)


def test_a_session_ends_after_the_longest_lifetime_however_busy(app, client, travel_to):
    start = clock.now()
    counsellor = f.user(Role.COUNSELLOR)
    travel_to(start)
    f.login(client, counsellor)
    minutes = 0
    while minutes < app.config["SESSION_MAX_HOURS"] * 60 - 45:
        minutes += 45
        travel_to(start + dt.timedelta(minutes=minutes))
        assert opens(client)
    travel_to(start + dt.timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1))
    assert not opens(client)
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= dt.timedelta(hours=app.config["SESSION_MAX_HOURS"])


def test_typing_in_a_form_keeps_the_session_alive_and_an_ended_one_says_so(app, client, travel_to):
    """keep-alive.js asks /account/alive while someone writes: a counsellor writing a note for longer
    than the idle limit is not signed out under it; once the session has ended the answer is 401."""
    start = clock.now()
    counsellor = f.user(Role.COUNSELLOR)
    travel_to(start)
    f.login(client, counsellor)
    idle = app.config["SESSION_IDLE_MINUTES"]
    for step in (1, 2, 3):   # a ping every idle-10 minutes: three of them span far more than the limit
        travel_to(start + dt.timedelta(minutes=step * (idle - 10)))
        assert client.get("/account/alive").status_code == 204
    assert opens(client)
    travel_to(start + dt.timedelta(minutes=3 * (idle - 10) + idle + 1))
    assert client.get("/account/alive").status_code == 401


def test_the_login_page_after_an_idle_sign_out_says_why_in_the_users_language(app, client, travel_to):
    start = clock.now()
    counsellor = f.user(Role.COUNSELLOR, language="nn")
    travel_to(start)
    f.login(client, counsellor)
    travel_to(start + dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    response = client.post("/account/password", data={"current_password": "x"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert f"Du vart logga ut etter {app.config['SESSION_IDLE_MINUTES']} minutt utan bruk av Veiled." in page
    assert "Det du nettopp skreiv, vart ikkje lagra." in page


def test_a_page_opened_after_signing_out_everywhere_says_so(app, client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    other = copy_of(app, client)
    accounts_out = app.test_client()
    f.login(accounts_out, counsellor)
    from guidance.services import sessions

    with app.test_request_context():
        sessions.log_out_everywhere(counsellor)
    page = client.get(PAGE, follow_redirects=True).get_data(as_text=True)
    assert "Du ble logget ut (for eksempel på alle enheter)." in page
    assert not opens(other)


def test_a_form_sent_after_the_keep_alive_found_the_session_ended_gets_the_login_page_and_why(app, travel_to):
    """The keep-alive saw the session end (signed out on another device) and took the CSRF token with
    it; the note then sent is not "a bad request" but the login page, in the user's language, saying
    the text was not saved."""
    from guidance.services import sessions

    import re

    counsellor = f.user(Role.COUNSELLOR, language="nn")
    browser = app.test_client()
    f.login(browser, counsellor)
    app.config["WTF_CSRF_ENABLED"] = True   # from here on as a browser sends forms
    page = browser.get("/account/phone").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with app.test_request_context():
        sessions.log_out_everywhere(counsellor)
    assert browser.get("/account/alive").status_code == 401
    response = browser.post("/account/phone", data={"csrf_token": token, "phone": "+47 400 00 009"},
                            follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.request.path == "/login" and response.status_code == 200
    assert "Du vart logga ut før skjemaet vart sendt." in text and "vart ikkje lagra" in text
    assert counsellor.phone is None
