"""An administrator manages users."""
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Role, User
from tests.app import factories as f


def _form(**overrides):
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
