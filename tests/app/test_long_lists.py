"""Long lists at county scale (issue 24, items 8 and 9): the referral list and the outbox page
50 at a time, search and filter, never beyond what the user may see, and say what to do when
nothing matches."""
from __future__ import annotations

import datetime as dt
import re

from guidance.extensions import db
from guidance.models import LegalBasis, Participant, Referral, ReferralStatus
from guidance.services import mail
from guidance.services.referral_reference import new_reference
from tests.app import factories as f



def _reads(person, language: str) -> None:
    """The person's saved language choice (pages follow it)."""
    person.language = language
    db.session.commit()


def _many_referrals(count: int, *, municipality_number: str = "4601", status=ReferralStatus.RECEIVED,
                    deadline: dt.date = dt.date(2027, 4, 1)) -> list[Referral]:
    place = f.municipality(municipality_number)
    made = []
    for n in range(count):
        participant = Participant(name=f"Deltaker {n}", phone="+47 400 00 000", municipality=place, language="uk",
                                  needs_interpreter=True)
        made.append(Referral(reference=new_reference(), participant=participant, county=place.county,
                             referring_municipality=place, legal_basis=LegalBasis.INTEGRATION_ACT,
                             settlement_date=dt.date(2027, 1, 2), earliest_date=dt.date(2027, 1, 2),
                             deadline=deadline + dt.timedelta(days=n % 30), status=status))
    db.session.add_all(made)
    db.session.commit()
    return made


def _referral_links(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/referrals/(\d+)"', page)]


def _text(client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.get_data(as_text=True)


# -- the referral list -----------------------------------------------------------------------

def test_the_lead_reads_the_referrals_fifty_a_page_nearest_deadline_first(app, client):
    w = f.world()
    _many_referrals(118)  # with the world's two: 120 in the county, three pages
    _reads(w.lead, "en")
    f.login(client, w.lead)

    first = _referral_links(_text(client, "/referrals/"))
    assert len(first) == 50
    page_two = _text(client, "/referrals/?page=2")
    assert len(_referral_links(page_two)) == 50 and not set(first) & set(_referral_links(page_two))
    assert 'href="/referrals/?page=3" rel="next"' in page_two and 'href="/referrals/?page=1" rel="prev"' in page_two
    last = _text(client, "/referrals/?page=3")
    assert len(_referral_links(last)) == 20 and 'rel="next"' not in last
    assert _referral_links(_text(client, "/referrals/?page=99")) == _referral_links(last)  # past the end: the last page
    deadlines = [r.deadline for r in (db.session.get(Referral, i) for i in first)]
    assert deadlines == sorted(deadlines)


def test_closed_referrals_come_after_the_open_ones_whatever_their_deadline(app, client):
    """A referral whose note was shared in November headed the referrer's list by its old deadline, above the
    participants still waiting for a session."""
    w = f.world()
    finished = _many_referrals(3, status=ReferralStatus.NOTE_SHARED, deadline=dt.date(2026, 11, 1))
    waiting = _many_referrals(3, deadline=dt.date(2027, 4, 1))
    f.login(client, w.referrer)
    shown = _referral_links(_text(client, "/referrals/"))
    closed = [shown.index(r.id) for r in finished]
    assert all(shown.index(r.id) < min(closed) for r in waiting), shown


def test_a_reference_finds_its_referral_in_any_case_and_in_part(app, client):
    w = f.world()
    _many_referrals(60)
    _reads(w.lead, "en")
    f.login(client, w.lead)
    wanted = w.other_referral.reference

    found = _referral_links(_text(client, f"/referrals/?reference={wanted.lower()}"))
    assert found == [w.other_referral.id]
    part = _referral_links(_text(client, f"/referrals/?reference={wanted[-5:]}"))
    assert w.other_referral.id in part and len(part) < 50


def test_the_status_and_municipality_filters_narrow_the_list_and_paging_keeps_them(app, client):
    w = f.world()
    withdrawn = _many_referrals(55, status=ReferralStatus.WITHDRAWN)
    _many_referrals(3, municipality_number="4621")
    _reads(w.lead, "en")
    f.login(client, w.lead)

    page = _text(client, "/referrals/?status=withdrawn")
    assert set(_referral_links(page)) <= {r.id for r in withdrawn} and len(_referral_links(page)) == 50
    assert 'href="/referrals/?page=2&amp;status=withdrawn" rel="next"' in page
    voss = f.municipality("4621")
    in_voss = _referral_links(_text(client, f"/referrals/?municipality={voss.id}"))
    assert len(in_voss) == 4 and all(db.session.get(Referral, i).referring_municipality_id == voss.id for i in in_voss)


def test_a_referrers_search_never_returns_another_municipalitys_referral(app, client):
    w = f.world()
    _reads(w.referrer, "en")
    f.login(client, w.referrer)  # Bergen

    by_reference = _text(client, f"/referrals/?reference={w.other_referral.reference}")
    assert _referral_links(by_reference) == [] and "Yonas Tesfay" not in by_reference
    voss = f.municipality("4621")
    by_municipality = _text(client, f"/referrals/?municipality={voss.id}")
    assert w.other_referral.id not in _referral_links(by_municipality)
    assert _referral_links(_text(client, "/referrals/")) == [w.own_referral.id]


def test_a_search_without_matches_says_so_and_how_to_clear_it(app, client):
    w = f.world()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    page = _text(client, "/referrals/?reference=ZZZZZZ")
    assert "No referrals match." in page
    assert '<a href="/referrals/">Clear the filters to see every referral</a>' in page
    assert 'value="ZZZZZZ"' in page  # the search stays in the box
    _reads(w.lead, "nb")
    norsk = client.get("/referrals/?reference=ZZZZZZ").get_data(as_text=True)
    assert "Ingen henvisninger passer." in norsk


def test_a_referrer_with_no_municipality_filter_is_not_told_to_choose_another_municipality(app, client):
    w = f.world()
    f.login(client, w.referrer)
    page = _text(client, "/referrals/?reference=ZZZZZZ")
    assert "Sjekk referansen, eller velg en annen status." in page and "status eller kommune" not in page


def test_the_list_shows_deadlines_as_people_write_them_with_the_week(app, client, travel_to):
    travel_to(dt.datetime(2027, 11, 20, 12, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    w.own_referral.deadline = dt.date(2027, 12, 6)  # a Monday, ISO week 49
    w.other_referral.deadline = dt.date(2028, 1, 4)
    db.session.commit()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    _reads(w.lead, "nb")
    norsk = client.get("/referrals/").get_data(as_text=True)
    assert "6. desember</time> <span class=\"muted\">(uke 49)</span>" in norsk
    assert "4. januar 2028</time>" in norsk  # another year: with the year
    _reads(w.lead, "en")
    assert "6 December</time> <span class=\"muted\">(week 49)</span>" in _text(client, "/referrals/")


# -- the outbox ------------------------------------------------------------------------------

def _subjects(page: str) -> list[str]:
    return re.findall(r'<h2 id="message-\d+-subject">([^<]*)</h2>', page)


def test_the_outbox_pages_fifty_e_mails_newest_first(app, client):
    w = f.world()
    for n in range(120):
        mail.queue(w.interpreter, f"Tolkeforespørsel {n:03d}", "Hei")
    db.session.commit()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    first = _subjects(_text(client, "/outbox/"))
    assert len(first) == 50 and first[0] == "Tolkeforespørsel 119" and first[-1] == "Tolkeforespørsel 070"
    last = _text(client, "/outbox/?page=3")
    assert len(_subjects(last)) == 20 and _subjects(last)[-1] == "Tolkeforespørsel 000"
    assert 'href="/outbox/?page=2" rel="prev"' in last


def test_the_outbox_searches_the_address_and_the_subject(app, client):
    w = f.world()
    mail.queue(w.interpreter, "Tolkeforespørsel uke 49", "Hei")
    mail.queue(w.counsellor, "Ny økt", "Hei")
    mail.queue(w.referrer, "Veiledningsnotat delt", "Hei")
    db.session.commit()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    assert _subjects(_text(client, "/outbox/?q=TOLKEFORESPØRSEL")) == ["Tolkeforespørsel uke 49"]
    assert _subjects(_text(client, f"/outbox/?q={w.counsellor.email}")) == ["Ny økt"]
    assert _subjects(_text(client, "/outbox/?q=100%25")) == []  # a % is a character, not a wildcard


def test_the_outbox_filters_waiting_sent_not_delivered_and_replaced(app, client):
    w = f.world()
    now = dt.datetime.now(dt.timezone.utc)
    waiting = mail.queue(w.interpreter, "Waiting one", "Hei")
    sent = mail.queue(w.interpreter, "Sent one", "Hei")
    failed = mail.queue(w.interpreter, "Failed one", "Hei")
    newer = mail.queue(w.interpreter, "Newer one", "Hei")
    replaced = mail.queue(w.interpreter, "Replaced one", "Hei")
    db.session.flush()
    sent.sent_at = now
    failed.failed_at, failed.error, failed.attempts = now, "SMTPRecipientsRefused 550", 1
    replaced.superseded_by_id = newer.id
    db.session.commit()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    assert set(_subjects(_text(client, "/outbox/?state=pending"))) == {"Waiting one", "Newer one"}
    assert _subjects(_text(client, "/outbox/?state=sent")) == ["Sent one"]
    failed_page = _text(client, "/outbox/?state=failed")
    assert _subjects(failed_page) == ["Failed one"]
    # Why, in words (it said "SMTPRecipientsRefused"), the server's code kept.
    assert "the mail server refused the address (550)" in failed_page
    assert _subjects(_text(client, "/outbox/?state=replaced")) == ["Replaced one"]
    assert _subjects(_text(client, "/outbox/?state=pending&q=newer")) == ["Newer one"]
    assert waiting.id  # the waiting one is listed above


def test_a_leads_outbox_search_never_shows_another_countys_mail(app, client):
    w = f.world()
    mail.queue(w.other_county_lead, "Tolkeforespørsel Nordland", "Hei")
    mail.queue(w.interpreter, "Tolkeforespørsel Vestland", "Hei")
    db.session.commit()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    assert _subjects(_text(client, "/outbox/?q=Tolkeforespørsel")) == ["Tolkeforespørsel Vestland"]
    empty = _text(client, f"/outbox/?q={w.other_county_lead.email}")
    assert _subjects(empty) == [] and "No e-mails match." in empty
    assert '<a href="/outbox/">Clear the search and show every e-mail</a>' in empty


def test_an_empty_outbox_says_what_will_appear_there(app, client):
    w = f.world()
    _reads(w.lead, "en")
    f.login(client, w.lead)

    page = _text(client, "/outbox/")
    assert "No e-mails yet. Interpreter requests, invitations and notices to municipalities appear here" in page
    assert "No e-mails match." not in page
    # A list chosen without a search (the failed ones, all sent again) does not ask to check a spelling.
    failed = _text(client, "/outbox/?state=failed")
    assert "No e-mails in this list." in failed and "Check the spelling" not in failed
