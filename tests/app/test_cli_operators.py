"""Operators' commands: the first administrator and API tokens from the command line (issue 21)."""
import pytest
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import ApiToken, AuditEvent, Role, User
from guidance.services import accounts, api_tokens
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_create_admin_prints_a_one_time_password_that_signs_in(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "Drift@Fylke.example.no"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert len(password) >= 12
    admin = accounts.authenticate("drift@fylke.example.no", password)
    assert admin is not None and admin.role is Role.ADMIN and admin.county_id is None
    assert f.login(client, admin, password).status_code == 302
    # A new administrator sets up the second factor before any page.
    assert client.get("/admin/users").headers["Location"] == "/account/second-factor/enrol"
    assert len(f.enrol_through_page(client)) == 10
    # Then the printed password is replaced by one the administrator chooses ("change it" was not enforced).
    assert client.get("/admin/users").headers["Location"] == "/account/password"
    changed = client.post("/account/password", data={"current_password": password,
                                                     "new_password": "drift sin egen passfrase 3",
                                                     "repeat_password": "drift sin egen passfrase 3"})
    assert changed.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created")).actor_id is None


def test_create_admin_reads_the_password_from_standard_input(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "drift@fylke.example.no", "--password-stdin"],
                                          input="a-long-secret-passphrase\n")
    assert result.exit_code == 0, result.output
    assert "a-long-secret-passphrase" not in result.output
    assert accounts.authenticate("drift@fylke.example.no", "a-long-secret-passphrase") is not None


def test_create_admin_refuses_bad_input_with_exit_code_2_and_writes_nothing(app):
    existing = f.user(Role.LEAD)
    runner = app.test_cli_runner()
    before = _users()
    cases = [
        (["create-admin", "--email", "not-an-address"], None, "not a valid e-mail address"),
        (["create-admin", "--email", "drift@fylke.example.no", "--password-stdin"], "short\n", "at least 12"),
        (["create-admin", "--email", existing.email.upper()], None, "e-post"),
    ]
    for args, stdin, message in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
    assert _users() == before
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created")) is None


def test_api_token_create_prints_a_token_that_authenticates_once_stored_hashed(app):
    f.centre()   # Bergen's county has a career centre: its referrals reach someone
    result = app.test_cli_runner().invoke(args=["api-token", "create", "--municipality", "4601", "--name", "Fagsystem"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    token = api_tokens.authenticate(plaintext)
    assert token is not None and token.municipality.number == "4601" and token.name == "Fagsystem"
    assert token.token_hash != plaintext and plaintext not in token.token_hash
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.created")) is not None


def test_api_token_create_refuses_bad_input_with_exit_code_2_and_writes_nothing(app):
    runner = app.test_cli_runner()
    for args, message in ((["--municipality", "9999", "--name", "Fagsystem"], "9999"),
                          (["--municipality", "4601", "--name", "   "], "Gi navn til systemet"),
                          (["--municipality", "4601", "--name", "x" * 201], "høyst 200 tegn")):
        result = runner.invoke(args=["api-token", "create", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
