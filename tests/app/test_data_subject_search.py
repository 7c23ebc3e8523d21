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


def test_a_norwegian_number_is_stored_in_one_form(app):
    referrer = f.user(Role.REFERRER)
    for typed, name in (("44331743", "A One"), ("0047 44 33 17 43", "B Two"), ("+4744331743", "C Three"),
                        ("+46 70 123 45 67", "D Four")):
        result = referrals.submit_referral(referrer, valid_data(name=name, phone=typed), referring=referrer.municipality,
                                           confirm_duplicate=True)
        expected = "+46 70 123 45 67" if typed.startswith("+46") else "+47 443 31 743"
        assert result.referral.participant.phone == expected, typed
