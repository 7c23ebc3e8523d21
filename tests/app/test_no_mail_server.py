"""A county that starts without a mail server (the demo's default, and a real county's first week): no
invitation leaves. The pages said "was e-mailed an invitation" of each person the lead added; the lead
waited, and nobody heard. Now they say no e-mail leaves, the lead's people pages warn, and the
administrator is shown a new invitation's link once, to hand over another way."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, Location, User
from tests.app import factories as f
from tests.app.test_people import _counsellor_form

pytestmark = pytest.mark.one_database  # pages over the ORM

LINK = re.compile(r"(https?://\S+/account/invitation/[^\s<]+)")


def test_without_a_mail_server_nobody_is_told_an_invitation_was_e_mailed_and_the_admin_hands_over_the_link(client, app):
    assert not app.config.get("MAIL_SERVER")
    w = f.world()
    location = db.session.scalar(select(Location).order_by(Location.id))
    f.login(client, w.lead)
    assert 'id="no-mail"' in client.get("/people/counsellors").get_data(as_text=True)
    page = html.unescape(client.post("/people/counsellors/new", data=_counsellor_form(location),
                                     follow_redirects=True).get_data(as_text=True))
    assert "fikk en invitasjon på e-post" not in page
    assert "kari@karriere.example.no har ikke fått invitasjonen" in page
    kari = db.session.scalar(select(User).where(User.email == "kari@karriere.example.no"))
    client.post("/logout")

    f.login(client, w.admin)
    user_page = client.get(f"/admin/users/{kari.id}").get_data(as_text=True)
    assert "E-post en ny invitasjon" not in user_page and "Vis en invitasjonslenke" in user_page
    shown = client.post(f"/admin/users/{kari.id}/invitation-link")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    link = LINK.search(html.unescape(shown.get_data(as_text=True))).group(1)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.invited",
                                                       AuditEvent.object_id == kari.id)).all()
    client.post("/logout")

    # The link gets Kari in: she chooses her password.
    path = link[link.index("/account/invitation/"):]
    welcome = client.get(path)
    assert welcome.status_code == 200 and "kari@karriere.example.no" in welcome.get_data(as_text=True)
    chosen = client.post(path, data={"new_password": "Fjordlys-Tromsø-2027", "repeat_password": "Fjordlys-Tromsø-2027"})
    assert chosen.status_code == 302


def test_without_a_mail_server_no_page_offers_to_e_mail_an_invitation(client):
    """The lead's home said "each person you enter is e-mailed an invitation" and the referrers' page offered
    "Add and e-mail the invitation" and "E-mail an invitation" while nothing could leave."""
    w = f.world()
    f.login(client, w.lead)
    referrers = html.unescape(client.get("/people/referrers").get_data(as_text=True))
    assert "Legg til henviseren" in referrers and "Legg til og send invitasjonen" not in referrers
    assert "Send en invitasjon på e-post" not in referrers and "Send en ny invitasjon på e-post" not in referrers


def test_without_a_mail_server_only_a_new_request_says_to_call_the_interpreter(client):
    """The warning "the interpreter has not got this, call them" stood after the lead recorded the yes they got on the
    phone (the very thing it asks for), and after a cancellation."""
    from tests.app.test_bookings import _booked

    w = f.world()
    session, booking = _booked(w)
    f.login(client, w.lead)
    warning = "tolken har ikke fått dette"
    answered = client.post(f"/centre/interpreters/{booking.id}/phone-answer", data={"answer": "accept"},
                           follow_redirects=True)
    assert warning not in html.unescape(answered.get_data(as_text=True))
    cancelled = client.post(f"/planning/sessions/{session.id}/cancel", data={"reason": "other"}, follow_redirects=True)
    assert warning not in html.unescape(cancelled.get_data(as_text=True))
