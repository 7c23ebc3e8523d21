"""The referrer's home: their participants' sessions in the next two weeks (with the letter to hand over),
guidance notes shared with them, and open referrals still waiting for a session — their municipality's
only."""
import pytest
import datetime as dt

from guidance.extensions import db
from guidance.models import GuidanceNote
from tests.app import factories as f
from tests.app.page_text import card as _card

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def test_coming_sessions_notes_and_waiting_referrals_of_the_own_municipality(client, travel_to):
    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 21, 9, 0))
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 22, 10, 0))  # Voss: not theirs
    waiting = f.referral(name="Lina Haddad", settlement=dt.date(2026, 9, 1))  # deadline passed, nothing booked
    f.referral(name="Sara Haddad")  # waiting, deadline ahead
    db.session.add(GuidanceNote(referral_id=w.own_referral.id, author_id=w.counsellor.id, goals="Arbeid",
                                status="shared", shared_at=f.oslo(2027, 1, 15, 14)))
    db.session.add(GuidanceNote(referral_id=w.other_referral.id, author_id=w.counsellor.id, goals="Skole",
                                status="shared", shared_at=f.oslo(2027, 1, 15, 14)))
    db.session.commit()
    f.login(client, w.referrer)
    page = client.get("/").get_data(as_text=True)
    coming = _card(page, "home-coming")
    assert "Amal Haddad" in coming and "torsdag 21. januar kl. 09:00" in coming
    assert "Yonas Tesfay" not in page
    letter = client.get(f"/referrals/{w.own_referral.id}/letters.pdf")  # the letter linked beside the session
    assert f'href="/referrals/{w.own_referral.id}/letters.pdf"' in page and letter.mimetype == "application/pdf"
    notes = _card(page, "home-notes")
    assert w.own_referral.reference in notes and "delt fredag 15. januar" in notes
    assert w.other_referral.reference not in notes
    waiting_card = _card(page, "home-waiting")
    assert "2 åpne henvisninger har ingen booket time ennå." in waiting_card
    assert "1 av dem har passert fristen" in waiting_card
    assert waiting.reference not in page  # counts only: the list is on the referral page


def test_a_quiet_municipality_is_told_what_comes(client, travel_to):
    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    f.login(client, w.other_referrer)
    page = client.get("/").get_data(as_text=True)
    assert "Ingen av deltakerne deres har time de neste to ukene." in _card(page, "home-coming")
    assert "Ingen veiledningsnotater er delt de siste 30 dagene." in _card(page, "home-notes")


def test_a_participant_who_did_not_come_is_listed_for_the_referrer_to_follow_up(client, travel_to):
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    missed = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 14, 9, 0))
    outcomes.record_outcomes(w.counsellor, missed, {w.own_referral.id: Outcome.NO_SHOW})
    elsewhere = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 14, 11, 0))
    outcomes.record_outcomes(w.counsellor, elsewhere, {w.other_referral.id: Outcome.NO_SHOW})   # Voss: not theirs
    f.login(client, w.referrer)
    page = client.get("/").get_data(as_text=True)
    card = _card(page, "home-missed")
    assert "Amal Haddad" in card and "torsdag 14. januar kl. 09:00" in card and "Møtte ikke" in card
    assert "Yonas Tesfay" not in page
    client.post("/logout")
    travel_to(f.oslo(2027, 2, 5, 12))   # three weeks on: followed up long ago
    f.login(client, w.referrer)
    assert 'id="home-missed"' not in client.get("/").get_data(as_text=True)


def test_and_n_more_opens_everyone_who_did_not_come(client, travel_to):
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    for hour in (8, 9, 10, 11, 12, 13, 14):
        referral = f.referral(name=f"Person {hour}")
        session = f.published_session(w.counsellor, referral, start=f.oslo(2027, 1, 14, hour, 0))
        outcomes.record_outcomes(w.counsellor, session, {referral.id: Outcome.NO_SHOW})
    f.login(client, w.referrer)
    page = client.get("/").get_data(as_text=True)
    card = _card(page, "home-missed")
    assert card.count(" · Møtte ikke") == 5 and "Og 2 til." in card and 'href="/?all=1#home-missed">Og 2 til.' in page
    everything = _card(client.get("/?all=1").get_data(as_text=True), "home-missed")
    assert all(f"Person {hour}" in everything for hour in (8, 9, 10, 11, 12, 13, 14)) and "Og 2 til" not in everything


def test_a_participant_who_did_not_come_shows_the_new_time_once_it_is_booked(client, travel_to):
    """The walk: the card said "they are back in the queue" beside a participant the centre had already
    booked again. The referrer still talks with them about the missed session, so the line stays and says
    the new time (Oslo), or that there is none yet."""
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    rebooked = w.own_referral
    waiting = f.referral(name="Sara Haddad")
    for referral, hour in ((rebooked, 9), (waiting, 11)):
        missed = f.published_session(w.counsellor, referral, start=f.oslo(2027, 1, 14, hour, 0))
        outcomes.record_outcomes(w.counsellor, missed, {referral.id: Outcome.NO_SHOW})
    f.published_session(w.counsellor, rebooked, start=f.oslo(2027, 1, 26, 13, 30))   # booked again
    # Their group session, booked all along and sooner: not the new time of the missed individual session
    # (the card said "Ny time" of it, as of the other's). The one who waits has a group session too.
    for referral in (rebooked, waiting):
        f.published_session(w.counsellor, referral, start=f.oslo(2027, 1, 20, 8, 0), type="group", room_name="Grupperom")
    f.login(client, w.referrer)
    page = client.get("/").get_data(as_text=True)
    card = _card(page, "home-missed")
    waiting_line = card[card.index("Sara Haddad"):card.index("Amal Haddad")]   # newest first
    assert "Ingen ny time ennå" in waiting_line and "Ny time:" not in waiting_line
    rebooked_line = card[card.index("Amal Haddad"):]
    assert "torsdag 14. januar kl. 09:00 · Møtte ikke" in rebooked_line
    assert "Ny time: tirsdag 26. januar kl. 13:30" in rebooked_line
    assert "står i køen igjen" not in card


def test_the_new_time_of_a_participant_who_did_not_come_is_oslo_time_in_summer(client, travel_to):
    from guidance.models import Outcome
    from guidance.services import outcomes

    travel_to(f.oslo(2027, 6, 14, 12))
    w = f.world()
    missed = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 10, 9, 0))
    outcomes.record_outcomes(w.counsellor, missed, {w.own_referral.id: Outcome.CANCELLED_LATE})
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 17, 8, 15))   # 06:15 UTC
    f.login(client, w.referrer, language="nn")
    card = _card(client.get("/").get_data(as_text=True), "home-missed")
    assert "Ny time: torsdag 17. juni kl. 08:15" in card


def _moved_by_the_lead(client, w, session, *, day: dt.date, time: str) -> None:
    f.login(client, w.lead, language="en")
    response = client.post(f"/planning/sessions/{session.id}/edit", headers={"Accept-Language": "en"}, data={
        "day": day.isoformat(), "start_time": time, "room_id": session.room_id,
        "counsellor_id": session.counsellor_id, "interpreter_id": 0, "interpreter_mode": "onsite"})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/logout")


def test_a_session_the_centre_moved_asks_the_referrer_to_hand_over_the_new_letter(client, travel_to):
    """The walk: after a move the referrer's home showed the new time among the others, nothing saying the
    participant holds a letter with the old one. The move's card names both times and links the new letter."""
    travel_to(f.oslo(2027, 1, 13, 12))
    w = f.world()
    moved = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9, 0))
    kept = f.referral(name="Sara Haddad")
    f.published_session(w.counsellor, kept, start=f.oslo(2027, 1, 26, 9, 0))
    elsewhere = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 27, 9, 0))  # Voss
    _moved_by_the_lead(client, w, moved, day=dt.date(2027, 1, 28), time="13:30")
    _moved_by_the_lead(client, w, elsewhere, day=dt.date(2027, 1, 29), time="13:30")
    f.login(client, w.referrer, language="nb")
    page = client.get("/").get_data(as_text=True)
    card = _card(page, "home-moved")
    assert "Amal Haddad" in card and "torsdag 28. januar kl. 13:30" in card
    assert "var mandag 25. januar kl. 09:00" in card
    section = page[page.index('aria-labelledby="home-moved"'):]
    assert f'href="/referrals/{w.own_referral.id}/letters.pdf"' in section[:section.index("</section>")]
    assert "Nytt brev (PDF)" in card
    assert "Sara Haddad" not in card and "Yonas Tesfay" not in page
    # Once the new letter is downloaded it is handed over: the card had stayed, with nothing to mark it done.
    letters = client.get("/letters/new.pdf")
    assert letters.status_code == 200 and "nye-brev-4601-2027-01-13-" in letters.headers["Content-Disposition"]
    assert 'id="home-moved"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    travel_to(f.oslo(2027, 1, 29, 12))   # the session is over: nothing left to hand over
    f.login(client, w.referrer, language="nb")
    assert 'id="home-moved"' not in client.get("/").get_data(as_text=True)


def test_a_session_moved_away_from_tomorrow_is_first_and_says_to_tell_them_today(client, travel_to):
    """A new letter for a session moved away from tomorrow comes too late: the participant would come tomorrow.
    The card put it among the others, by its new time; it now comes first and says so."""
    travel_to(f.oslo(2027, 1, 6, 12))
    w = f.world()
    w.lead.county.publish_notice_days = 3
    tomorrow = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 14, 9, 0))
    later = f.published_session(w.counsellor, f.referral(name="Sara Haddad"), start=f.oslo(2027, 1, 26, 9, 0))
    travel_to(f.oslo(2027, 1, 13, 12))   # Wednesday: a letter reaches them from Monday 18 January
    _moved_by_the_lead(client, w, later, day=dt.date(2027, 1, 19), time="13:30")
    _moved_by_the_lead(client, w, tomorrow, day=dt.date(2027, 1, 28), time="13:30")
    f.login(client, w.referrer, language="nb")
    card = _card(client.get("/").get_data(as_text=True), "home-moved")
    amal, sara = card.index("Amal Haddad"), card.index("Sara Haddad")
    assert amal < sara   # by the time in their letter, not the new time (28th against 19th)
    assert "Karrieresenteret ringer dem før den gamle tiden: et nytt brev kommer for sent til den" in card[amal:sara]
    assert "Karrieresenteret ringer dem" not in card[sara:]


def test_a_moved_session_in_summer_reads_oslo_time_and_a_change_of_counsellor_is_no_new_time(client, travel_to):
    travel_to(f.oslo(2027, 6, 7, 12))
    w = f.world()
    moved = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 14, 8, 15))
    restaffed = f.published_session(w.counsellor, f.referral(name="Sara Haddad"), start=f.oslo(2027, 6, 15, 9, 0))
    _moved_by_the_lead(client, w, moved, day=dt.date(2027, 6, 17), time="08:15")
    _moved_by_the_lead(client, w, restaffed, day=dt.date(2027, 6, 15), time="09:00")   # same time, same room
    f.login(client, w.referrer, language="nn")
    card = _card(client.get("/").get_data(as_text=True), "home-moved")
    assert "torsdag 17. juni kl. 08:15" in card and "var måndag 14. juni kl. 08:15" in card
    assert "Sara Haddad" not in card


def test_a_session_a_new_plan_moved_is_listed_and_one_it_kept_is_not(client, travel_to):
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import draft_run, draft_session

    travel_to(f.oslo(2027, 1, 8, 12))
    w = f.world()
    kept = f.referral(name="Sara Haddad")
    first = draft_run(w.lead)
    moving = draft_session(first, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 18, 9, 0))
    staying = draft_session(first, w.counsellor, [kept], start=f.oslo(2027, 1, 20, 9, 0))
    planning_service.publish_run(w.lead, first, confirm_stale=True)
    second = draft_run(w.lead)
    draft_session(second, w.counsellor, [w.own_referral], start=f.oslo(2027, 1, 19, 13, 0), uid=moving.uid)
    draft_session(second, w.counsellor, [kept], start=f.oslo(2027, 1, 20, 9, 0), uid=staying.uid)
    planning_service.publish_run(w.lead, second, confirm_stale=True)
    f.login(client, w.referrer, language="nb")
    card = _card(client.get("/").get_data(as_text=True), "home-moved")
    assert "Amal Haddad" in card and "tirsdag 19. januar kl. 13:00" in card and "var mandag 18. januar kl. 09:00" in card
    assert "Sara Haddad" not in card


def test_the_new_letters_of_every_moved_participant_come_as_one_pdf(client, travel_to, monkeypatch):
    """A moved group session listed six participants, each with their own "New letter" link: the referrer
    printed six files. One download holds the new letter of each moved session, and only those: a session
    that was not moved, or another municipality's participant, is not in it."""
    import io

    from pypdf import PdfReader

    travel_to(f.oslo(2027, 1, 13, 12))
    w = f.world()
    second = f.referral(name="Sara Haddad")
    still = f.referral(name="Omid Karimi")
    first_moved = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 25, 9, 0))
    second_moved = f.published_session(w.counsellor, second, start=f.oslo(2027, 1, 26, 9, 0))
    f.published_session(w.counsellor, still, start=f.oslo(2027, 1, 26, 13, 0))
    elsewhere = f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 27, 9, 0))  # Voss
    _moved_by_the_lead(client, w, first_moved, day=dt.date(2027, 1, 28), time="13:30")
    _moved_by_the_lead(client, w, second_moved, day=dt.date(2027, 1, 29), time="09:00")
    _moved_by_the_lead(client, w, elsewhere, day=dt.date(2027, 1, 29), time="13:30")
    f.login(client, w.referrer, language="nb")
    page = client.get("/").get_data(as_text=True)
    section = page[page.index('aria-labelledby="home-moved"'):]
    assert 'href="/letters/moved.pdf"' in section[:section.index("</section>")]
    assert "Alle 2 nye brev (PDF)" in _card(page, "home-moved")

    # More than one PDF holds (MAX_LETTERS, here 1): one download per part, each saying which letters.
    from guidance.services import letters

    monkeypatch.setattr(letters, "MAX_LETTERS", 1)
    card = _card(client.get("/").get_data(as_text=True), "home-moved")
    assert "Nye brev 1–1 av 2 (PDF)" in card and "Nye brev 2–2 av 2 (PDF)" in card and "Alle 2" not in card
    second_part = client.get("/letters/moved.pdf?part=2")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(second_part.data)).pages)
    assert second.reference in text and w.own_referral.reference not in text   # the later session's letter
    monkeypatch.undo()

    # A downloaded new letter is handed over: it leaves the card, and the next download holds the rest only.
    card = _card(client.get("/").get_data(as_text=True), "home-moved")
    assert "Sara Haddad" not in card and "Amal Haddad" in card
    response = client.get("/letters/moved.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert w.own_referral.reference in text and second.reference not in text
    assert still.reference not in text and w.other_referral.reference not in text
    assert "28. januar" in text

    client.post("/logout")
    travel_to(f.oslo(2027, 1, 30, 12))   # both sessions are over: nothing left to print
    f.login(client, w.referrer, language="nb")
    response = client.get("/letters/moved.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_the_new_times_card_reads_the_same_number_of_queries_for_two_moved_participants_as_for_six(client, travel_to):
    """A re-plan may move a hundred of one municipality's participants: the card read each one's session and
    its first time with queries of its own. Now the home's queries do not grow with the moved participants."""
    from sqlalchemy import event

    travel_to(f.oslo(2027, 1, 13, 12))
    w = f.world()
    sessions = [f.published_session(w.counsellor, f.referral(name=f"Deltaker {i}"), start=f.oslo(2027, 1, 25 + i % 4, 8 + 2 * (i // 4)))
                for i in range(6)]

    def home_queries() -> tuple[int, str]:
        f.login(client, w.referrer, language="nb")
        statements = []

        def count(*_args, **_kwargs):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = client.get("/").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        client.post("/logout")
        return len(statements), page

    for s in sessions[:2]:
        _moved_by_the_lead(client, w, s, day=s.start.date() + dt.timedelta(days=7), time="13:00")
    two, page = home_queries()
    assert "2 deltakere" in _card(page, "home-moved")
    for i, s in enumerate(sessions[2:], start=2):
        _moved_by_the_lead(client, w, s, day=s.start.date() + dt.timedelta(days=7), time="13:00" if i < 4 else "08:00")
    six, page = home_queries()
    assert "6 deltakere" in _card(page, "home-moved")
    assert six == two, (two, six)


def test_a_video_session_reads_by_video_not_the_counsellors_centre(client, travel_to):
    """A Bergen participant's video session read "Karrieresenter Stord" on the referrer's home and the
    referral page: the referrer could have sent them on a two-hour journey."""
    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 21, 9, 0))
    session.mode = "video"
    db.session.commit()
    f.login(client, w.referrer)
    coming = _card(client.get("/").get_data(as_text=True), "home-coming")
    assert "torsdag 21. januar kl. 09:00 · På video" in coming and session.location.name not in coming
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    row = page[page.index('data-label="Sted"'):].split("</td>")[0]
    assert "På video" in row and session.location.name not in row
    client.post("/logout")
    f.login(client, w.lead)
    row = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    row = row[row.index('data-label="Sted"'):].split("</td>")[0]
    assert "På video" in row and session.location.name in row   # the lead sees where the counsellor sits


def test_the_referral_page_says_why_no_interpreter_is_booked(client, travel_to):
    """"Needs an interpreter: yes" and no interpreter on the session, because the counsellor speaks Arabic: the
    referrer was not told, and it read as a mistake."""
    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    w.counsellor.counsellor.languages = ["nb", "ar"]
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 21, 9, 0))
    db.session.commit()
    f.login(client, w.referrer)
    note = "Ingen tolk trengs: karriereveilederen snakker deltakerens språk."
    assert note in client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    w.counsellor.counsellor.languages = ["nb"]   # then an interpreter is missing, and nothing excuses it
    db.session.commit()
    assert note not in client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert session.interpreter_id is None


def test_a_session_the_centre_cancelled_asks_the_referrer_to_tell_the_participant_not_to_come(client, travel_to, app):
    """The referrer's only word of a cancellation was an e-mail line, and the participant came with the old letter."""
    from sqlalchemy import select

    from guidance.models import OutboxMessage
    from guidance.services import notices
    from guidance.services.interpreter_bookings.changes import cancel_session

    travel_to(f.oslo(2027, 1, 18, 12))
    w = f.world()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 1, 28, 9, 0))
    said_so = f.referral(name="Lina Haddad")
    theirs = f.published_session(w.counsellor, said_so, start=f.oslo(2027, 1, 27, 9, 0))
    cancel_session(w.lead, session, reason="counsellor_unavailable")
    cancel_session(w.lead, theirs, reason="participant_cancelled")   # they said so themselves: nothing to tell
    db.session.commit()
    notices.dispatch()
    f.login(client, w.referrer)
    card = _card(client.get("/").get_data(as_text=True), "home-cancelled")
    assert "Amal Haddad" in card and "avlyst: torsdag 28. januar kl. 09:00" in card and "Ingen ny time ennå" in card
    assert "Lina Haddad" not in card
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == w.referrer.email)).all()
    assert any("Si fra til deltakeren at de ikke skal komme da" in m.body or
               "Sei frå til deltakaren at dei ikkje skal kome då" in m.body for m in mail), [m.body for m in mail]

    # Booked again: the card gives the new time and its letter, and leaves once that letter is downloaded.
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 2, 2, 10, 0))
    card = _card(client.get("/").get_data(as_text=True), "home-cancelled")
    assert "ny time tirsdag 2. februar kl. 10:00, Karrieresenter Bergen" in card and "Nytt brev (PDF)" in card
    client.get(f"/referrals/{w.own_referral.id}/letters.pdf")
    assert 'id="home-cancelled"' not in client.get("/").get_data(as_text=True)
