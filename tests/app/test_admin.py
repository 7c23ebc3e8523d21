"""An administrator manages users."""
import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, CareerCentre, Role, User
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def _form(**overrides):
    if not db.session.scalar(select(CareerCentre.id).limit(1)):
        f.centre()   # Bergen's county has a career centre: a referrer's referrals reach someone
    data = {"name": "Kari Nordmann", "email": "kari@example.no", "role": "referrer",
            "county_id": "0", "municipality_id": str(f.municipality("4601").id), "password": "a-long-password"}
    data.update(overrides)
    return data


def test_admin_creates_a_referrer_bound_to_a_municipality(client):
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    response = client.post("/admin/users/new", data=_form())
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.email == "kari@example.no"))
    assert created.role is Role.REFERRER and created.municipality.name == "Bergen"
    assert created.check_password("a-long-password")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created")).actor_id == admin.id


def test_bad_user_form_keeps_input_and_says_what_is_wrong(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    response = client.post("/admin/users/new", data=_form(municipality_id="0", password="short"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Kari Nordmann"' in page
    assert "Passordet må ha minst 12 tegn." in page
    assert db.session.scalar(select(User).where(User.email == "kari@example.no")) is None


def test_admin_creates_a_lead_without_a_password_and_they_are_invited_by_e_mail(inbox, client):
    client.application.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox[1])   # invitations are e-mailed
    """A county's first lead had to be given a password some other way: the form demanded one."""
    from guidance.models import OutboxMessage
    from guidance.services import invitations

    f.login(client, f.user(Role.ADMIN, county_number=None))
    response = client.post("/admin/users/new", data=_form(role="lead", county_id=str(f.county("46").id),
                                                          municipality_id="0", password=""))
    assert response.status_code == 302
    assert "fikk en invitasjon på e-post" in client.get(response.location).get_data(as_text=True)
    created = db.session.scalar(select(User).where(User.email == "kari@example.no"))
    assert created.role is Role.LEAD and not created.check_password("")
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == created.id)).all()
    assert mail.to_address == "kari@example.no"
    assert invitations.user_for_token(invitations.token(created)) == created   # the link they get works


def test_duplicate_email_is_refused_beside_the_field(client):
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    response = client.post("/admin/users/new", data=_form(email=admin.email.upper()))
    assert response.status_code == 400
    assert "Det finnes allerede en bruker med denne e-postadressen." in response.get_data(as_text=True)


def test_a_referrer_without_municipality_is_refused(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    response = client.post("/admin/users/new", data=_form(municipality_id="0"))
    assert response.status_code == 400
    assert "En henviser må høre til en kommune." in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_access(client, app):
    admin = f.user(Role.ADMIN, county_number=None)
    lead = f.user(Role.LEAD)
    other = app.test_client()
    f.login(other, lead)
    assert other.get("/").status_code == 200
    f.login(client, admin)
    client.post(f"/admin/users/{lead.id}/active", data={})
    assert other.get("/").status_code == 302


def test_deactivating_an_interpreter_with_bookings_says_how_many_sessions_no_longer_fit(client, travel_to):
    """28 accepted bookings went without a word on this page (and "on track" on the lead's home)."""
    import html

    from tests.app.planning.helpers import planning_world

    travel_to(f.oslo(2027, 3, 10, 12))
    w = planning_world()
    for day in (16, 17):
        f.published_session(w.counsellor, f.referral(name=f"Person {day}"), start=f.oslo(2027, 3, day, 10),
                            interpreter=w.interpreter)
    f.login(client, f.user(Role.ADMIN, county_number=None))
    # asked first: one click had switched off an interpreter with 29 sessions ahead
    asked = client.post(f"/admin/users/{w.interpreter.id}/active", data={})
    assert asked.status_code == 200
    assert "har 2 publiserte veiledninger framover" in html.unescape(asked.get_data(as_text=True))
    db.session.refresh(w.interpreter)
    assert w.interpreter.active
    response = client.post(f"/admin/users/{w.interpreter.id}/active", data={"confirm": "1"})
    page = html.unescape(client.get(response.location).get_data(as_text=True))
    assert "2 publiserte timer framover passer ikke lenger etter denne endringen" in page
    db.session.refresh(w.interpreter)
    assert not w.interpreter.active


def test_the_role_has_no_default_and_must_be_chosen(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert '<option selected value="admin">' not in page
    assert '<option selected value="">' in page or '<option value="">' in page
    response = client.post("/admin/users/new", data=_form(role=""))
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "kari@example.no")) is None


def test_admin_edits_a_users_name_email_role_scope_and_active(client):
    admin = f.user(Role.ADMIN, county_number=None)
    person = f.user(Role.REFERRER, municipality_number="4601")
    f.login(client, admin)
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert f'value="{person.email}"' in page and '<option selected value="referrer">' in page
    response = client.post(f"/admin/users/{person.id}", data={
        "name": "Kari Lead", "email": "kari.lead@example.no", "role": "lead",
        "county_id": str(f.county("46").id), "municipality_id": "0", "active": "", "password": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (person.name, person.email, person.role, person.county.number, person.municipality_id, person.active) == (
        "Kari Lead", "kari.lead@example.no", Role.LEAD, "46", None, False)
    assert person.check_password(f.PASSWORD)  # an empty password field keeps the password
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.actor_id == admin.id and "Kari" not in event.detail and '"role"' in event.detail
    # The account's page says who changed what (the trail was in the database only).
    import html

    page = html.unescape(client.get(f"/admin/users/{person.id}").get_data(as_text=True))
    history = page[page.index('id="history-heading"'):]
    assert "Endret av en administrator" in history and admin.name in history
    assert "aktiv, fylke, e-postadresse, kommune, navn, rolle" in history, history[:2000]
    # Another county's administrator refused this account's page is not the account's doing (the security review).
    nordland = client.application.test_client()
    other_admin = f.user(Role.ADMIN, name="Admin Nordland")
    other_admin.county = f.county("18")
    db.session.commit()
    f.login(nordland, other_admin)
    assert nordland.get(f"/admin/users/{person.id}").status_code == 404
    page = html.unescape(client.get(f"/admin/users/{person.id}").get_data(as_text=True))
    assert "Admin Nordland" not in page[page.index('id="history-heading"'):]


def test_a_bad_user_edit_is_refused_beside_the_field_and_nothing_changes(client):
    admin = f.user(Role.ADMIN, county_number=None)
    person = f.user(Role.COUNSELLOR)
    f.login(client, admin)
    for data, message in (({"email": admin.email}, "Det finnes allerede en bruker med denne e-postadressen."),
                          ({"county_id": "0"}, "Denne rollen må høre til et fylke."),
                          ({"password": "short"}, "Passordet må ha minst 12 tegn.")):
        form = {"name": "Changed", "email": person.email, "role": "counsellor",
                "county_id": str(person.county_id), "municipality_id": "0", "active": "y", **data}
        response = client.post(f"/admin/users/{person.id}", data=form)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert person.name != "Changed" and person.county_id is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated")) is None


def test_an_admin_cannot_take_away_their_own_access(client):
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    response = client.post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "email": admin.email, "role": "lead", "county_id": str(f.county("46").id),
        "municipality_id": "0", "active": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    assert admin.role is Role.ADMIN


def test_only_admins_edit_users(app):
    lead = f.user(Role.LEAD)
    person = f.user(Role.COUNSELLOR)
    client = app.test_client()
    f.login(client, lead)
    response = client.post(f"/admin/users/{person.id}", data={"name": "X", "email": person.email, "role": "admin"})
    assert response.status_code == 403
    db.session.expire_all()
    assert person.role is Role.COUNSELLOR


def test_the_user_list_says_how_each_user_logs_in(client):
    import re

    w = f.world()
    unenrolled_lead = f.user(Role.LEAD, name="Ny Leder")
    unenrolled_lead.totp_secret = unenrolled_lead.totp_enabled_at = None
    db.session.commit()
    f.login(client, w.referrer)   # has logged in with their password
    client.post("/logout")
    f.login(client, w.admin)
    # Invited without a password: nobody knows theirs yet ("Password only" read as if they had one).
    client.post("/admin/users/new", data=_form(name="Ny Henviser", email="ny.henviser@example.no", password=""))
    page = client.get("/admin/users").get_data(as_text=True)

    def login_cell(name: str) -> str:
        row = re.search(rf"<tr>\s*<td><a [^>]*><bdi>{re.escape(name)}</bdi>.*?</tr>", page, re.S).group(0)
        return " ".join(re.sub(r"<[^>]+>", " ", re.findall(r"<td>(.*?)</td>", row, re.S)[4]).split())

    assert login_cell(w.lead.name) == "Passord og kode"
    assert login_cell("Ny Leder") == "Setter opp kode ved neste innlogging"
    assert login_cell(w.referrer.name) == "Bare passord"
    assert login_cell("Ny Henviser") == "Velger passord ved første innlogging"


def test_an_empty_installation_tells_its_administrator_what_comes_first(client, app):
    """A new installation's administrator saw "Manage users" only: nothing said that the county's set-up and its
    first lead come first, nor that without a mail server no invitation leaves."""
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    page = client.get("/").get_data(as_text=True)
    steps = page[page.index('id="first-steps"'):page.index("</section>", page.index('id="first-steps"'))]
    assert 'href="/setup/"' in steps and 'href="/admin/users"' in steps and "Ferdig" not in steps
    assert "E-post er ikke satt opp." in page   # the tests run without MAIL_SERVER
    f.world()   # a county with a location and a lead
    page = client.get("/").get_data(as_text=True)
    assert 'id="first-steps"' not in page
    before, app.config["MAIL_SERVER"] = app.config.get("MAIL_SERVER"), "127.0.0.1"
    try:
        assert "E-post er ikke satt opp." not in client.get("/").get_data(as_text=True)
    finally:
        app.config["MAIL_SERVER"] = before


def test_a_password_the_administrator_chose_is_replaced_at_the_first_login(client, app):
    """The admin's "New password" and create-admin's one-time password ("change it") were never asked to change."""
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    assert client.post("/admin/users/new", data=_form(password="given-by-the-admin-1")).status_code == 302
    client.post("/logout")
    person = app.test_client()
    person.post("/login", data={"email": "kari@example.no", "password": "given-by-the-admin-1"})
    home = person.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/account/password")
    assert person.get("/referrals/").headers["Location"].endswith("/account/password")
    page = person.get("/account/password").get_data(as_text=True)
    assert "Vel ditt eige passord først" in page   # Bergen writes nynorsk
    changed = person.post("/account/password", data={"current_password": "given-by-the-admin-1",
                                                     "new_password": "my own long passphrase 7",
                                                     "repeat_password": "my own long passphrase 7"})
    assert changed.status_code == 302
    assert person.get("/").status_code == 200
    # The administrator sets a new one: asked again; the user's own change is not.
    created = db.session.scalar(select(User).where(User.email == "kari@example.no"))
    assert not created.password_set_by_other
    from guidance.services import accounts

    accounts.update_user(admin, created, email=created.email, name=created.name, role=created.role,
                         municipality_id=created.municipality_id, password="another-given-one-2")
    assert created.password_set_by_other


def test_create_admin_prints_a_one_time_password_that_must_be_replaced(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "first@vestland.example.no"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "first@vestland.example.no"))
    assert admin.password_set_by_other
    typed = runner.invoke(args=["create-admin", "--email", "second@vestland.example.no", "--password-stdin"],
                          input="a-password-typed-by-them\n")
    assert typed.exit_code == 0, typed.output
    assert not db.session.scalar(select(User).where(User.email == "second@vestland.example.no")).password_set_by_other


def test_a_switched_off_account_loses_its_calendar_address_for_good(client):
    """Switched on again, the old address had come back to life with the account."""
    from guidance.services import calendar as cal

    w = f.world()
    token = cal.issue_feed_token(w.referrer)
    f.login(client, w.admin)
    client.post(f"/admin/users/{w.referrer.id}/active", data={})
    client.post(f"/admin/users/{w.referrer.id}/active", data={"active": "y"})
    db.session.refresh(w.referrer)
    assert w.referrer.active and cal.user_for_feed_token(token) is None


def test_a_counsellor_made_referrer_and_back_is_planned_again_and_the_first_change_warns(client, travel_to):
    """A role changed by mistake and back left the counsellor "Deactivated" with 38 sessions broken, and the
    change that broke them said nothing (the warning came with the change back)."""
    import html

    from tests.app.planning.helpers import planning_world

    travel_to(f.oslo(2027, 3, 10, 12))
    w = planning_world()
    # an English speaker: the counsellor speaks English, so the session fits as long as they counsel
    f.published_session(w.counsellor, f.referral(name="Person", language="en"), start=f.oslo(2027, 3, 16, 10))
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    person = w.counsellor
    form = {"name": person.name, "email": person.email, "active": "y", "password": ""}
    away = client.post(f"/admin/users/{person.id}", data={**form, "role": "referrer", "county_id": "0",
                                                          "municipality_id": str(f.municipality("4601").id)})
    page = html.unescape(client.get(away.location).get_data(as_text=True))
    assert "1 publisert time framover passer ikke lenger etter denne endringen" in page
    db.session.refresh(person)
    assert not person.counsellor.active
    back = client.post(f"/admin/users/{person.id}", data={**form, "role": "counsellor", "municipality_id": "0",
                                                          "county_id": str(f.county("46").id)})
    page = html.unescape(client.get(back.location).get_data(as_text=True))
    db.session.refresh(person)
    assert person.counsellor.active and "passer ikke lenger" not in page


def test_the_admin_sees_who_never_logged_in_and_sends_them_a_new_invitation(inbox, client):
    client.application.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox[1])   # invitations are e-mailed
    import html

    from guidance.models import OutboxMessage

    w = f.world()
    f.login(client, w.admin)
    users = html.unescape(client.get("/admin/users").get_data(as_text=True))
    row = users[users.index(w.referrer.name):]
    assert "Ikke logget inn ennå" in row[:row.index("</tr>")]
    page = html.unescape(client.get(f"/admin/users/{w.referrer.id}").get_data(as_text=True))
    assert "Send en invitasjon på e-post" in page
    response = client.post(f"/admin/users/{w.referrer.id}/invitation")
    assert response.status_code == 302
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == w.referrer.id)).all()
    users = html.unescape(client.get("/admin/users").get_data(as_text=True))
    row = users[users.index(w.referrer.name):]
    assert "ikke logget inn ennå" in row[:row.index("</tr>")] and "Invitert" in row[:row.index("</tr>")]


def test_a_new_counsellor_account_is_said_to_need_the_leads_details(client):
    f.login(client, f.user(Role.ADMIN, county_number=None))
    response = client.post("/admin/users/new", data=_form(role="counsellor", county_id=str(f.county("46").id),
                                                          municipality_id="0", password=""))
    page = client.get(response.location).get_data(as_text=True)
    assert "til da planlegges ingenting for dem" in page


def test_a_referrer_whose_referrals_would_reach_nobody_is_refused(client):
    """An Oslo referrer was accepted with county Vestland chosen (ignored), and told "sent to the career centre"."""
    f.login(client, f.user(Role.ADMIN, county_number=None))
    oslo = f.municipality("0301")
    vestland = f.county("46")
    mismatch = client.post("/admin/users/new", data=_form(county_id=str(vestland.id), municipality_id=str(oslo.id)))
    assert mismatch.status_code == 400
    assert "Oslo ligger ikke i fylket som er valgt over" in mismatch.get_data(as_text=True)
    nobody = client.post("/admin/users/new", data=_form(county_id="0", municipality_id=str(oslo.id)))
    assert nobody.status_code == 400
    assert "Fylket til Oslo har ikke noe karrieresenter i Veiled ennå" in nobody.get_data(as_text=True)
    assert 'value="kari@example.no"' in nobody.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "kari@example.no")) is None


def test_the_administrator_finds_a_user_by_part_of_the_name_role_municipality_or_status(client):
    """A county has a referrer or two in each municipality: the list ran to hundreds of rows with no way to find one."""
    import re

    w = f.world()
    f.user(Role.REFERRER, name="Øystein Hauge", municipality_number="4601")
    voss = f.user(Role.REFERRER, name="Sigrid Voss", municipality_number="4621")
    gone = f.user(Role.COUNSELLOR, name="Øyvind Borte")
    gone.active = False
    db.session.commit()
    f.login(client, w.admin)

    def names(query: str) -> list[str]:
        response = client.get(f"/admin/users{query}")
        assert response.status_code == 200
        return re.findall(r"<bdi>([^<]+)</bdi></a>", response.get_data(as_text=True))

    everyone = names("")
    assert {"Øystein Hauge", "Sigrid Voss", "Øyvind Borte"} <= set(everyone)
    assert set(names("?q=øy")) == {"Øyvind Borte", "Øystein Hauge"}
    assert names("?q=%C3%98YSTEIN") == ["Øystein Hauge"]                        # case folded, also for Ø
    assert names(f"?q={voss.email.split('@')[0]}") == ["Sigrid Voss"]             # by e-mail address
    in_voss = names("?role=referrer&municipality=" + str(voss.municipality_id))
    assert "Sigrid Voss" in in_voss and "Øystein Hauge" not in in_voss
    assert all(db.session.scalar(select(User).where(User.name == n)).municipality_id == voss.municipality_id for n in in_voss)
    assert names("?status=deactivated") == ["Øyvind Borte"]
    assert "Øyvind Borte" not in names("?status=active")
    page = client.get("/admin/users?q=nobody-here").get_data(as_text=True)
    assert "Ingen brukere passer med filtrene." in page and 'value="nobody-here"' in page
    caption = client.get("/admin/users?role=referrer").get_data(as_text=True)
    assert re.search(rf"\d+ av {len(everyone)} brukere", caption)
    # Nonsense in the address narrows nothing and breaks nothing.
    assert client.get("/admin/users?municipality=99999999999999999999&role=king&status=x").status_code == 200



def test_a_new_user_form_names_every_problem_at_once(client):
    """A short password was named alone; the taken e-mail address and the missing county came one submit later."""
    w = f.world()
    f.login(client, w.admin)
    response = client.post("/admin/users/new", data=_form(email=w.counsellor.email, role="lead", county_id="0",
                                                          municipality_id="0", password="short"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Passordet må ha minst 12 tegn." in page
    assert 'id="email-error"' in page and "finnes allerede" in page
    assert 'id="county_id-error"' in page
    # A number no row can have is the field's own problem, not a 500.
    assert client.post("/admin/users/new", data=_form(municipality_id="99999999999999999999",
                                                      password="short")).status_code == 400
