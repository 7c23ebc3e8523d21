"""Logging in and out, and how bad input is answered."""
import pytest
from guidance.models import Role
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def test_each_role_logs_in_and_sees_its_home_page(client):
    w = f.world()
    headings = {
        Role.ADMIN: "Administrasjon",
        Role.LEAD: "Karrieresenter – Vestland",
        Role.COUNSELLOR: "Dine veiledningstimer",
        Role.INTERPRETER: "Dine tolkeoppdrag",
        Role.REFERRER: "Henvisninger fra Bergen",
    }
    for person in (w.admin, w.lead, w.counsellor, w.interpreter, w.referrer):
        response = f.login(client, person)
        assert response.status_code == 302
        page = client.get("/").get_data(as_text=True)
        assert headings[person.role] in page
        client.post("/logout")


def test_wrong_password_re_renders_the_form_with_a_message_and_the_email(client):
    person = f.user(Role.LEAD)
    response = client.post("/login", data={"email": person.email, "password": "wrong"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "E-postadressen eller passordet er feil." in page
    assert f'value="{person.email}"' in page
    assert client.get("/").status_code == 302  # still not logged in


def test_missing_fields_get_a_message_each(client):
    response = client.post("/login", data={"email": "not-an-email", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv inn en gyldig e-postadresse" in page
    assert "Skriv inn passordet ditt." in page
    assert 'aria-describedby="email-error"' in page


def test_deactivated_user_cannot_log_in(client):
    person = f.user(Role.COUNSELLOR)
    person.active = False
    from guidance.extensions import db

    db.session.commit()
    assert f.login(client, person).status_code == 400


def test_logout_needs_a_post(client):
    f.login(client, f.user(Role.LEAD))
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_login_never_redirects_off_site(client):
    person = f.user(Role.LEAD)
    response = client.post("/login?next=https://evil.example/", data={"email": person.email, "password": f.PASSWORD})
    assert response.headers["Location"] == "/login/code"  # a lead's second step keeps the target...
    response = client.post("/login/code", data={"code": f.second_factor_code(person)})
    assert response.headers["Location"] == "/"  # ...and still refuses the off-site one
    client.post("/logout")
    counsellor = f.user(Role.COUNSELLOR)
    response = client.post("/login?next=https://evil.example/", data={"email": counsellor.email, "password": f.PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_is_rate_limited(app_config, database_url):
    from guidance import create_app
    from guidance.extensions import limiter

    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    app = create_app(app_config)
    with app.app_context():
        limiter.reset()
        client = app.test_client()
        codes = [client.post("/login", data={"email": "x@example.no", "password": "nope"}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_forms_refuse_a_post_without_csrf_token(app_config):
    from guidance import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    with app.app_context():
        response = app.test_client().post("/login", data={"email": "a@example.no", "password": "x"})
    assert response.status_code == 400
    assert "Skjemaet" in response.get_data(as_text=True)


def _login_codes(app, forwarded_for: list[str]) -> list[int]:
    from guidance.extensions import limiter

    with app.app_context():
        limiter.reset()
        client = app.test_client()
        return [client.post("/login", data={"email": "x@example.no", "password": "nope"},
                            headers={"X-Forwarded-For": address}).status_code for address in forwarded_for]


def test_behind_a_trusted_proxy_each_client_has_its_own_login_budget(app_config, database_url):
    from guidance import create_app

    app_config.update(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    codes = _login_codes(create_app(app_config), ["192.0.2.10", "192.0.2.10", "192.0.2.10", "198.51.100.7"])
    assert codes == [400, 400, 429, 400]  # the second user behind the proxy is not locked out by the first


def test_without_a_trusted_proxy_a_forwarded_address_does_not_escape_the_login_limit(app_config, database_url):
    from guidance import create_app

    app_config["LOGIN_RATE_LIMIT"] = "2 per minute"
    codes = _login_codes(create_app(app_config), ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
    assert codes == [400, 400, 429]


def test_a_trusted_proxy_count_that_is_not_a_number_stops_the_start_with_a_message(monkeypatch, tmp_path):
    import pytest

    from guidance.config import build_config

    monkeypatch.setenv("TRUSTED_PROXIES", "one")
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be a whole number"):
        build_config(tmp_path)


def test_production_refuses_to_start_without_its_public_address(monkeypatch, tmp_path):
    """A Troms queue consumer started without BASE_URL wrote e-mails whose links led to 127.0.0.1:5000."""
    import pytest

    from guidance.config import build_config

    monkeypatch.setenv("GUIDANCE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-this-test")
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BASE_URL must be set in production"):
        build_config(tmp_path)
    monkeypatch.setenv("BASE_URL", "https://veiled.troms.example.no")
    assert build_config(tmp_path)["BASE_URL"] == "https://veiled.troms.example.no"


def test_passwords_are_stored_with_scrypt_outside_the_test_suite(app_config):
    """The suite hashes with a cheap method for speed; an app configured as deployments are uses scrypt."""
    from guidance import create_app
    from guidance.models import User

    app_config.pop("PASSWORD_HASH_METHOD")
    with create_app(app_config).app_context():
        person = User(email="someone@example.no", name="Someone", role=Role.LEAD)
        person.set_password("a long enough passphrase")
        assert person.password_hash.startswith("scrypt:")
        assert person.check_password("a long enough passphrase")
