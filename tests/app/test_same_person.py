"""Referrals from two municipalities that look like one person (services/same_person.py): a family that moved on
was referred by both, and the centre booked the person twice."""
import html

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # pages over the ORM: nothing a second database decides


def _page(client, path: str) -> str:
    return " ".join(html.unescape(client.get(path).get_data(as_text=True)).split())


def test_the_lead_sees_another_municipalitys_referral_of_the_same_person_until_marked_as_two(client):
    w = f.world()
    bergen = f.referral(municipality_number="4601", name="Dilan Şêxo", language="kmr")
    askoy = f.referral(municipality_number="4627", name="Dilan Sexo", language="kmr")   # written without the marks
    again = f.referral(municipality_number="4601", name="Dilan Şêxo", language="kmr")   # same municipality: the intake's
    for n, r in enumerate((bergen, askoy, again)):   # the factory's referrals share one phone number
        r.participant.phone = f"+47 41{n} 00 000"
    db.session.commit()
    f.login(client, w.lead)

    page = _page(client, f"/referrals/{bergen.id}")
    section = page[page.index('id="twins"'):page.index("</section>", page.index('id="twins"'))]
    assert askoy.reference in section and "fra Askøy" in section and "samme navn" in section
    assert section.count("<li>") == 1   # not the Bergen one: the intake checks its own municipality
    queue = _page(client, "/queue/")
    assert "Henvist to ganger?" in queue

    # The referrer never sees another municipality's referral, nor that there is one.
    referrer = client.application.test_client()
    f.login(referrer, w.referrer)
    assert 'id="twins"' not in _page(referrer, f"/referrals/{bergen.id}") and askoy.reference not in \
        _page(referrer, f"/referrals/{bergen.id}")
    assert referrer.post(f"/referrals/{bergen.id}/not-same/{askoy.id}").status_code in (403, 404)

    # Checked with the referrers: two people. The warning goes, on both referrals' pages.
    assert client.post(f"/referrals/{bergen.id}/not-same/{askoy.id}").status_code == 302
    assert 'id="twins"' not in _page(client, f"/referrals/{bergen.id}")
    askoy_page = _page(client, f"/referrals/{askoy.id}")
    twins = askoy_page[askoy_page.index('id="twins"'):askoy_page.index("</section>", askoy_page.index('id="twins"'))]
    assert bergen.reference not in twins and again.reference in twins   # only the pair that was checked
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.not_same_person")).actor_id == w.lead.id


def test_the_same_phone_number_in_two_municipalities_is_named_as_such(client):
    w = f.world()
    first = f.referral(municipality_number="4601", name="Amina Yusuf", language="so")
    second = f.referral(municipality_number="4621", name="Hodan Ali", language="so")
    first.participant.phone = second.participant.phone = "+47 412 34 567"
    db.session.commit()
    f.login(client, w.lead)
    page = _page(client, f"/referrals/{second.id}")
    assert first.reference in page and "samme telefonnummer (familier deler ofte ett)" in page
