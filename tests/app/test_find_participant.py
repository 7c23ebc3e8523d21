"""Finding a participant by name or phone: for the phone call that gives a name; the name never
sits in a URL, the access log or the audit trail."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent
from tests.app import factories as f
from tests.app.planning.helpers import planning_world

pytestmark = pytest.mark.one_database  # a page and one query over the ORM


def test_a_lead_finds_a_participant_by_name_or_phone_without_the_name_in_the_address(client, travel_to):
    """A referrer phones about 'Amal'; the list searched references only."""
    travel_to(f.oslo(2027, 1, 12, 8, 30))
    w = planning_world()
    w.own_referral.participant.phone = "+47 412 34 567"
    elsewhere = f.referral(municipality_number="1804", name="Amal Haddad")   # Bodø: another county's
    db.session.commit()
    f.login(client, w.lead)
    assert client.get("/referrals/find").status_code == 200
    # The referral list and the queue (where the lead is when the phone rings) have the search box,
    # posting to the finder (a name never goes in the address).
    for path in ("/referrals/", "/queue/"):
        listing = client.get(path).get_data(as_text=True)
        form = listing[listing.index('action="/referrals/find"') - 40:listing.index("</form>", listing.index('action="/referrals/find"'))]
        assert 'method="post"' in form and 'name="name"' in form and 'name="csrf_token"' in form, path
    page = html.unescape(client.post("/referrals/find", data={"name": "haddad amal"}, follow_redirects=True).get_data(as_text=True))
    assert w.own_referral.reference in page and elsewhere.reference not in page
    assert "1 deltaker funnet" in page
    assert w.own_referral.reference in client.post("/referrals/find", data={"name": "41234"}, follow_redirects=True).get_data(as_text=True)
    # The reference from a letter or an e-mail, however it is typed; another county's is not found.
    for typed in (w.own_referral.reference, w.own_referral.reference.lower(), w.own_referral.reference[2:],
                  w.own_referral.reference.replace("-", "")):
        found = html.unescape(client.post("/referrals/find", data={"name": typed}, follow_redirects=True)
                              .get_data(as_text=True))
        assert w.own_referral.reference in found and "1 deltaker funnet" in found, typed
    other = html.unescape(client.post("/referrals/find", data={"name": elsewhere.reference}, follow_redirects=True)
                          .get_data(as_text=True))
    assert "Ingen du har tilgang til" in other and f"/referrals/{elsewhere.id}\"" not in other
    none = html.unescape(client.post("/referrals/find", data={"name": "Amal Nordmann"}, follow_redirects=True).get_data(as_text=True))
    assert "Ingen du har tilgang til" in none
    [event, *_] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.searched")).all()
    assert "Amal" not in (event.detail or "") and "haddad" not in (event.detail or "")


def test_back_from_a_participant_returns_to_the_results_without_sending_the_search_again(client):
    """A referrer searched "Aydin", opened her and pressed Back: the browser asked to resubmit the form. The
    search answers with a redirect, and the results page is a GET that the browser can show again; the name is
    still never in an address."""
    w = f.world()
    f.login(client, w.referrer)
    response = client.post("/referrals/find", data={"name": "Haddad"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/referrals/find" and "Haddad" not in response.headers["Location"]
    again = html.unescape(client.get("/referrals/find").get_data(as_text=True))
    assert w.own_referral.reference in again and 'value="Haddad"' in again
