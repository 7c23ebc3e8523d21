"""Signing in through a real OpenID Connect provider (oidc-provider on node, started here).

The app talks to the provider over HTTP for discovery, keys and the code exchange; the tests
play the person's browser at the provider (its login page) and hand the redirect to the app.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Role, User, UserIdentity
from guidance.oidc import providers_from_env
from tests.app import factories as f
from tests.oidc import Browser, running_provider

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

APP_URL = "http://127.0.0.1:5000"
ROLE_MAP = {
    "g-lead-46": {"role": "lead", "county": "46"},
    "g-counsellor-46": {"role": "counsellor", "county": "46"},
    "g-referrer-4601": {"role": "referrer", "municipality": "4601"},
    "g-referrer-0301": {"role": "referrer", "municipality": "0301"},   # Oslo: no career centre in Veiled
}
USERS = {
    "lead": {"email": "lea.lead@vlfk.example.no", "name": "Lea Leder", "groups": ["g-lead-46", "g-other"]},
    "referrer": {"email": "rita@bergen.example.no", "name": "Rita Henviser", "groups": ["g-referrer-4601"]},
    "visitor": {"email": "vera@vlfk.example.no", "name": "Vera Besøk", "groups": ["g-canteen"]},
    "oslo": {"email": "oda@oslo.example.no", "name": "Oda Oslo", "groups": ["g-referrer-0301"]},
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with running_provider(tmp_path_factory.mktemp("oidc"), APP_URL, users=USERS) as running:
        yield running


@pytest.fixture
def app_config(app_config, provider):
    provider.misbehave(None)
    for login, claims in USERS.items():
        provider.set_user(login, **claims)
    app_config.update(BASE_URL=APP_URL, OIDC_PROVIDERS=providers_from_env(
        provider.env(ROLE_MAP=json.dumps(ROLE_MAP))))
    return app_config


@pytest.fixture(autouse=True)
def vestland_has_a_centre(client):
    """Vestland has a career centre (a referrer of a county without one is refused: their referrals reach nobody)."""
    f.centre()


def start(client) -> str:
    """Press the provider's button on the login page; returns the provider's authorization URL."""
    response = client.post("/login/oidc/county")
    assert response.status_code == 302
    return response.headers["Location"]


def visit(client, callback: str):
    """The callback, and the page it sends a sign-in that did not end signed in to (its own address)."""
    response = client.get(callback)
    if response.status_code == 302 and "/outcome" in response.headers["Location"]:
        return client.get(response.headers["Location"])
    return response


def sign_in(client, provider, login: str):
    callback = Browser(provider).sign_in(start(client), login)
    return visit(client, callback)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_lead_signs_in_through_the_provider_and_gets_an_account_with_the_mapped_role(client, provider):
    response = sign_in(client, provider, "lead")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Karrieresenter – Vestland" in client.get("/").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "lea.lead@vlfk.example.no"))
    assert (user.role, user.county.number, user.name) == (Role.LEAD, "46", "Lea Leder")
    identity = user.identities[0]
    assert (identity.issuer, identity.subject, identity.provider) == (provider.issuer, "lead", "county")
    assert actions() == ["user.created", "user.signed_in", "auth.logged_in"]  # the provider, then the session


def test_a_lead_signed_in_through_the_provider_needs_no_second_factor_of_ours(client, provider):
    assert sign_in(client, provider, "lead").headers["Location"] == "/"
    assert client.get("/queue/").status_code == 200  # no code step, no enrolment page
    assert "auth.code_accepted" not in actions()
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "organisasjonen" in page


def test_the_authorization_request_uses_pkce_state_and_nonce(client, provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == [f"{APP_URL}/login/oidc/county/callback"]


def test_a_referrer_is_bound_to_the_mapped_municipality(client, provider):
    sign_in(client, provider, "referrer")
    # a new account has no language of its own: Bergen writes the county's form, Vestland's nynorsk
    assert "Tilvisingar frå Bergen" in client.get("/").get_data(as_text=True)


def test_a_replayed_callback_is_refused(client, app, provider):
    callback = Browser(provider).sign_in(start(client), "lead")
    assert client.get(callback).status_code == 302
    client.post("/logout")
    replay = visit(client, callback)
    assert replay.status_code == 400
    assert "Innloggingen virket ikke" in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    # nor in another browser that never started this sign-in
    assert visit(app.test_client(), callback).status_code == 400


@pytest.mark.parametrize("mode", ["tampered", "wrong-audience", "expired"])
def test_an_id_token_that_fails_a_check_signs_nobody_in(client, provider, mode):
    provider.misbehave(mode)
    response = sign_in(client, provider, "lead")
    assert response.status_code == 400
    assert "Innloggingen virket ikke" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(User).where(User.email == "lea.lead@vlfk.example.no")) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sign_in_failed"))
    assert json.loads(event.detail)["provider"] == "county"


def test_the_same_provider_answering_honestly_again_signs_in(client, provider):
    # the refusals above are the ID token's fault, not the set-up's
    provider.misbehave(None)
    assert sign_in(client, provider, "lead").status_code == 302


def test_a_user_whose_groups_give_no_role_is_refused_with_a_clear_page(client, provider):
    response = sign_in(client, provider, "visitor")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Du har ikke tilgang til Veiled" in page
    assert "ikke i noen gruppe som gir en rolle" in page
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(User).where(User.email == "vera@vlfk.example.no")) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sign_in_refused"))
    assert json.loads(event.detail) == {"provider": "county", "reason": "no_role", "subject": "visitor"}


def test_a_referrer_whose_county_has_no_career_centre_is_refused_at_sign_in(client, provider):
    """An Oslo referrer was let in, sent a referral and read "sent to the career centre": it reached nobody."""
    response = sign_in(client, provider, "oslo")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "henvisningene dine ville ikke nådd noen" in page
    assert db.session.scalar(select(User).where(User.email == "oda@oslo.example.no")) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sign_in_refused"))
    assert json.loads(event.detail)["reason"] == "no_centre"


def test_role_and_scope_follow_the_groups_at_every_sign_in(client, app, provider):
    provider.set_user("mover", email="mo@vlfk.example.no", name="Mo Flytter", groups=["g-counsellor-46"])
    sign_in(client, provider, "mover")
    user = db.session.scalar(select(User).where(User.email == "mo@vlfk.example.no"))
    assert user.role is Role.COUNSELLOR and user.counsellor is not None
    assert client.get("/queue/").status_code == 403
    client.post("/logout")

    provider.set_user("mover", email="mo@vlfk.example.no", name="Mo Flytter", groups=["g-lead-46"])
    other = app.test_client()
    sign_in(other, provider, "mover")
    db.session.refresh(user)
    assert user.role is Role.LEAD and len(db.session.scalars(select(User)).all()) == 1
    assert other.get("/queue/").status_code == 200
    changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert json.loads(changed.detail)["to"] == {"role": "lead", "county": "46", "municipality": None}

    # removed from the group: refused, and the session signed in before loses access at once
    provider.set_user("mover", email="mo@vlfk.example.no", name="Mo Flytter", groups=[])
    refused = sign_in(app.test_client(), provider, "mover")
    assert refused.status_code == 403
    assert other.get("/queue/").status_code == 302
    db.session.refresh(user)
    assert not user.active
    # The administrator's list says why, apart from one they deactivated (the two read alike).
    admin = app.test_client()
    f.login(admin, f.user(Role.ADMIN, county_number=None))
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "Deaktivert: ikke lenger i en gruppe som gir en rolle" in listing
    # And the account's page says what happened, in words: why they were refused, what the groups changed.
    import html as html_module

    history = html_module.unescape(admin.get(f"/admin/users/{user.id}").get_data(as_text=True))
    history = history[history.index('id="history-heading"'):]
    assert "Avvist ved innlogging med fylkets konto" in history and "ingen av gruppene gir en rolle" in history
    assert "Rolle eller sted endret av fylkets grupper" in history and "→ Senterleder" in history, history[:3000]

    # back in the group: the same account works again
    provider.set_user("mover", email="mo@vlfk.example.no", name="Mo Flytter", groups=["g-lead-46"])
    assert sign_in(client, provider, "mover").status_code == 302
    assert client.get("/queue/").status_code == 200


def test_a_name_or_address_the_county_changes_is_in_the_accounts_history_and_so_is_logging_out(client, app, provider):
    """Who someone is in Veiled changed with the provider's claims and left no trace: an administrator asked why a
    counsellor's name had changed could not say."""
    import html as html_module

    provider.set_user("renamed", email="ina@vlfk.example.no", name="Ina Hansen", groups=["g-counsellor-46"])
    sign_in(client, provider, "renamed")
    client.post("/logout")
    f.user(Role.REFERRER, name="Has The Address").email = "ina.berg@vlfk.example.no"
    db.session.commit()
    provider.set_user("renamed", email="ina.berg@vlfk.example.no", name="Ina Berg", groups=["g-counsellor-46"])
    sign_in(app.test_client(), provider, "renamed")
    user = db.session.scalar(select(User).where(User.name == "Ina Berg"))
    assert user.email == "ina@vlfk.example.no"   # the new address is another account's: this one keeps its own

    admin = app.test_client()
    f.login(admin, f.user(Role.ADMIN, county_number=None))
    history = html_module.unescape(admin.get(f"/admin/users/{user.id}").get_data(as_text=True))
    history = " ".join(re.sub(r"<[^>]+>", " ", history[history.index('id="history-heading"'):]).split())
    assert "Navn eller e-postadresse hentet fra fylkets konto – navn e-postadressen tilhører en annen konto" in history
    assert "Logget ut" in history
    # One line a sign-in: the session it starts is not a second login "with a password".
    assert history.count("Logget inn med fylkets konto") == 2 and "Logget inn med passord" not in history
    assert "Ina Hansen" not in history   # the names themselves stay out of the trail


def test_an_account_an_administrator_deactivated_stays_out(client, app, provider):
    sign_in(client, provider, "lead")
    user = db.session.scalar(select(User).where(User.email == "lea.lead@vlfk.example.no"))
    user.active = False
    db.session.commit()
    response = sign_in(app.test_client(), provider, "lead")
    assert response.status_code == 403
    assert "deaktivert" in response.get_data(as_text=True)


def test_an_administrator_deactivating_a_withdrawn_account_keeps_it_out(client, app, provider):
    from guidance.services.accounts import set_active

    provider.set_user("leaver", email="leaver@vlfk.example.no", name="Leo Slutter", groups=["g-lead-46"])
    sign_in(client, provider, "leaver")
    provider.set_user("leaver", email="leaver@vlfk.example.no", name="Leo Slutter", groups=[])
    assert sign_in(app.test_client(), provider, "leaver").status_code == 403  # withdrawn by the claims
    user = db.session.scalar(select(User).where(User.email == "leaver@vlfk.example.no"))
    set_active(f.user(Role.ADMIN), user, False)  # and deactivated by an administrator
    provider.set_user("leaver", email="leaver@vlfk.example.no", name="Leo Slutter", groups=["g-lead-46"])
    assert sign_in(app.test_client(), provider, "leaver").status_code == 403


def test_the_page_asked_for_before_signing_in_is_where_the_sign_in_ends(client, provider):
    assert client.get("/queue/").headers["Location"].startswith("/login?next=")
    response = client.post("/login/oidc/county?next=/queue/")
    callback = Browser(provider).sign_in(response.headers["Location"], "lead")
    assert client.get(callback).headers["Location"] == "/queue/"


def test_passwords_cannot_be_switched_off_without_a_provider(monkeypatch, tmp_path):
    from guidance.config import build_config

    monkeypatch.setenv("LOCAL_LOGIN", "0")
    monkeypatch.delenv("OIDC_PROVIDERS", raising=False)
    with pytest.raises(RuntimeError, match="LOCAL_LOGIN=0 needs at least one sign-in provider"):
        build_config(tmp_path)


def test_a_provider_cannot_take_over_a_local_account_by_its_e_mail(client, provider):
    local = f.user(Role.ADMIN)
    provider.set_user("impostor", email=local.email, name="Not the admin", groups=["g-referrer-4601"])
    response = sign_in(client, provider, "impostor")
    assert response.status_code == 403
    db.session.refresh(local)
    assert local.role is Role.ADMIN and not local.identities


def test_sign_out_ends_the_session_here_and_at_the_provider(client, provider):
    browser = Browser(provider)
    assert client.get(browser.sign_in(start(client), "lead")).status_code == 302
    response = client.post("/logout")
    end_session = response.headers["Location"]
    assert end_session.startswith(f"{provider.issuer}/session/end")
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == [f"{APP_URL}/login"] and query["id_token_hint"][0]
    assert client.get("/").status_code == 302  # signed out here
    back = browser.sign_out(end_session)
    assert back.headers["Location"].startswith(f"{APP_URL}/login")
    # signed out there too: the next sign-in in this browser shows the provider's login page again
    page = browser.follow(start(client))
    assert page.status_code == 200 and 'name="login"' in page.text


def test_the_login_page_shows_a_button_per_provider_and_passwords_can_be_switched_off(app_config, provider):
    from guidance import create_app

    app_config["OIDC_PROVIDERS"] = providers_from_env({
        **provider.env("entra", ROLE_MAP=json.dumps(ROLE_MAP), LABEL="Vestland fylkeskommune"),
        **provider.env("ansattporten", ROLE_MAP=json.dumps(ROLE_MAP), LABEL="Ansattporten"),
        "OIDC_PROVIDERS": "entra,ansattporten",
    })
    app_config["LOCAL_LOGIN"] = False
    app = create_app(app_config)
    with app.app_context():
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        person = f.user(Role.LEAD)
        posted = client.post("/login", data={"email": person.email, "password": f.PASSWORD})
        failed = [json.loads(e.detail)["reason"] for e in
                  db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))]
        # Interpreters are in no county directory and the role map cannot grant their role: they keep passwords
        # (with passwords off every interpreter had been locked out, their invitation a dead end).
        interpreter = f.user(Role.INTERPRETER)
        theirs = app.test_client().post("/login", data={"email": interpreter.email, "password": f.PASSWORD})
        lead_resets = client.post("/account/forgot-password", data={"email": person.email})
        from guidance.models import OutboxMessage

        reset_mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_user_id == person.id)).all()
    assert "Logg inn med Vestland fylkeskommune" in page and "Logg inn med Ansattporten" in page
    assert 'action="/login/oidc/entra"' in page and 'action="/login/oidc/ansattporten"' in page
    assert "Tolker: logg inn med e-postadresse og passord" in page and "Fylkets ansatte logger inn med knappen over" in page
    assert posted.status_code == 400 and failed[-1] == "passwords_off"
    assert theirs.status_code == 302
    assert lead_resets.status_code == 200 and reset_mails == []   # no password for a lead to reset


def test_an_unreachable_provider_gets_a_page_not_an_error(app_config, provider):
    from guidance import create_app
    from tests.oidc import free_port

    app_config["OIDC_PROVIDERS"] = providers_from_env({
        **provider.env(ROLE_MAP=json.dumps(ROLE_MAP)), "OIDC_COUNTY_ISSUER": f"http://127.0.0.1:{free_port()}"})
    app = create_app(app_config)
    with app.app_context():
        response = app.test_client().post("/login/oidc/county")
    assert response.status_code == 502
    assert "kunne ikke nås" in response.get_data(as_text=True)


def test_settings_that_are_wrong_stop_the_start_with_a_message():
    base = {"OIDC_PROVIDERS": "entra", "OIDC_ENTRA_ISSUER": "https://login.example/v2.0",
            "OIDC_ENTRA_CLIENT_ID": "id", "OIDC_ENTRA_CLIENT_SECRET": "secret"}
    with pytest.raises(RuntimeError, match="OIDC_ENTRA_ROLE_MAP must be set"):
        providers_from_env(base)
    with pytest.raises(RuntimeError, match="OIDC_ENTRA_ROLE_MAP is not JSON"):
        providers_from_env({**base, "OIDC_ENTRA_ROLE_MAP": "{lead: 46}"})
    with pytest.raises(RuntimeError, match='a lead needs "county"'):
        providers_from_env({**base, "OIDC_ENTRA_ROLE_MAP": '{"g1": {"role": "lead"}}'})
    with pytest.raises(RuntimeError, match="role must be one of admin, lead, counsellor, referrer"):
        providers_from_env({**base, "OIDC_ENTRA_ROLE_MAP": '{"g1": {"role": "interpreter", "county": "46"}}'})
    # A number that is no county or municipality of Norway (a typo) stops the start: it had started, and then
    # deactivated the people of that group at their next sign-in.
    with pytest.raises(RuntimeError, match="there is no county '99'"):
        providers_from_env({**base, "OIDC_ENTRA_ROLE_MAP": '{"g1": {"role": "lead", "county": "99"}}'})
    with pytest.raises(RuntimeError, match="there is no municipality '9999'"):
        providers_from_env({**base, "OIDC_ENTRA_ROLE_MAP": '{"g1": {"role": "referrer", "municipality": "9999"}}'})
    (entra,) = providers_from_env({**base, "OIDC_ENTRA_ROLE_MAP": '{"g1": {"role": "referrer", "municipality": "4601"}}'})
    assert entra.role_map["g1"].municipality == "4601" and entra.scopes == "openid email profile"
    assert entra.metadata_url == "https://login.example/v2.0/.well-known/openid-configuration"


def test_pages_let_forms_lead_to_the_provider_and_nowhere_else(client, provider):
    # the login buttons and the log-out button are redirected to the provider after posting here
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.issuer};" in policy


def test_a_counsellor_the_lead_entered_gets_in_through_the_invitation_and_keeps_their_profile(client, provider):
    """Without the invitation the provider's sign-in is refused (the e-mail has an account); through
    its link the same sign-in is connected to the account the lead made, hours and all."""
    import re

    from sqlalchemy import func

    from guidance.models import CounsellorProfile, Location, OutboxMessage
    from tests.app.test_people import _counsellor_form

    w = f.world()
    location = db.session.scalar(select(Location).order_by(Location.id))
    form = _counsellor_form(location)
    f.login(client, w.lead)
    assert client.post("/people/counsellors/new", data=form).status_code == 302
    client.post("/logout")
    profile = db.session.scalar(select(CounsellorProfile).join(User).where(User.email == form["email"]))
    provider.set_user("kari", email=form["email"], name="Kari Nordmann", groups=["g-counsellor-46"])

    refused = sign_in(client, provider, "kari")
    assert refused.status_code == 403 and "invitasjon" in refused.get_data(as_text=True)

    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == form["email"]))
    link = re.search(r"/account/invitation/\S+", message.body).group(0)
    page = client.get(link).get_data(as_text=True)
    assert "Logg inn med" in page
    started = client.post("/login/oidc/county", data={"invitation": link.rsplit("/", 1)[1]})
    assert started.status_code == 302
    callback = Browser(provider).sign_in(started.headers["Location"], "kari")
    assert client.get(callback).status_code == 302
    assert client.get("/week/").status_code == 200
    db.session.expire_all()
    user = db.session.get(CounsellorProfile, profile.id).user
    assert [i.subject for i in user.identities] == ["kari"]
    assert [loc.id for loc in user.counsellor.locations] == [location.id] and user.counsellor.multicultural
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == form["email"])) == 1
    assert client.get(link).status_code == 400   # the link is spent


def test_an_invitation_connects_only_the_person_it_was_for(client, provider):
    """A forwarded link, or a colleague still signed in at the provider, must not take the account
    the lead made: another e-mail is refused and nothing is connected."""
    import re

    from guidance.models import CounsellorProfile, Location, OutboxMessage
    from tests.app.test_people import _counsellor_form

    w = f.world()
    location = db.session.scalar(select(Location).order_by(Location.id))
    form = _counsellor_form(location)
    f.login(client, w.lead)
    assert client.post("/people/counsellors/new", data=form).status_code == 302
    client.post("/logout")
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == form["email"]))
    token = re.search(r"/account/invitation/(\S+)", message.body).group(1)
    provider.set_user("colleague", email="ola.kollega@vlfk.example.no", name="Ola Kollega", groups=["g-counsellor-46"])
    started = client.post("/login/oidc/county", data={"invitation": token})
    refused = visit(client, Browser(provider).sign_in(started.headers["Location"], "colleague"))
    assert refused.status_code == 403 and "ikke den invitasjonen gjaldt" in refused.get_data(as_text=True)
    db.session.expire_all()
    profile = db.session.scalar(select(CounsellorProfile).join(User).where(User.email == form["email"]))
    assert profile.user.identities == [] and profile.user.name == form["name"]
    assert db.session.scalar(select(User).where(User.email == "ola.kollega@vlfk.example.no")) is None


def test_a_counsellor_on_a_password_moves_to_the_countys_account_through_the_leads_link(client, provider):
    """A county that started on passwords moves its staff to its provider: the provider's sign-in of
    someone with a password here was refused ("email_taken") and nobody could send them a link."""
    import re

    from guidance.models import OutboxMessage

    w = f.world()
    assert f.login(client, w.counsellor).status_code == 302  # they have logged in with their password
    client.post("/logout")
    provider.set_user("per", email=w.counsellor.email, name=w.counsellor.name, groups=["g-counsellor-46"])
    assert sign_in(client, provider, "per").status_code == 403  # not without the link

    f.login(client, w.lead)
    page = client.get(f"/people/counsellors/{w.counsellor.counsellor.id}").get_data(as_text=True)
    assert "Send lenke for å logge inn med fylkets konto" in page
    client.post(f"/people/counsellors/{w.counsellor.counsellor.id}/invitation")
    client.post("/logout")
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == w.counsellor.email))
    assert message.subject == "Logg inn i Veiled med jobbkontoen din"
    token = re.search(r"/account/invitation/(\S+)", message.body).group(1)
    page = client.get(f"/account/invitation/{token}").get_data(as_text=True)
    assert "Logg inn med" in page and 'name="new_password"' not in page  # the link sets no password

    started = client.post("/login/oidc/county", data={"invitation": token})
    assert client.get(Browser(provider).sign_in(started.headers["Location"], "per")).status_code == 302
    assert client.get("/week/").status_code == 200
    client.post("/logout")
    db.session.expire_all()
    user = db.session.get(User, w.counsellor.id)
    assert [i.subject for i in user.identities] == ["per"] and user.counsellor.id == w.counsellor.counsellor.id
    assert not user.check_password(f.PASSWORD)  # the password here stopped working


def test_an_administrator_sends_a_lead_on_a_password_the_link_to_the_countys_account(client, provider, inbox):
    from guidance.models import OutboxMessage

    client.application.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox[1])   # the link is e-mailed
    w = f.world()
    f.login(client, w.lead)
    client.post("/logout")
    admin = f.user(Role.ADMIN)
    f.login(client, admin)
    assert "Send lenke for å logge inn med fylkets konto" in client.get(f"/admin/users/{w.lead.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{w.lead.id}/connect").status_code == 302
    assert db.session.scalar(select(OutboxMessage.subject).where(OutboxMessage.to_address == w.lead.email)) \
        == "Logg inn i Veiled med jobbkontoen din"


def test_a_county_account_cannot_be_given_a_password_that_goes_around_the_county(client, app, provider):
    """An administrator typed a password for a lead who signs in through the county: the password then let
    them in with neither the county's login nor a second factor, and kept working after they left the group."""
    sign_in(client, provider, "lead")
    lead = db.session.scalar(select(User).where(User.email == "lea.lead@vlfk.example.no"))
    client.post("/logout")
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    page = client.get(f"/admin/users/{lead.id}").get_data(as_text=True)
    assert 'name="password"' not in page and "Logger inn med fylkets konto" in page
    refused = client.post(f"/admin/users/{lead.id}", data={
        "name": lead.name, "email": lead.email, "role": "lead", "county_id": str(lead.county_id),
        "municipality_id": "0", "active": "y", "password": "fjord lantern quietly 42"})
    assert refused.status_code == 400 and "et passord her ville gått utenom den" in refused.get_data(as_text=True)
    # Nor a role, a place or a name: the groups decide at every login (an administrator made a counsellor an
    # administrator, which held for the rest of the session and then reverted without a word).
    assert 'name="role"' not in page.replace('type="hidden" name="role"', "")
    promoted = client.post(f"/admin/users/{lead.id}", data={
        "name": lead.name, "email": lead.email, "role": "admin", "county_id": "0", "municipality_id": "0",
        "active": "y"})
    assert promoted.status_code == 400 and "Dette følger fylkets grupper ved hver innlogging" in \
        promoted.get_data(as_text=True)
    db.session.refresh(lead)
    assert lead.role is Role.LEAD
    kept = client.post(f"/admin/users/{lead.id}", data={
        "name": lead.name, "email": lead.email, "role": "lead", "county_id": str(lead.county_id),
        "municipality_id": "0", "active": "y"})
    assert kept.status_code == 302   # switching active on and off is still the administrator's
    # and a password it had before (set while it was still local, or by an older version) opens nothing
    lead.set_password("fjord lantern quietly 42")
    db.session.commit()
    client.post("/logout")
    answer = app.test_client().post("/login", data={"email": lead.email, "password": "fjord lantern quietly 42"})
    assert answer.status_code == 400
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert json.loads(failed[-1].detail)["reason"] == "signs_in_externally"


def test_a_counsellor_moved_to_the_leads_group_goes_on_counselling_and_back_again(client, app, provider):
    """Moved to the leads group, a counsellor's profile was switched off and their 38 booked sessions broke;
    moved back, it stayed off."""
    provider.set_user("both", email="bo@vlfk.example.no", name="Bo Begge", groups=["g-counsellor-46"])
    sign_in(client, provider, "both")
    user = db.session.scalar(select(User).where(User.email == "bo@vlfk.example.no"))
    assert user.counsellor is not None and user.counsellor.active
    client.post("/logout")
    provider.set_user("both", email="bo@vlfk.example.no", name="Bo Begge", groups=["g-lead-46"])
    sign_in(app.test_client(), provider, "both")
    db.session.refresh(user)
    assert user.role is Role.LEAD and user.counsellor.active   # a lead who counsels
    # made a referrer (a group that does not counsel): off; back to counsellor: on again
    provider.set_user("both", email="bo@vlfk.example.no", name="Bo Begge", groups=["g-referrer-4601"])
    sign_in(app.test_client(), provider, "both")
    db.session.refresh(user)
    assert user.role is Role.REFERRER and not user.counsellor.active
    provider.set_user("both", email="bo@vlfk.example.no", name="Bo Begge", groups=["g-counsellor-46"])
    sign_in(app.test_client(), provider, "both")
    db.session.refresh(user)
    assert user.role is Role.COUNSELLOR and user.counsellor.active


def test_a_refusal_keeps_its_reason_on_reload_and_in_another_language_and_offers_another_account(client, provider):
    """Choosing nynorsk on the refusal page re-ran the one-time callback: "already used" replaced the reason.
    And a refused person was signed straight back in as the same account at the next try."""
    response = sign_in(client, provider, "visitor")
    assert response.status_code == 403
    outcome = response.request.path
    client.post("/language", data={"language": "nn", "next": outcome})
    again = client.get(outcome)
    page = again.get_data(as_text=True)
    assert again.status_code == 403 and "ikkje i nokon gruppe som gir ei rolle" in page
    assert "Logg ut hos" in page and f"{provider.issuer}/session/end" in page


def test_a_sign_in_cancelled_at_the_provider_says_so_and_keeps_its_code(client, provider):
    """The provider's "access_denied" read as "already used, or took too long", and the audit kept only
    "OAuthError": the county's IT staff could not see what the provider said."""
    authorize = start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = visit(client, f"/login/oidc/county/callback?error=access_denied&error_description=End-User+aborted&state={state}")
    assert response.status_code == 400 and "Innloggingen ble avbrutt hos" in response.get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.sign_in_failed")).all()[-1]
    assert json.loads(event.detail)["provider_error"] == "access_denied"
    assert "aborted" not in (event.detail or "")


def test_logging_out_everywhere_also_logs_out_at_the_provider(client, provider):
    assert sign_in(client, provider, "lead").status_code == 302
    response = client.post("/logout/everywhere")
    assert response.headers["Location"].startswith(f"{provider.issuer}/session/end")


def test_a_county_account_connected_to_one_person_cannot_open_anothers_invitation(client, provider):
    """Opening a colleague's invitation while signed in at the county as oneself signed one's own account in
    without a word, and left the colleague's invitation unused."""
    import re

    from guidance.models import OutboxMessage

    sign_in(client, provider, "lead")   # Lea's county account is hers
    client.post("/logout")
    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    client.post("/admin/users/new", data={"name": "Ny Leder B", "email": "ny.b@vlfk.example.no", "role": "lead",
                                          "county_id": str(f.county("46").id), "municipality_id": "0",
                                          "password": ""})
    client.post("/logout")
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "ny.b@vlfk.example.no"))
    token = re.search(r"/account/invitation/(\S+)", message.body).group(1)
    started = client.post("/login/oidc/county", data={"invitation": token})
    refused = visit(client, Browser(provider).sign_in(started.headers["Location"], "lead"))
    assert refused.status_code == 403 and "ikke den invitasjonen gjaldt" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302   # nobody signed in
    newcomer = db.session.scalar(select(User).where(User.email == "ny.b@vlfk.example.no"))
    assert newcomer.identities == []


def test_an_administrator_reconnects_a_person_whose_county_account_was_replaced(client, app, provider, inbox):
    """A recreated county account (a new subject, the same e-mail) was refused for good: "an account with your
    e-mail exists, ask for an invitation", and nobody could send one to an account already on the county."""
    import re

    from guidance.models import OutboxMessage

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox[1])   # the link is e-mailed

    provider.set_user("old-kari", email="kari.ny@vlfk.example.no", name="Kari Ny", groups=["g-lead-46"])
    sign_in(client, provider, "old-kari")
    kari = db.session.scalar(select(User).where(User.email == "kari.ny@vlfk.example.no"))
    client.post("/logout")
    provider.set_user("new-kari", email="kari.ny@vlfk.example.no", name="Kari Ny", groups=["g-lead-46"])
    assert sign_in(app.test_client(), provider, "new-kari").status_code == 403   # email_taken, as before

    admin = f.user(Role.ADMIN, county_number=None)
    f.login(client, admin)
    page = client.get(f"/admin/users/{kari.id}").get_data(as_text=True)
    assert "Send lenke på e-post for å koble til den nye fylkeskontoen" in page
    assert client.post(f"/admin/users/{kari.id}/connect").status_code == 302
    client.post("/logout")
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == kari.email)).all()[-1]
    token = re.search(r"/account/invitation/(\S+)", message.body).group(1)
    started = client.post("/login/oidc/county", data={"invitation": token})
    assert client.get(Browser(provider).sign_in(started.headers["Location"], "new-kari")).status_code == 302
    db.session.expire_all()
    kari = db.session.get(User, kari.id)
    assert [i.subject for i in kari.identities] == ["new-kari"] and kari.role is Role.LEAD
    assert len(db.session.scalars(select(User).where(User.email == "kari.ny@vlfk.example.no")).all()) == 1
    # the link never sets a password on a county account
    assert app.test_client().post(f"/account/invitation/{token}", data={
        "new_password": "fjord lantern quietly 42", "repeat_password": "fjord lantern quietly 42"}).status_code in (200, 400)
    db.session.expire_all()
    assert not db.session.get(User, kari.id).check_password("fjord lantern quietly 42")


def test_an_office_signing_in_at_once_is_not_held_back_by_the_password_forms_limit(app_config, provider):
    """The eleventh press of the county's login button in a minute from one address was refused ("Too many
    attempts"): the button guesses no password, and an office behind one address signs in at 08:00."""
    from guidance import create_app

    app_config["LOGIN_RATE_LIMIT"] = "2 per minute"
    app = create_app(app_config)
    with app.app_context():
        client = app.test_client()
        assert all(client.post("/login/oidc/county").status_code == 302 for _ in range(12))
        for _ in range(2):
            client.post("/login", data={"email": "nobody@example.no", "password": "wrong password 1"})
        assert client.post("/login", data={"email": "nobody@example.no", "password": "wrong password 1"}).status_code == 429


def test_without_a_mail_server_the_administrator_is_shown_the_link_to_connect_a_new_county_account(client, provider):
    """"The administrator can show its link on the person's user page", said the flash, and the page had no such
    button: without a mail server a replaced county account could not be connected at all."""
    sign_in(client, provider, "lead")
    lead = db.session.scalar(select(User).where(User.email == "lea.lead@vlfk.example.no"))
    client.post("/logout")
    f.login(client, f.user(Role.ADMIN, county_number=None))
    page = client.get(f"/admin/users/{lead.id}").get_data(as_text=True)
    assert "Vis en lenke for å koble til den nye fylkeskontoen" in page
    shown = client.post(f"/admin/users/{lead.id}/connect")
    body = shown.get_data(as_text=True)
    assert shown.status_code == 200 and 'id="connect-link"' in body and "/account/invitation/" in body
    assert shown.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited")) is not None
