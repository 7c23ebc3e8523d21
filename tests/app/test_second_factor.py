"""The second factor for local-password sign-in (issue 26, item 3): leads and admins enter a code from
an authenticator app (or a one-time recovery code) after the password; sessions and idle minutes."""
from __future__ import annotations

import pytest
import datetime as dt
import json
import re

import pyotp
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, County, Role, User, UserSession
from guidance.services import second_factor
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

NOON = dt.datetime(2027, 3, 10, 11, 0, tzinfo=dt.timezone.utc)


def password_step(client, person, password=f.PASSWORD):
    return client.post("/login", data={"email": person.email, "password": password})


def code_step(client, code):
    return client.post("/login/code", data={"code": code})


def code_at(instant: dt.datetime, secret: str = f.TOTP_SECRET) -> str:
    """What the person's authenticator app shows at `instant` (computed by pyotp itself)."""
    return pyotp.TOTP(secret).at(instant)


def actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id).order_by(AuditEvent.id)))


# --- the code step -------------------------------------------------------------------------------

def test_a_lead_with_a_password_needs_the_code_after_the_password(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    response = password_step(client, lead)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/queue/").status_code == 302  # not signed in yet
    page = client.get("/login/code").get_data(as_text=True)
    assert "<h1>Skriv inn koden</h1>" in page and 'autocomplete="one-time-code"' in page
    assert re.search(r'<input[^>]*id="code"[^>]*autofocus|<input[^>]*autofocus[^>]*id="code"', page)   # six tabs away
    assert code_step(client, code_at(NOON)).headers["Location"] == "/"
    assert client.get("/queue/").status_code == 200
    assert actions(lead)[-2:] == ["auth.code_accepted", "auth.logged_in"]


def test_the_code_of_the_previous_time_step_is_accepted_but_not_an_older_one(client, travel_to):
    travel_to(NOON)
    admin = f.user(Role.ADMIN, county_number=None)
    password_step(client, admin)
    assert code_step(client, code_at(NOON - dt.timedelta(seconds=60))).status_code == 400
    assert code_step(client, code_at(NOON - dt.timedelta(seconds=30))).status_code == 302


def test_a_wrong_code_is_refused_with_a_message_and_audited(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    password_step(client, lead)
    response = code_step(client, "123456" if code_at(NOON) != "123456" else "654321")
    assert response.status_code == 400
    assert "Koden er feil" in response.get_data(as_text=True)
    assert "auth.code_failed" in actions(lead)
    assert client.get("/queue/").status_code == 302


def test_a_used_code_is_refused_the_second_time(app, client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    password_step(client, lead)
    assert code_step(client, code_at(NOON)).status_code == 302
    other = app.test_client()
    password_step(other, lead)
    response = code_step(other, code_at(NOON))
    assert response.status_code == 400
    assert "allerede brukt" in response.get_data(as_text=True)
    detail = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "auth.code_failed")).all()
    assert [json.loads(d) for d in detail] == [{"reason": "reused"}]
    # The next code from the app works.
    travel_to(NOON + dt.timedelta(seconds=30))
    assert code_step(other, code_at(NOON + dt.timedelta(seconds=30))).status_code == 302


def test_a_recovery_code_works_once(app, client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    password_step(client, lead)
    assert code_step(client, f.RECOVERY_CODES[3].upper()).status_code == 302  # typed in capitals: fine
    assert "auth.recovery_code_used" in actions(lead)
    other = app.test_client()
    password_step(other, lead)
    assert code_step(other, f.RECOVERY_CODES[3]).status_code == 400
    assert second_factor.remaining_recovery_codes(lead) == 9


def test_ten_wrong_codes_lock_the_code_step_for_a_quarter_of_an_hour(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    password_step(client, lead)
    for _ in range(second_factor.MAX_FAILURES):
        assert code_step(client, "000000" if code_at(NOON) != "000000" else "111111").status_code == 400
    response = code_step(client, code_at(NOON))  # even the right code
    assert response.status_code == 400 and "For mange feil koder" in response.get_data(as_text=True)
    later = NOON + dt.timedelta(minutes=16)
    travel_to(later)
    password_step(client, lead)
    assert code_step(client, code_at(later)).status_code == 302


def test_the_code_step_times_out(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    password_step(client, lead)
    travel_to(NOON + dt.timedelta(minutes=6))
    response = code_step(client, code_at(NOON + dt.timedelta(minutes=6)))
    assert response.headers["Location"] == "/login"
    assert client.get("/queue/").status_code == 302


def test_a_counsellor_without_a_second_factor_logs_in_with_the_password_only(client):
    counsellor = f.user(Role.COUNSELLOR)
    assert password_step(client, counsellor).headers["Location"] == "/"


# --- enrolment ---------------------------------------------------------------------------------

def test_a_lead_without_a_second_factor_sets_it_up_before_any_page(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    lead.totp_secret = lead.totp_enabled_at = None
    db.session.commit()
    assert password_step(client, lead).headers["Location"] == "/"
    assert client.get("/queue/").headers["Location"] == "/account/second-factor/enrol"
    page = client.get("/account/second-factor/enrol")
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "<h1>Sett opp innlogging i to trinn</h1>" in html
    assert "<svg" in html and "<title>" in html  # the QR code, with a text alternative
    assert 'class="qr-code"' in html
    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert 'for="code"' in html  # the code field has its label
    # no menu while every entry would lead back here
    assert 'class="wrap main-nav"' not in html and 'href="/queue/"' not in html

    wrong = client.post("/account/second-factor/enrol", data={"code": "12345"})
    assert wrong.status_code == 400 and "Koden er feil" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert not second_factor.enrolled(db.session.get(User, lead.id))

    done = client.post("/account/second-factor/enrol", data={"code": code_at(NOON, secret)})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    queue = client.get("/queue/")
    assert queue.status_code == 200 and 'class="wrap main-nav"' in queue.get_data(as_text=True)
    # Shown once: the enrolment page now leads to the status, and the secret is stored sealed.
    again = client.get("/account/second-factor/enrol")
    assert again.headers["Location"] == "/account/second-factor"
    status = client.get("/account/second-factor").get_data(as_text=True)
    assert secret not in status and codes[0] not in status
    db.session.expire_all()
    stored = db.session.get(User, lead.id)
    assert secret not in stored.totp_secret and second_factor.unseal(stored.totp_secret) == secret
    assert "auth.second_factor_enrolled" in actions(lead)
    assert not any(secret in (d or "") for d in db.session.scalars(select(AuditEvent.detail)))
    # A recovery code shown at enrolment signs in.
    client.post("/logout")
    password_step(client, lead)
    assert code_step(client, codes[0]).status_code == 302


def test_a_counsellor_may_turn_on_the_second_factor_and_then_needs_it(client):
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    assert "Innlogging i to trinn er av" in client.get("/account/second-factor").get_data(as_text=True)
    assert len(f.enrol_through_page(client)) == 10
    client.post("/logout")
    assert password_step(client, counsellor).headers["Location"] == "/login/code"


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "10 ubrukte gjenopprettingskoder" in page
    assert "<h2>Innlogginger</h2>" in page and "<h2>Timer</h2>" not in page  # sign-in sessions, not guidance sessions
    refused = client.post("/account/second-factor", data={"code": f.RECOVERY_CODES[0]})
    assert refused.status_code == 400  # a recovery code cannot make new ones
    later = NOON + dt.timedelta(seconds=30)
    travel_to(later)
    made = client.post("/account/second-factor", data={"code": code_at(later)})
    assert made.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", made.get_data(as_text=True))
    assert len(codes) == 10
    assert "auth.recovery_codes_regenerated" in actions(lead)
    client.post("/logout")
    password_step(client, lead)
    assert code_step(client, f.RECOVERY_CODES[1]).status_code == 400  # the old ones stopped working
    assert code_step(client, codes[5]).status_code == 302


# --- a new phone ------------------------------------------------------------------------------

def test_a_lead_moves_to_a_new_phone_with_a_recovery_code_and_the_old_app_stops(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    refused = client.post("/account/second-factor/move", data={"move-code": "123456"})
    assert refused.status_code == 400 and "move-code" in refused.get_data(as_text=True)
    assert client.get("/account/second-factor/enrol").headers["Location"] == "/account/second-factor"
    # The old phone is lost: a recovery code proves it is the lead.
    started = client.post("/account/second-factor/move", data={"move-code": f.RECOVERY_CODES[2]})
    assert started.headers["Location"] == "/account/second-factor/enrol"
    page = client.get("/account/second-factor/enrol").get_data(as_text=True)
    new_secret = re.search(r'<code class="secret" lang="en">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert new_secret != f.TOTP_SECRET
    later = NOON + dt.timedelta(seconds=30)
    travel_to(later)
    done = client.post("/account/second-factor/enrol", data={"code": code_at(later, new_secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert "auth.second_factor_move_started" in actions(lead) and "auth.second_factor_moved" in actions(lead)
    client.post("/logout")
    travel_to(NOON + dt.timedelta(minutes=2))
    password_step(client, lead)
    assert code_step(client, code_at(NOON + dt.timedelta(minutes=2))).status_code == 400  # the old app
    assert code_step(client, code_at(NOON + dt.timedelta(minutes=2), new_secret)).status_code == 302


def test_the_new_phone_step_expires_and_the_old_app_keeps_working_meanwhile(client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    later = NOON + dt.timedelta(seconds=30)
    travel_to(later)
    assert client.post("/account/second-factor/move", data={"move-code": code_at(later)}).status_code == 302
    travel_to(NOON + dt.timedelta(minutes=11))  # not confirmed within ten minutes
    assert client.get("/account/second-factor/enrol").headers["Location"] == "/account/second-factor"
    db.session.expire_all()
    assert second_factor.unseal(db.session.get(User, lead.id).totp_secret) == f.TOTP_SECRET


# --- an administrator's reset ------------------------------------------------------------------

def test_an_admin_resets_a_lost_second_factor_and_the_lead_sets_up_a_new_one(app, client, travel_to):
    travel_to(NOON)
    w = f.world()
    lead_browser = app.test_client()
    f.login(lead_browser, w.lead)
    f.login(client, w.admin)
    page = client.get(f"/admin/users/{w.lead.id}").get_data(as_text=True)
    assert "Tilbakestill innlogging i to trinn" in page
    response = client.post(f"/admin/users/{w.lead.id}/second-factor/reset")
    assert response.headers["Location"] == f"/admin/users/{w.lead.id}"
    db.session.expire_all()
    lead = db.session.get(User, w.lead.id)
    assert not second_factor.enrolled(lead) and second_factor.remaining_recovery_codes(lead) == 0
    reset = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.second_factor_reset"))
    assert reset.actor_id == w.admin.id and reset.object_id == w.lead.id
    assert lead_browser.get("/queue/").status_code == 302  # the lead's sessions ended
    travel_to(NOON + dt.timedelta(minutes=1))
    assert password_step(lead_browser, lead).headers["Location"] == "/"
    assert lead_browser.get("/queue/").headers["Location"] == "/account/second-factor/enrol"


def test_only_an_admin_resets_a_second_factor(app, client):
    w = f.world()
    f.login(client, w.other_county_lead)
    assert client.post(f"/admin/users/{w.lead.id}/second-factor/reset").status_code == 403
    db.session.expire_all()
    assert second_factor.enrolled(db.session.get(User, w.lead.id))


# --- sessions --------------------------------------------------------------------------------------

def test_log_out_on_every_device_ends_the_other_session_and_is_audited(app, client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    phone = app.test_client()
    f.login(phone, lead)
    travel_to(NOON + dt.timedelta(minutes=1))
    f.login(client, lead)
    assert phone.get("/queue/").status_code == 200
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page
    client.post("/logout/everywhere")
    assert phone.get("/queue/").status_code == 302
    assert db.session.scalar(select(UserSession).where(UserSession.ended_at.is_(None))) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.logged_out_everywhere"))
    assert event.actor_id == lead.id and json.loads(event.detail) == {"sessions": 2}


def test_idle_minutes_come_from_the_county_setting(app, client, travel_to):
    travel_to(NOON)
    lead = f.user(Role.LEAD)
    f.login(client, lead)
    # The lead sets 20 minutes on the county settings page.
    county = lead.county
    page = client.get(f"/setup/counties/{county.id}/settings").get_data(as_text=True)
    assert 'name="session_idle_minutes"' in page
    form = {"individual_minutes": 90, "group_minutes": 90, "group_min_size": 3, "group_max_size": 8,
            "max_travel_minutes": 150, "booking_answer_hours": 48, "closure_days": "", "budget_month": "",
            "session_idle_minutes": 20}
    bad = client.post(f"/setup/counties/{county.id}/settings", data={**form, "session_idle_minutes": 1})
    assert bad.status_code == 400
    assert client.post(f"/setup/counties/{county.id}/settings", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(County, county.id).session_idle_minutes == 20
    travel_to(NOON + dt.timedelta(minutes=19))
    assert client.get("/queue/").status_code == 200
    travel_to(NOON + dt.timedelta(minutes=40))
    assert client.get("/queue/").status_code == 302
    assert db.session.scalar(select(UserSession.end_reason)) == "idle"


def test_without_a_county_setting_the_installation_default_holds(app, client, travel_to):
    travel_to(NOON)
    counsellor = f.user(Role.COUNSELLOR)
    f.login(client, counsellor)
    travel_to(NOON + dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1))
    assert client.get("/week/").status_code == 200


# --- the demo -----------------------------------------------------------------------------------

def test_the_demo_lead_signs_in_with_the_code_flask_demo_code_prints(app, client):
    from guidance.services.demo import seed_demo

    demo = seed_demo("46", referrals=5, password="demo-password-long-1")
    email = demo.credentials["lead"][0]
    assert demo.second_factor["lead"].startswith("otpauth://totp/Veiled:")
    code = app.test_cli_runner().invoke(args=["demo-code", email]).output.strip()
    assert re.fullmatch(r"\d{6}", code)
    client.post("/login", data={"email": email, "password": "demo-password-long-1"})
    answer = code_step(client, code)
    assert answer.status_code == 302
    # the demo's lead has recovery codes like any enrolled lead: no "few codes left" at every sign-in
    home = client.get(answer.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "gjenopprettingskode" not in home and "recovery code" not in home
    assert app.test_cli_runner().invoke(args=["demo-code", "someone@example.no"]).exit_code != 0


def test_the_demo_admin_signs_in_with_a_printed_recovery_code(app, client):
    from guidance.services.demo import seed_demo

    demo = seed_demo("46", referrals=5, password="demo-password-long-1")
    codes = demo.recovery_codes["admin"]
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post("/login", data={"email": demo.credentials["admin"][0], "password": "demo-password-long-1"})
    assert code_step(client, codes[0]).status_code == 302


def test_the_code_step_is_rate_limited_like_the_login(app_config, database_url):
    from guidance import create_app
    from guidance.extensions import limiter

    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    app = create_app(app_config)
    with app.app_context():
        from tests.conftest import _empty_tables

        limiter.reset()
        client = app.test_client()
        try:
            lead = f.user(Role.LEAD)
            client.post("/login", data={"email": lead.email, "password": f.PASSWORD})
            codes = [code_step(client, "999999").status_code for _ in range(4)]
            assert codes == [400, 400, 400, 429]
        finally:
            db.session.remove()
            _empty_tables(db)  # this app is not the `app` fixture, which empties them otherwise
