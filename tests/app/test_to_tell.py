"""Participants the lead tells of a change themselves. The walk: after a move the page said once "Nobody
is told of Dmytro Melnyk (..., +47 449 44 786) in Veiled. Tell the participant yourself", and once that
message was gone the lead's home said nothing was left to do."""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, ParticipantToTell, Role
from guidance.services import plan_edits
from guidance.services import planning as planning_service
from guidance.services.interpreter_bookings.changes import cancel_session
from tests.app import factories as f
from tests.app.planning.helpers import draft_run, draft_session, planning_world

pytestmark = pytest.mark.one_database  # pages and one use case each: nothing a second database decides


@pytest.fixture
def world(travel_to):
    travel_to(f.oslo(2027, 1, 8, 12))  # a Friday in winter
    w = planning_world()
    w.lead.county.publish_notice_days = 3
    # Sogndal has no referrer with an account (Bergen and Voss have one each)
    w.untold = f.referral(municipality_number="4640", name="Dmytro Melnyk", language="uk")
    db.session.commit()
    return w


def _published(w, referral, start):
    run = draft_run(w.lead)
    session = draft_session(run, w.counsellor, [referral], start=start)
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    return session


def _move(w, session, start: dt.datetime, confirm_soon=False):
    return plan_edits.move_published_session(w.lead, session, start=start, room_id=session.room_id,
                                             counsellor_id=session.counsellor_id, interpreter_id=None,
                                             interpreter_mode=None, confirm_soon=confirm_soon)


def _home_card(client, w) -> str:
    """The card's markup ("" when the home has none)."""
    f.login(client, w.lead)
    page = html.unescape(client.get("/").get_data(as_text=True))
    if 'id="today-to-tell"' not in page:
        return ""
    start = page.index('id="today-to-tell"')
    return page[start:page.index("</section>", start)]


def test_a_participant_nobody_tells_waits_on_the_home_until_marked_told(client, world):
    """A publication that books a participant of a municipality without a referrer said nothing of whose
    letter to send; the card now names them, with their letter, one line a person however many changes."""
    w = world
    session = _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    home = _home_card(client, w)
    assert "Dmytro Melnyk" in home and "Ny time tirsdag 26. januar kl. 10:00" in home and "ingen henviser i Veiled" in home
    assert "Brevet (PDF)" in home and 'href="/letters/to-tell.pdf"' in home
    letter = client.get("/letters/to-tell.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    _move(w, session, dt.datetime(2027, 1, 28, 13, 0))

    home = _home_card(client, w)
    assert "Dmytro Melnyk" in home and w.untold.reference in home
    assert 'href="tel:+4740000000"' in home and "Ukrainsk (tolk)" in home
    # The day plan says so too ("nothing to act on now" read as if nobody waited).
    day = html.unescape(client.get("/grids/day?date=2027-01-28").get_data(as_text=True))
    assert "1 deltaker venter fortsatt på beskjed fra deg om en endring" in day and 'href="/#today-to-tell"' in day
    # not told of the booking yet: to them it is simply booked at the new time
    assert "Ny time torsdag 28. januar kl. 13:00" in home and "ingen henviser i Veiled" in home
    assert "1 deltaker" in home and home.count("Dmytro Melnyk") == 1

    # A second session of theirs: one person with two lines, told once.
    group_run = draft_run(w.lead)   # the published plan again, and a group session of theirs
    draft_session(group_run, w.counsellor, [w.untold], start=f.oslo(2027, 1, 28, 13), uid=session.uid)
    draft_session(group_run, w.counsellor, [w.untold], start=f.oslo(2027, 1, 27, 10), type="group")
    planning_service.publish_run(w.lead, group_run, confirm_stale=True)
    home = _home_card(client, w)
    assert "1 deltaker" in home and home.count("Dmytro Melnyk") == 1 and home.count("Ny time") == 2, home
    assert "Alle de 2 brevene deres (PDF)" in home
    # Both letters, the kept session's too: the plan published it again under its uid (a new row), and the
    # PDF read the task's old row and left it out.
    import io

    from pypdf import PdfReader

    pdf = client.get("/letters/to-tell.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "27.01.2027" in text and "28.01.2027" in text, text[:500]

    task = db.session.scalars(select(ParticipantToTell).order_by(ParticipantToTell.session_start)).first()
    response = client.post(f"/to-tell/{task.id}/told")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Dmytro Melnyk ({w.untold.reference}) er merket som informert." in page   # by name
    assert "Ingen andre venter på å bli informert." in html.unescape(page)   # the card stays only to offer the undo
    assert 'id="today-to-tell"' not in client.get("/").get_data(as_text=True)
    told = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "participant.told")).all()
    assert len(told) == 2 and {e.actor_id for e in told} == {w.lead.id}
    history = client.get(f"/referrals/{w.untold.id}").get_data(as_text=True)
    assert "Karrieresenteret sa fra til deltakeren om endringen" in history


def test_a_participant_whose_language_has_no_letter_is_said_so_on_the_card(client, world):
    """A Lingala speaker's letter is Norwegian only: the lead who sends it reads so (nothing said it)."""
    w = world
    w.untold.participant.language = "ln"
    db.session.commit()
    _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    home = _home_card(client, w)
    assert "Bare på norsk: ikke noe brev på lingala ennå" in home, home


def test_the_publish_page_says_whose_letters_the_lead_sends(client, world):
    """Before publishing, the lead reads how many participants the plan books whom no referrer tells."""
    w = world
    run = draft_run(w.lead)
    draft_session(run, w.counsellor, [w.untold], start=f.oslo(2027, 1, 26, 10))
    draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 27, 10))   # Bergen: its referrer
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/planning/runs/{run.id}/publish").get_data(as_text=True))
    note = page[page.index('id="letters-to-send"'):][:400]
    assert "1 deltaker som planen booker, har ingen henviser i Veiled" in note and "forsiden din" in note
    # and whose referrers hear of it (the page said nothing of Bergen's letters to print)
    told = page[page.index('id="told"'):].split("</p>")[0]
    assert "Henviserne får e-post" in told and "Bergen 1." in told and "Sogndal" not in told


def test_a_referrer_tells_their_own_unless_the_move_is_sooner_than_a_letter(client, world):
    w = world
    session = _published(w, w.own_referral, f.oslo(2027, 1, 26, 10))  # Bergen has a referrer
    assert db.session.scalars(select(ParticipantToTell)).all() == []
    _move(w, session, dt.datetime(2027, 1, 27, 13, 0))
    assert db.session.scalars(select(ParticipantToTell)).all() == []
    assert _home_card(client, w) == ""

    _move(w, session, dt.datetime(2027, 1, 11, 13, 0), confirm_soon=True)  # Monday: inside the three days' notice
    home = _home_card(client, w)
    assert "Amal Haddad" in home and "for snart til at et brev rekker frem" in home
    assert "Flyttet fra onsdag 27. januar kl. 13:00 til mandag 11. januar kl. 13:00" in home


def test_a_cancellation_is_to_tell_and_a_booking_never_told_then_cancelled_is_not(client, world):
    from guidance.services import to_tell

    w = world
    session = _published(w, w.untold, f.oslo(2027, 2, 2, 10))
    for task in db.session.scalars(select(ParticipantToTell)):   # the lead sent the letter of the booking
        task.told_at = f.oslo(2027, 1, 8, 12)
    db.session.commit()
    cancel_session(w.lead, session, "counsellor_unavailable")
    home = _home_card(client, w)
    assert "Avlyst: timen tirsdag 2. februar kl. 10:00" in home and "Brev (PDF)" not in home

    # booked too soon for a letter, then taken back before anyone told them: nothing is left to tell
    soon = _published(w, w.own_referral, f.oslo(2027, 2, 3, 10))
    to_tell.session_changed(w.lead, soon, to_tell.BOOKED, short_notice=True)
    db.session.commit()
    assert "Amal Haddad" in _home_card(client, w)
    cancel_session(w.lead, soon, "participant_cancelled")
    assert "Amal Haddad" not in _home_card(client, w)


def test_the_task_drops_off_once_the_session_time_has_passed(client, world, travel_to):
    w = world
    session = _published(w, w.untold, f.oslo(2027, 1, 19, 10))
    _move(w, session, dt.datetime(2027, 1, 20, 10, 0))
    assert "Dmytro Melnyk" in _home_card(client, w)
    travel_to(f.oslo(2027, 1, 20, 10, 30))
    assert _home_card(client, w) == ""


def test_another_countys_lead_cannot_mark_the_participant_told(client, world):
    w = world
    session = _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    _move(w, session, dt.datetime(2027, 1, 27, 10, 0))
    task = db.session.scalars(select(ParticipantToTell)).one()
    other_lead = f.user(Role.LEAD, county_number="18")
    f.login(client, other_lead)
    assert client.post(f"/to-tell/{task.id}/told").status_code == 404
    db.session.refresh(task)
    assert task.told_at is None
    assert re.search(r"Dmytro", client.get("/").get_data(as_text=True)) is None


def test_marked_told_is_confirmed_in_the_card_the_page_scrolls_back_to(client, world):
    """The confirmation stood at the top of the page while the page came back scrolled to the card."""
    w = world
    other = f.referral(municipality_number="4640", name="Olena Bondar", language="uk")
    run = draft_run(w.lead)   # one plan for both
    draft_session(run, w.counsellor, [w.untold], start=f.oslo(2027, 1, 26, 10))
    draft_session(run, w.counsellor, [other], start=f.oslo(2027, 1, 27, 10))
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    f.login(client, w.lead)
    task = db.session.scalars(select(ParticipantToTell).where(ParticipantToTell.referral_id == w.untold.id)).first()
    response = client.post(f"/to-tell/{task.id}/told")
    assert response.headers["Location"].endswith("#today-to-tell")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    card = page[page.index('id="today-to-tell"'):]
    card = card[:card.index("</section>")]
    assert f"Dmytro Melnyk ({w.untold.reference}) er merket som informert." in card
    assert page.count("er merket som informert.") == 1   # not at the top as well


def test_a_told_pressed_by_mistake_can_be_taken_back_from_the_card(client, world, travel_to):
    """"Told" on the wrong row took the participant off the list with nothing to bring them back."""
    w = world
    _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    f.login(client, w.lead)
    task = db.session.scalars(select(ParticipantToTell)).one()
    response = client.post(f"/to-tell/{task.id}/told")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    card = page[page.index('id="today-to-tell"'):]
    card = card[:card.index("</section>")]
    # the last one told: the card stays, to confirm and offer the undo
    assert "er merket som informert." in card and "Ingen andre venter på å bli informert." in card
    assert f'action="/to-tell/{task.id}/not-told"' in card and "Angre: ikke informert ennå" in card

    response = client.post(f"/to-tell/{task.id}/not-told")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"Dmytro Melnyk ({w.untold.reference}) er tilbake blant deltakerne du må si fra til." in page
    assert "Ny time tirsdag 26. januar kl. 10:00" in _home_card(client, w)
    db.session.refresh(task)
    assert task.told_at is None and task.told_by_id is None
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "participant.told_undone")).one()

    # Half an hour on, the mark stands: the undo is for a slip of the finger, not a history to rewrite.
    client.post(f"/to-tell/{task.id}/told")
    travel_to(f.oslo(2027, 1, 8, 12, 31))
    page = html.unescape(client.get(f"/?told={task.id}").get_data(as_text=True))
    assert "Angre: ikke informert ennå" not in page
    response = client.post(f"/to-tell/{task.id}/not-told")
    assert "Dette kan ikke lenger angres." in html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    db.session.refresh(task)
    assert task.told_at is not None


def test_another_lead_cannot_take_back_a_told(client, world):
    w = world
    _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    task = db.session.scalars(select(ParticipantToTell)).one()
    f.login(client, w.lead)
    client.post(f"/to-tell/{task.id}/told")
    client.post("/logout")
    colleague = f.user(Role.LEAD)   # same county: they did not mark it, so the undo is not theirs
    assert colleague.county_id == w.lead.county_id
    f.login(client, colleague)
    assert "Angre: ikke informert ennå" not in html.unescape(client.get(f"/?told={task.id}").get_data(as_text=True))
    client.post(f"/to-tell/{task.id}/not-told")
    db.session.refresh(task)
    assert task.told_at is not None


def test_a_session_moved_away_from_a_time_sooner_than_a_letter_is_the_leads_to_tell(client, world, travel_to):
    """A sick counsellor's sessions of Monday, moved by a re-plan on Friday to the week after: the referrers got a
    notice and a new letter to hand out, but their participants' letters said Monday, and eleven people would
    have come to reception. The publish page named only the first new session (two days later). Now it names
    the first session moved away and whom to call, and the lead's home lists them, the soonest letter first."""
    from guidance.models import Session, SessionStatus

    w = world
    selam, bilal = f.referral(name="Selam Tesfay", language="ti"), f.referral(name="Bilal Omar", language="ar")
    travel_to(f.oslo(2027, 1, 4, 12))   # published the Monday before, with the notice to spare
    first = draft_run(w.lead, today=dt.date(2027, 1, 4))
    amal_session = draft_session(first, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 11, 10))  # Bergen: a referrer
    selam_session = draft_session(first, w.counsellor, [selam], start=f.oslo(2027, 1, 19, 10))
    bilal_session = draft_session(first, w.counsellor, [bilal], start=f.oslo(2027, 1, 12, 9))
    planning_service.publish_run(w.lead, first, confirm_stale=True)

    travel_to(f.oslo(2027, 1, 8, 12))   # Friday: new times from Wednesday 13 January
    run = draft_run(w.lead, today=dt.date(2027, 1, 8))
    draft_session(run, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 20, 10), uid=amal_session.uid)
    draft_session(run, w.counsellor, [selam], start=f.oslo(2027, 1, 21, 10), uid=selam_session.uid)
    draft_session(run, w.counsellor, [bilal], start=f.oslo(2027, 1, 12, 9), uid=bilal_session.uid)   # kept
    f.login(client, w.lead)
    page = html.unescape(re.sub(r"\s+", " ", client.get(f"/planning/runs/{run.id}/publish").get_data(as_text=True)))
    assert "Første time som flyttes bort eller avlyses</dt>" in page and "mandag 11. januar 2027 10:00" in page
    call = page[page.index('id="to-call"'):].split("</div>")[0]
    assert "Amal Haddad" in call and "mandag 11. januar kl. 10:00" in call
    assert "Selam Tesfay" not in call and "Bilal Omar" not in call   # a letter reaches Selam before the 19th

    planning_service.publish_run(w.lead, run, confirm_stale=True)
    home = _home_card(client, w)
    assert "Amal Haddad" in home and "Selam Tesfay" not in home
    assert "Flyttet fra mandag 11. januar kl. 10:00 til onsdag 20. januar kl. 10:00" in home
    # The new time is weeks away: what is too soon is the old time their letter gives ("too soon for a letter" of a
    # session two weeks on read as untrue).
    assert "brevet deres gir den gamle tiden, før et nytt brev rekker fram" in home
    # Reception's day plan for Monday names her, should she come with the old letter.
    monday = html.unescape(re.sub(r"\s+", " ", client.get("/grids/day?date=2027-01-11").get_data(as_text=True)))
    listed = monday[monday.index('id="moved-away-list"'):].split("</section>")[0]
    assert "Amal Haddad" in listed and "var 10:00, nå onsdag 20. januar kl. 10:00" in listed
    assert "Selam Tesfay" not in listed

    # A session of Tuesday cancelled on Friday: inside the notice, so the lead tells them too.
    booked = db.session.scalar(select(Session).where(Session.uid == bilal_session.uid,
                                                     Session.status == SessionStatus.BOOKED))
    cancel_session(w.lead, booked, reason="counsellor_unavailable")
    db.session.commit()
    home = _home_card(client, w)
    assert "Avlyst: timen tirsdag 12. januar kl. 09:00" in home
    # the soonest letter first: Amal's Monday before Bilal's Tuesday, whatever their new times
    assert home.index("Amal Haddad") < home.index("Bilal Omar")


def test_the_referrals_history_keeps_the_time_each_entry_was_about(client, world):
    """Moved on the 20th, the entry of the 8th ("the centre tells the participant") read the new time, contradicting the
    booking just above it."""
    w = world
    session = _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    _move(w, session, dt.datetime(2027, 1, 28, 13, 0))
    f.login(client, w.lead)
    page = html.unescape(client.get(f"/referrals/{w.untold.id}").get_data(as_text=True))
    history = " ".join(re.sub(r"<[^>]+>", " ", page[page.index('<h2>Historikk</h2>'):]).split())
    told = [m.start() for m in re.finditer("Karrieresenteret skal si fra til deltakeren", history)]
    assert len(told) == 2, history
    assert "tir. 26. jan. 2027, 10:00" in history[told[0]:told[1]], history   # the first: the booking's time
    assert "tor. 28. jan. 2027, 13:00" in history[told[1]:]


def test_a_closed_days_list_of_old_letters_says_why_and_to_tell_them_before(client, world):
    """After a Christmas closure was set, the day plan of a closed day said the sessions had been moved "too late for a
    new letter" (they were moved weeks ahead; the municipality has no referrer) and "if they come, give them the new
    time" of a day nobody is at the centre."""
    w = world
    session = _published(w, w.untold, f.oslo(2027, 1, 26, 10))
    f.login(client, w.lead)
    [booked] = db.session.scalars(select(ParticipantToTell)).all()
    client.post(f"/to-tell/{booked.id}/told")   # told of the booking by phone: their letter gives the 26th
    w.lead.county.closure_days = ["2027-01-26"]
    db.session.commit()
    _move(w, session, dt.datetime(2027, 1, 28, 13, 0))
    f.login(client, w.lead)
    day = html.unescape(re.sub(r"\s+", " ", client.get("/grids/day?date=2027-01-26").get_data(as_text=True)))
    listed = day[day.index('id="moved-away-list"'):].split("</section>")[0]
    assert "Ingen er på sentrene den dagen: gi dem beskjed om den nye tiden før det." in listed
    assert "Kommer de" not in listed and "for sent" not in listed
    assert "Dmytro Melnyk" in listed and "ingen henviser i Veiled gir dem det nye brevet" in listed
    assert "ikke informert ennå" in listed
