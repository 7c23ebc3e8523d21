"""A referral whose session is over but has no outcome yet: not "booked" with no next session.

The walk as a referrer (2026-12-08): the session had been held that morning, the counsellor had not
recorded the outcome, and the referral read "Booked" with "Next session –" on the referral page and
in the list. Every page that shows the status now says the session is over and waits for the outcome.
"""
from __future__ import annotations

from guidance.extensions import db
from guidance.models import Outcome, ReferralStatus
from guidance.services import outcomes
from tests.app import factories as f
from tests.app.page_text import card, words
from tests.app.test_queue import queue_rows

OVER = "Timen er over, venter på utfall"


def _held_this_morning(w):
    """The own referral's session 09:00-10:30 today (Oslo), no outcome; another Bergen referral booked ahead."""
    held = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 12, 8, 9, 0), minutes=90)
    ahead = f.referral(name="Booked Person")
    f.published_session(w.counsellor, ahead, start=f.oslo(2026, 12, 10, 10, 0))
    return held, ahead


def _facts(page: str) -> str:
    return words(page[page.index('<dl class="facts">'):page.index("</dl>")])


def test_the_referral_page_says_the_session_is_over_and_waits_for_the_outcome(client, travel_to):
    travel_to(f.oslo(2026, 12, 8, 12, 0))
    w = f.world()
    held, _ahead = _held_this_morning(w)
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert f"Status {OVER} Neste time –" in _facts(page)
    assert "Booket" not in _facts(page)
    # The session's own row says the same, not "Booked" for a time gone by.
    assert '<strong class="tag tag-yellow">Over, venter på utfall</strong>' in page
    assert '<strong class="tag tag-green">Booket</strong>' not in page

    outcomes.record_outcomes(w.counsellor, held, {w.own_referral.id: Outcome.ATTENDED})
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert OVER not in page and "Over, venter på utfall" not in page


def test_a_session_under_way_is_still_booked(client, travel_to):
    travel_to(f.oslo(2026, 12, 8, 10, 0))   # 09:00-10:30: not over yet
    w = f.world()
    _held_this_morning(w)
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert "Status Booket" in _facts(page) and OVER not in page


def test_the_referral_list_shows_and_filters_the_session_over(client, travel_to):
    travel_to(f.oslo(2026, 12, 8, 12, 0))
    w = f.world()
    _held, ahead = _held_this_morning(w)
    f.login(client, w.referrer)
    listing = client.get("/referrals/").get_data(as_text=True)
    row = words(listing[listing.index(w.own_referral.reference):listing.index("</tr>", listing.index(w.own_referral.reference))])
    assert OVER in row and "Booket" not in row
    assert 'value="awaiting_outcome"' in listing
    assert queue_rows(client.get("/referrals/?status=awaiting_outcome").get_data(as_text=True)) == [w.own_referral.reference]
    assert queue_rows(client.get("/referrals/?status=booked").get_data(as_text=True)) == [ahead.reference]


def test_the_queue_counts_and_filters_the_session_over_apart_from_booked(client, travel_to):
    travel_to(f.oslo(2026, 12, 8, 12, 0))
    w = f.world()
    _held, ahead = _held_this_morning(w)
    f.login(client, w.lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert '<span class="figure-number">1</span> booket' in page
    assert f'<span class="figure-number">1</span> {OVER.lower()}' in page
    assert queue_rows(client.get("/queue/?status=awaiting_outcome").get_data(as_text=True)) == [w.own_referral.reference]
    assert queue_rows(client.get("/queue/?status=booked").get_data(as_text=True)) == [ahead.reference]


def test_the_referrer_home_does_not_count_a_session_over_as_waiting_for_a_session(client, travel_to):
    """"No session booked yet" was false for it: it had one this morning, and the centre has not said
    yet whether the participant came."""
    travel_to(f.oslo(2026, 12, 8, 12, 0))
    w = f.world()
    _held_this_morning(w)
    f.referral(name="Sara Haddad")   # nothing booked: waits
    f.login(client, w.referrer)
    waiting = card(client.get("/").get_data(as_text=True), "home-waiting")
    assert "1 åpen henvisning har ingen booket time ennå." in waiting


def test_a_no_show_recorded_later_puts_it_back_in_the_waiting_count(client, travel_to):
    travel_to(f.oslo(2026, 12, 8, 12, 0))
    w = f.world()
    held, _ahead = _held_this_morning(w)
    outcomes.record_outcomes(w.counsellor, held, {w.own_referral.id: Outcome.NO_SHOW})
    db.session.refresh(w.own_referral)
    assert w.own_referral.status is ReferralStatus.NO_SHOW
    f.login(client, w.referrer)
    waiting = card(client.get("/").get_data(as_text=True), "home-waiting")
    assert "1 åpen henvisning har ingen booket time ennå." in waiting
