"""What the referral page tells the municipality about a referral that has been guided or missed.

The municipality reads this page: a no-show named as "its session was cancelled" and a kept deadline
shown as "passed" both told them something false (review of 2026-12-05)."""
from __future__ import annotations

import datetime as dt

from guidance.extensions import db
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
    assert "Venter på ny tid: deltakeren møtte ikke" in page
    assert "timen ble avlyst" not in page


def test_a_late_cancellation_is_named_too(client, travel_to):
    travel_to(dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.timezone.utc))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.CANCELLED_LATE})
    assert "Venter på ny tid: deltakeren meldte avbud for sent" in _page(client, w)


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


def _history(page: str) -> str:
    import re

    part = page[page.index('<ol class="history">'):]
    return " ".join(re.sub(r"<[^>]+>", " ", part[:part.index("</ol>")]).split())


def test_the_history_tells_the_booking_the_moves_of_plans_the_outcome_and_the_shared_note(client, travel_to):
    """Referrals booked by a plan showed no history; a move by a new plan, an outcome and a shared
    note were missing, and a handover read "from 08:00 to 08:00"."""
    from guidance.extensions import db
    from guidance.models import Role
    from guidance.services import notes, plan_edits
    from tests.app.planning.helpers import planning_world, published_then_replanned

    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    _booked, moved = published_then_replanned(w, w.own_referral, first_start=f.oslo(2027, 1, 19, 10),
                                              second_start=f.oslo(2027, 1, 21, 13))
    colleague = f.user(Role.COUNSELLOR, name="Kari Berg")
    colleague.counsellor.locations = list(w.counsellor.counsellor.locations)
    colleague.counsellor.multicultural = True
    colleague.counsellor.weekly = dict(w.counsellor.counsellor.weekly)
    db.session.commit()
    plan_edits.move_published_session(w.lead, moved, start=dt.datetime(2027, 1, 21, 13, 0), room_id=moved.room_id,
                                      counsellor_id=colleague.counsellor.id, interpreter_id=None, interpreter_mode=None)
    travel_to(f.oslo(2027, 1, 22, 12))
    outcomes.record_outcomes(colleague, moved, {w.own_referral.id: Outcome.ATTENDED})
    notes.share(colleague, w.own_referral, notes.NoteInput(goals="Fagbrev", background="Erfaring",
                                                           next_steps="Søke skole", further_guidance=False))

    history = _history(_page(client, w))
    assert "Time booket" in history and "tir. 19. jan. 2027, 10:00" in history
    assert "Time flyttet i en ny plan" in history and "Fra tir. 19. jan. 2027, 10:00 til tor. 21. jan. 2027, 13:00" in history
    assert "tor. 21. jan. 2027, 13:00: karriereveileder Kari Berg" in history  # given to a colleague, same time
    assert "Utfall registrert" in history and "Møtte" in history
    assert "Veiledningsnotat delt med kommunen" in history


def test_the_booking_in_the_history_keeps_the_time_it_was_booked_for_after_a_move(client, travel_to):
    """The walk: "Session booked in a published plan, 27 Nov ... Thursday 10 Dec": booked for 7 Dec, it
    was only moved to the 10th on 5 Dec, and the booking's line showed the new time."""
    from guidance.services import plan_edits
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import draft_run, draft_session, planning_world

    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    run = draft_run(w.lead)
    session = draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 19, 10))
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    plan_edits.move_published_session(w.lead, session, start=dt.datetime(2027, 1, 21, 13, 0), room_id=session.room_id,
                                      counsellor_id=session.counsellor_id, interpreter_id=None, interpreter_mode=None)

    history = _history(_page(client, w))
    booked = history[history.index("Time booket"):history.index("Timen flyttet av karrieresenteret")]
    assert "tir. 19. jan. 2027, 10:00" in booked and "21. jan" not in booked
    assert "Fra tir. 19. jan. 2027, 10:00 til tor. 21. jan. 2027, 13:00" in history


def test_the_participants_phone_is_a_link_to_call(client):
    """On a phone the number was plain text: the referrer copied it into the dialler by hand."""
    w = f.world()
    w.own_referral.participant.phone = "+47 412 34 567"
    db.session.commit()
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert '<a href="tel:+4741234567">+47 412 34 567</a>' in page


def test_the_referrer_sees_whether_the_interpreter_has_confirmed(client):
    """The letter says "we are arranging an interpreter" whatever the answer, and a declined request never
    reached the referrer, who is the one the participant asks."""
    from guidance.services import bookings
    from tests.app.planning.helpers import planning_world

    w = planning_world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9), interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    f.login(client, w.referrer)
    url = f"/referrals/{w.own_referral.id}"
    assert "Tolk spurt, ikke bekreftet ennå" in client.get(url).get_data(as_text=True)
    bookings.transition(None, booking, "accept")
    db.session.commit()
    assert "Tolk bekreftet" in client.get(url).get_data(as_text=True)
    bookings.transition(None, booking, "withdraw", reason="Syk")
    db.session.commit()
    assert "Tolken kan ikke komme: karrieresenteret finner en annen" in client.get(url).get_data(as_text=True)
