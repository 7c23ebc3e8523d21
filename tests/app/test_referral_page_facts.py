"""What the referral page tells the municipality about a referral that has been guided or missed.

The municipality reads this page: a no-show named as "its session was cancelled" and a kept deadline
shown as "passed" both told them something false (review of 2026-12-05)."""
from __future__ import annotations

import datetime as dt

from tests.app import factories as f
from guidance.models import Outcome
from guidance.services import outcomes


def _page(client, w) -> str:
    f.login(client, w.referrer)
    return client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)


def test_a_no_show_is_named_in_the_history_not_called_a_cancellation(client, travel_to):
    travel_to(dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.NO_SHOW})
    page = _page(client, w)
    assert "Tilbake i køen: deltakeren møtte ikke" in page
    assert "timen ble avlyst" not in page


def test_a_late_cancellation_is_named_too(client, travel_to):
    travel_to(dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.CANCELLED_LATE})
    assert "Tilbake i køen: deltakeren meldte avbud for sent" in _page(client, w)


def test_a_deadline_kept_by_a_held_session_is_not_shown_as_passed(client, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    w.own_referral.deadline = dt.date(2026, 11, 14)
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 11, 3, 10))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.ATTENDED})
    page = _page(client, w)
    assert "overholdt: den første timen var 3. nov. 2026" in page
    assert "passert" not in page


def test_a_deadline_with_no_session_held_before_it_is_passed(client, travel_to):
    travel_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    w.own_referral.deadline = dt.date(2026, 11, 14)
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 11, 3, 10))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.NO_SHOW})
    late = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 11, 20, 10))
    outcomes.record_outcomes(w.counsellor, late, {w.own_referral.id: Outcome.ATTENDED})
    page = _page(client, w)
    assert "<strong>passert</strong> (den første timen var 20. nov. 2026)" in page


def test_a_session_later_today_has_not_kept_the_deadline_yet(client, travel_to):
    travel_to(f.oslo(2026, 12, 8, 8, 35))
    w = f.world()
    w.own_referral.deadline = dt.date(2026, 12, 8)
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 12, 8, 9, 30))
    assert "overholdt" not in _page(client, w)
    client.post("/logout")
    travel_to(f.oslo(2026, 12, 8, 9, 45))
    assert "overholdt: den første timen var 8. des." in _page(client, w)


def test_a_group_held_for_the_others_reads_did_not_attend_for_the_one_who_missed_it(client, travel_to):
    travel_to(dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    group = f.published_session(w.counsellor, [w.own_referral, w.other_referral], start=f.oslo(2026, 12, 7, 10),
                                type="group")
    outcomes.record_outcomes(w.counsellor, group, {w.own_referral.id: Outcome.NO_SHOW,
                                                   w.other_referral.id: Outcome.ATTENDED})
    page = _page(client, w)
    assert '<strong class="tag tag-red">Møtte ikke</strong>' in page
    assert "Gjennomført</strong>" not in page
