"""Data-subject search: what the admin types is literal text, phones match however written
(issue 25, item 7); phones are stored in one form."""
from __future__ import annotations

from guidance.extensions import db
from guidance.models import Role
from guidance.services import referrals
from guidance.services.data_subject import find_participants
from tests.app import factories as f
from tests.app.test_intake import valid_data


def test_percent_and_underscore_are_not_wildcards(app):
    f.referral(name="Amal Haddad")
    f.referral(name="Yonas Tesfay")
    special = f.referral(name="Per_Olav 100%")
    assert find_participants("%") == [special.participant]
    assert find_participants("_") == [special.participant]
    assert find_participants("a_a") == []


def test_phones_match_by_digits_in_either_direction(app):
    stored = f.referral(name="Amal Haddad")
    stored.participant.phone = "+47 443 31 743"
    other = f.referral(name="Yonas Tesfay")
    other.participant.phone = "44331744"
    db.session.commit()
    for query in ("44331743", "+4744331743", "0047 443 31 743", "443 31 743"):
        assert find_participants(query) == [stored.participant], query


def test_the_admin_page_finds_a_phone_typed_without_spaces(client):
    w = f.world()
    w.own_referral.participant.phone = "+47 443 31 743"
    db.session.commit()
    f.login(client, w.admin)
    page = client.post("/admin/data-subject", data={"query": "44331743"}).get_data(as_text=True)
    assert "Amal Haddad" in page and "Yonas Tesfay" not in page
    # namesakes are told apart by language and when each was referred
    assert "mottatt " in page and "Arabisk" in page


def test_a_norwegian_number_is_stored_in_one_form(app):
    referrer = f.user(Role.REFERRER)
    for typed, name in (("44331743", "A One"), ("0047 44 33 17 43", "B Two"), ("+4744331743", "C Three"),
                        ("+46 70 123 45 67", "D Four")):
        result = referrals.submit_referral(referrer, valid_data(name=name, phone=typed), referring=referrer.municipality,
                                           confirm_duplicate=True)
        expected = "+46 70 123 45 67" if typed.startswith("+46") else "+47 443 31 743"
        assert result.referral.participant.phone == expected, typed


def test_the_officer_reads_a_participants_record_and_who_opened_it_then_anonymises_them_on_request(client, app):
    """A referral sent by mistake: the officer had only a JSON dump, no history of who looked, and no way to erase
    one person before the retention period ended."""
    import html

    from guidance.models import Participant
    from guidance.services.referrals import withdraw_referral

    w = f.world()
    referral = w.own_referral
    referrer = app.test_client()
    f.login(referrer, w.referrer)
    assert referrer.get(f"/referrals/{referral.id}").status_code == 200   # recorded as opened
    f.login(client, w.admin)
    page = html.unescape(client.get(f"/admin/participants/{referral.participant_id}").get_data(as_text=True))
    assert f"Opplysninger om {referral.participant.name}" in page and f"Henvisning {referral.reference}" in page
    assert "Henvisning mottatt" in page or "Historikk" in page
    access = page[page.index("Hvem som har åpnet opplysningene"):]
    assert w.referrer.name in access and "Åpnet henvisningen" in access
    # The officer's own opening is recorded too, as the page says every opening is (it was not).
    again = html.unescape(client.get(f"/admin/participants/{referral.participant_id}").get_data(as_text=True))
    access = again[again.index("Hvem som har åpnet opplysningene"):]
    assert w.admin.name in access and "Åpnet alt om deltakeren (personvernsiden)" in access
    from sqlalchemy import select

    from guidance.models import AuditEvent

    client.post("/admin/data-subject", data={"query": referral.participant.name})
    searched = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.searched"))
    assert searched is not None and referral.participant.name not in (searched.detail or "")
    # still open: the officer is told what must happen first, and nothing is offered to press
    assert f"Henvisning {referral.reference} er fortsatt åpen" in page
    assert client.post(f"/admin/participants/{referral.participant_id}/anonymise",
                       data={"checked": "y"}).status_code == 400
    person = db.session.get(Participant, referral.participant_id)
    assert person.anonymised_at is None

    withdraw_referral(w.referrer, referral, "Sendt ved en feil")
    page = html.unescape(client.get(f"/admin/participants/{referral.participant_id}").get_data(as_text=True))
    assert "Anonymiser " + person.name in page
    unticked = client.post(f"/admin/participants/{referral.participant_id}/anonymise", data={})
    assert unticked.status_code == 400 and "Kryss av for å bekrefte" in unticked.get_data(as_text=True)
    done = client.post(f"/admin/participants/{referral.participant_id}/anonymise", data={"checked": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    person = db.session.get(Participant, referral.participant_id)
    assert person.name == "Anonymisert" and person.phone is None and person.anonymised_at is not None
    page = html.unescape(client.get(done.location).get_data(as_text=True))
    assert "Deltakeren er anonymisert" in page and "Anonymiser nå" not in page


def test_names_in_every_alphabet_are_found_whatever_the_case(app):
    """SQLite's lower() folds A-Z only: "Øvrebø", "Şêxo" and "Ødegård" were never found (nor by the officer
    answering an access request, who would have said "nothing held")."""
    ovrebo = f.referral(name="Ahmed Øvrebø")
    sexo = f.referral(name="Dilan Şêxo")
    olena = f.referral(name="Олена Коваленко")
    assert find_participants("øvrebø") == [ovrebo.participant]
    assert find_participants("ØVREBØ") == [ovrebo.participant]
    assert find_participants("şêxo") == [sexo.participant]
    assert find_participants("коваленко") == [olena.participant]
