"""A person the lead entered is invited by e-mail and gets in through the link (services/invitations.py).

Before, counsellors and interpreters the lead typed in had a password nobody knew and nobody was told;
with the county's identity provider their first sign-in was refused because the e-mail had an account.
"""
from __future__ import annotations

import pytest
import datetime as dt
import re

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, CounsellorProfile, Location, OutboxMessage, Role, User
from guidance.services import sheets
from tests.app import factories as f
from tests.app.test_people import _counsellor_form, _interpreter_form

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

LINK = re.compile(r"https?://\S+/account/invitation/(\S+)")


@pytest.fixture(autouse=True)
def mail_server(app_config, inbox):
    """A real SMTP server is set up: invitations are e-mailed (without one the pages say none leaves,
    tests/app/test_no_mail_server.py)."""
    _handler, port = inbox
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)


def _mail_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                   .order_by(OutboxMessage.id)))


def _path(message: OutboxMessage) -> str:
    return "/account/invitation/" + LINK.search(message.body).group(1)


def _new_counsellor(client, w, **overrides) -> CounsellorProfile:
    location = db.session.scalar(select(Location).order_by(Location.id))
    f.login(client, w.lead)
    response = client.post("/people/counsellors/new", data=_counsellor_form(location, **overrides),
                           follow_redirects=True)
    assert response.status_code == 200
    assert "kari@karriere.example.no fikk en invitasjon på e-post" in response.get_data(as_text=True)
    return db.session.scalar(select(CounsellorProfile).join(User).where(User.email == "kari@karriere.example.no"))


def test_a_new_counsellor_is_e_mailed_a_link_that_lets_them_choose_a_password_and_log_in(client, app, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    profile = _new_counsellor(client, w)
    [message] = _mail_to("kari@karriere.example.no")
    # no participant's data, and the county's written form (Vestland: nynorsk) for a user without a choice
    assert message.subject == "Du har fått tilgang til Veiled"
    assert "som karriererettleiar" in message.body and "14 dagar" in message.body
    client.post("/logout")

    anonymous = app.test_client()
    page = anonymous.get(_path(message), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Velkomen til Veiled" in text and "kari@karriere.example.no" in text   # the e-mail's language
    too_short = anonymous.post(_path(message), data={"new_password": "kort", "repeat_password": "kort"})
    assert too_short.status_code == 400
    common = anonymous.post(_path(message), data={"new_password": "aaaaaaaaaaaa", "repeat_password": "aaaaaaaaaaaa"})
    assert common.status_code == 400 and "for lett" in common.get_data(as_text=True)
    saved = anonymous.post(_path(message), data={"new_password": "Fjordhest-Kaffe-2027",
                                                 "repeat_password": "Fjordhest-Kaffe-2027"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/login")
    # the login page goes on in the invitation's language, not the browser's English
    login_page = anonymous.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Passordet er lagra" in login_page and '<html lang="nn">' in login_page

    login = anonymous.post("/login", data={"email": "kari@karriere.example.no", "password": "Fjordhest-Kaffe-2027"})
    assert login.status_code == 302 and anonymous.get("/week/").status_code == 200
    # the link worked once
    assert app.test_client().get(_path(message)).status_code == 400
    db.session.refresh(profile)
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == profile.user.id))][:1] == ["user.invited"]
    # The administrator reads the account's history in words: it read "user.invited", "user.invitation_accepted".
    admin = app.test_client()
    f.login(admin, w.admin)
    history = admin.get(f"/admin/users/{profile.user.id}").get_data(as_text=True)
    history = " ".join(re.sub(r"<[^>]+>", " ", history[history.index('id="history-heading"'):]).split())
    assert "Invitert" in history and "Tok imot invitasjonen" in history
    assert not re.search(r"\b(user|auth)\.[a-z_]+", history), history


def test_the_lead_sees_who_has_not_logged_in_and_can_e_mail_a_new_invitation(client, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    profile = _new_counsellor(client, w)
    page = client.get(f"/people/counsellors/{profile.id}").get_data(as_text=True)
    assert "Kari Nordmann har ikke logget inn ennå" in page and "3. des. 2026" in page
    again = client.post(f"/people/counsellors/{profile.id}/invitation", follow_redirects=True)
    assert "kari@karriere.example.no fikk en invitasjon på e-post" in again.get_data(as_text=True)
    assert len(_mail_to("kari@karriere.example.no")) == 2


def test_an_invitation_expires_after_two_weeks(client, app, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    _new_counsellor(client, w)
    [message] = _mail_to("kari@karriere.example.no")
    travel_to(dt.datetime(2026, 12, 17, 10, 0, tzinfo=dt.timezone.utc))
    expired = app.test_client().get(_path(message))
    assert expired.status_code == 400 and "14 dager" in expired.get_data(as_text=True)


def test_an_interpreter_entered_by_the_lead_is_invited_too(client, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    f.login(client, w.lead)
    response = client.post("/people/interpreters/new", data=_interpreter_form(), follow_redirects=True)
    assert "olena@tolk.example.no fikk en invitasjon" in response.get_data(as_text=True)
    [message] = _mail_to("olena@tolk.example.no")
    assert "som tolk" in message.body


def test_the_workbook_invites_the_accounts_it_makes_and_nobody_else(client, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    location = db.session.scalar(select(Location).order_by(Location.id))
    f.login(client, w.lead)
    book = {"counsellors": [
        ["email", "name", "multicultural", "languages", "mon", "locations", "max_sessions_per_day"],
        ["ny.radgiver@karriere.example.no", "Ny Rådgiver", "yes", "nb", "08:00-15:30", location.name, "4"],
        [w.counsellor.email, w.counsellor.name, "yes", "nb", "08:00-15:30", location.name, "4"],
    ]}
    response = client.post(f"/setup/counties/{w.lead.county_id}/workbook", data={
        "file": (_xlsx(book), "fylke.xlsx")}, content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 ny person fikk en invitasjon" in response.get_data(as_text=True)
    assert len(_mail_to("ny.radgiver@karriere.example.no")) == 1
    assert _mail_to(w.counsellor.email) == []


def _xlsx(book) -> "io.BytesIO":
    import io

    return io.BytesIO(sheets.write_xlsx(book))


def test_an_interpreter_request_link_opens_in_the_interpreters_language_not_the_browsers(app, travel_to):
    from guidance.services import bookings
    from guidance.services.interpreter_bookings.requests import answer_token

    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    w.interpreter.language = None   # follows the county's form, as the request e-mail did: nynorsk
    day = f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10),
                                  interpreter=w.interpreter, interpreter_mode="onsite")
    booking = bookings.new_booking(session)
    db.session.commit()
    link = f"/bookings/confirm/{answer_token(booking)}"
    for browser in ("en-US", "nb-NO", "uk-UA"):
        page = app.test_client().get(link, headers={"Accept-Language": browser})
        assert page.status_code == 200
        assert '<html lang="nn"' in page.get_data(as_text=True), browser
    declined = app.test_client().post(link, data={"answer": "decline", "reason": ""},
                                      headers={"Accept-Language": "en-US"})
    assert declined.status_code == 400 and '<html lang="nn"' in declined.get_data(as_text=True)


def test_the_lead_adds_a_municipalitys_referrer_who_gets_in_through_the_invitation(client, app, travel_to):
    """Onboarding a municipality needed the installation's administrator (the lead got 403)."""
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    f.login(client, w.lead)
    voss = f.municipality("4621")
    refused = client.post("/people/referrers", data={"name": "Nina Voss", "email": "nina@voss.kommune.example.no",
                                                     "municipality_id": str(f.municipality("1804").id)})  # Bodø: Nordland
    assert refused.status_code == 400 and "Velg kommunen henviseren jobber for." in refused.get_data(as_text=True)
    added = client.post("/people/referrers", data={"name": "Nina Voss", "email": "nina@voss.kommune.example.no",
                                                   "municipality_id": str(voss.id)}, follow_redirects=True)
    page = added.get_data(as_text=True)
    assert "nina@voss.kommune.example.no fikk en invitasjon" in page and "Invitert 3. des. 2026" in page
    referrer = f.user_by_email("nina@voss.kommune.example.no")
    assert referrer.role is Role.REFERRER and referrer.municipality_id == voss.id
    [message] = _mail_to("nina@voss.kommune.example.no")
    assert "som henviser i kommunen" in message.body or "som tilvisar i kommunen" in message.body
    client.post("/logout")
    browser = app.test_client()
    browser.post(_path(message), data={"new_password": "Vossevangen-Tog-2027", "repeat_password": "Vossevangen-Tog-2027"})
    assert browser.post("/login", data={"email": "nina@voss.kommune.example.no",
                                        "password": "Vossevangen-Tog-2027"}).status_code == 302
    assert "Tilvisingar frå Voss" in browser.get("/").get_data(as_text=True)   # Voss writes nynorsk
    # another county's lead cannot touch Vestland's referrers
    other = app.test_client()
    f.login(other, w.other_county_lead)
    assert other.post(f"/people/referrers/{referrer.id}/active").status_code == 404
    db.session.refresh(referrer)
    assert referrer.active


def test_the_outbox_page_never_shows_a_link_that_acts_as_its_receiver(client, travel_to):
    """The lead sees every e-mail to the county's staff: a working invitation there let them choose
    the counsellor's password (the review of this change)."""
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    _new_counsellor(client, w)
    [message] = _mail_to("kari@karriere.example.no")
    token = LINK.search(message.body).group(1)
    page = client.get("/outbox/").get_data(as_text=True)
    assert "/account/invitation/" in page and token not in page
    assert "skjult: lenken virker bare for personen den ble sendt til" in page


def test_someone_who_has_logged_in_gets_no_new_invitation(client, app, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    f.login(app.test_client(), w.counsellor)   # the world's counsellor has logged in
    f.login(client, w.lead)
    page = client.get(f"/people/counsellors/{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert "har logget inn i Veiled" in page and "Send en invitasjon" not in page
    refused = client.post(f"/people/counsellors/{w.counsellor.counsellor.id}/invitation", follow_redirects=True)
    assert "har allerede logget inn" in refused.get_data(as_text=True)
    assert _mail_to(w.counsellor.email) == []


def test_a_referrer_an_administrator_switched_off_stays_off_for_the_lead(client, app):
    w = f.world()
    admin = app.test_client()
    f.login(admin, w.admin)
    assert admin.post(f"/admin/users/{w.referrer.id}/active", data={}).status_code == 302
    db.session.refresh(w.referrer)
    assert not w.referrer.active

    f.login(client, w.lead)
    page = client.post(f"/people/referrers/{w.referrer.id}/active", data={"active": "y"},
                       follow_redirects=True).get_data(as_text=True)
    assert "En administrator slo av denne kontoen" in page
    db.session.refresh(w.referrer)
    assert not w.referrer.active
    # One the lead switched off, the lead may switch on again.
    client.post(f"/people/referrers/{w.other_referrer.id}/active", data={})
    client.post(f"/people/referrers/{w.other_referrer.id}/active", data={"active": "y"})
    db.session.refresh(w.other_referrer)
    assert w.other_referrer.active


def test_a_mistyped_referrer_address_is_corrected_before_the_first_login(client, app):
    """ingrid@luster.kommune (no .no) was accepted and invited; the lead could only deactivate the account and
    add another. Now the address is corrected, the invitation goes to it, and the first link stops working."""
    from guidance.services import invitations

    w = f.world()
    f.login(client, w.lead)
    client.post("/people/referrers", data={"name": "Ingrid Sølvberg", "email": "ingrid@luster.kommune",
                                           "municipality_id": f.municipality("4644").id})
    referrer = db.session.scalar(select(User).where(User.email == "ingrid@luster.kommune"))
    first_link = invitations.token(referrer)
    listing = client.get("/people/referrers").get_data(as_text=True)
    assert f'href="/people/referrers/{referrer.id}/email"' in listing
    page = client.post(f"/people/referrers/{referrer.id}/email", data={"email": "ingrid@luster"})
    assert page.status_code == 400 and 'value="ingrid@luster"' in page.get_data(as_text=True)
    assert 'id="email-error"' in page.get_data(as_text=True)
    assert client.post(f"/people/referrers/{referrer.id}/email",
                       data={"email": "Ingrid@Luster.kommune.no"}).status_code == 302
    db.session.expire_all()
    referrer = db.session.get(User, referrer.id)
    assert referrer.email == "ingrid@luster.kommune.no"
    assert invitations.user_for_token(first_link) is None     # the link to the wrong address is dead
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == referrer.id)
                              .order_by(OutboxMessage.id)).all()
    assert sent[-1].to_address == "ingrid@luster.kommune.no"
    # Once they have logged in, the address is their login: the lead is sent to an administrator.
    from guidance.services import audit

    audit.record(referrer, "auth.logged_in", referrer)
    db.session.commit()
    refused = client.post(f"/people/referrers/{referrer.id}/email", data={"email": "ingrid.s@luster.kommune.no"})
    assert refused.status_code == 400 and "en administrator kan endre den" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, referrer.id).email == "ingrid@luster.kommune.no"


def test_the_referrers_page_says_who_has_not_logged_in_without_calling_them_uninvited(client, app):
    """A referrer given a password by an administrator read "Not invited", as if they could not log in."""
    w = f.world()
    f.login(app.test_client(), w.referrer)   # has logged in
    f.login(client, w.lead)
    page = client.get("/people/referrers").get_data(as_text=True)
    row = page[page.index(w.other_referrer.email):][:1500]
    assert "Har ikke logget inn ennå; ingen invitasjon sendt" in row and "Send en invitasjon" in row
    mine = page[page.index(w.referrer.email):][:600]
    assert "Har logget inn" in mine
