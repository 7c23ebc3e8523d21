"""The counsellor's week: their own sessions by ISO week, a printable day, nobody else's."""
import datetime as dt

from guidance.extensions import db
from guidance.models import Role
from tests.app import factories as f


def _setup():
    w = f.world()
    interpreter_session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9, 15),
                                              interpreter=w.interpreter, interpreter_mode="video")
    return w, interpreter_session


def test_week_lists_the_counsellors_sessions_with_all_details(client):
    w, session = _setup()
    f.login(client, w.counsellor)
    page = client.get("/week/2027/9").get_data(as_text=True)
    assert "09:15" in page and "10:45" in page
    assert session.location.name in page and "Rom 1" in page
    assert "Amal Haddad" in page and w.own_referral.reference in page
    assert w.interpreter.name in page and "Arabisk" in page and "video" in page
    assert "<caption" in page and 'scope="col"' in page


def test_week_links_to_previous_and_next_week_across_the_new_year(client):
    w, _session = _setup()
    f.login(client, w.counsellor)
    page = client.get("/week/2026/53").get_data(as_text=True)
    assert 'href="/week/2026/52"' in page and 'href="/week/2027/1"' in page


def test_a_week_that_does_not_exist_is_not_found(client):
    w, _session = _setup()
    f.login(client, w.counsellor)
    assert client.get("/week/2027/54").status_code == 404
    assert client.get("/week/day/2027-02-30").status_code == 404


def test_other_counsellors_sessions_are_not_shown(client):
    w, session = _setup()
    other = f.user(Role.COUNSELLOR)
    f.login(client, other)
    assert "Amal Haddad" not in client.get("/week/2027/9").get_data(as_text=True)
    assert client.get(f"/week/sessions/{session.id}").status_code == 404
    assert client.get(f"/week/sessions/{session.id}.ics").status_code == 404


def test_draft_sessions_of_an_unpublished_plan_are_not_shown(client):
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9), status="planned")
    f.login(client, w.counsellor)
    assert "Amal Haddad" not in client.get("/week/2027/9").get_data(as_text=True)


def test_day_view_is_printable_and_lists_the_day(client):
    w, _session = _setup()
    f.login(client, w.counsellor)
    page = client.get("/week/day/2027-03-02").get_data(as_text=True)
    assert "Amal Haddad" in page and "09:15" in page and 'class="print-table stack"' in page   # cards on a phone
    assert "Amal Haddad" not in client.get("/week/day/2027-03-03").get_data(as_text=True)


def test_week_shows_whether_the_interpreter_has_answered(client):
    from guidance.extensions import db
    from guidance.services import bookings

    w, session = _setup()
    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "Opptatt")
    f.login(client, w.counsellor)
    page = client.get("/week/2027/9").get_data(as_text=True)
    assert "Avslått" in page and "Opptatt" not in page


def test_the_counsellor_sees_the_number_to_call_a_phone_interpreter_on(client):
    """The interpreter's request says the counsellor calls them when the session starts; the counsellor's
    session page, week and printed day give the number to call."""
    from guidance.extensions import db

    w = f.world()
    w.interpreter.phone = "+47 412 34 567"
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9, 15),
                                  interpreter=w.interpreter, interpreter_mode="phone")
    db.session.commit()
    f.login(client, w.counsellor)
    call = 'href="tel:+4741234567"'
    for url in (f"/week/sessions/{session.id}", "/week/2027/9", "/week/day/2027-03-02"):
        page = client.get(url).get_data(as_text=True)
        assert call in page and "+47 412 34 567" in page, url
    page = client.get(f"/week/sessions/{session.id}").get_data(as_text=True)
    assert "Tolkens telefon" in page and "Arabisk (med tolk)" in page
    # Declined: not the number of someone who will not come, and the counsellor reads that another is asked.
    from guidance.services import bookings

    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "Opptatt den dagen")
    for url in (f"/week/sessions/{session.id}", "/week/2027/9", "/week/day/2027-03-02"):
        assert call not in client.get(url).get_data(as_text=True), url
    assert "Ingen tolk har sagt ja ennå. Senteret vet det og finner en annen." in client.get(
        f"/week/sessions/{session.id}").get_data(as_text=True)
    # The calendar and the home say so too: the name and the way of taking part read as if they came.
    ics = client.get(f"/week/sessions/{session.id}.ics").get_data(as_text=True)
    assert "ingen har sagt ja ennå" in " ".join(ics.replace("\r\n ", "").split())


def test_the_link_to_the_opening_week_says_coming_week_at_the_weekend(client, travel_to):
    """At the weekend /week/ opens on the coming week, so its link does not call it "this week"."""
    import datetime as dt

    w, _session = _setup()
    travel_to(dt.datetime(2027, 3, 6, 10, tzinfo=dt.timezone.utc))   # a Saturday
    f.login(client, w.counsellor)
    assert "Uke 10, 2027" in client.get("/week/").get_data(as_text=True)
    far = client.get("/week/2027/20").get_data(as_text=True)
    assert ">Uke 10, fra mandag</a>" in far and "Denne uken" not in far
    # Beside the opening week, "Next week" already leads there: no second link to the same week (the review)
    before = client.get("/week/2027/9").get_data(as_text=True)
    assert ">Neste uke</a>" in before and "Uke 10, fra mandag" not in before
    assert "Uke 10, fra mandag" not in client.get("/week/").get_data(as_text=True)
    travel_to(dt.datetime(2027, 3, 3, 10, tzinfo=dt.timezone.utc))   # a Wednesday
    assert "Uke 9, 2027" in client.get("/week/").get_data(as_text=True)
    assert ">Denne uken</a>" in client.get("/week/2027/20").get_data(as_text=True)


def test_each_participant_shows_their_language_even_without_an_interpreter(client):
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9, 15))   # no interpreter booked
    f.login(client, w.counsellor)
    page = client.get("/week/2027/9").get_data(as_text=True)
    import re

    assert f"{w.own_referral.reference} · Arabisk" in re.sub(r"<[^>]+>", "", page)
    # the reference whole on one line: "H-" over "PP3D-V9" on a phone read as two things
    assert f'<span class="ref">{w.own_referral.reference}</span>' in page


def test_a_session_the_counsellor_holds_in_the_participants_language_says_so_not_a_dash(client):
    """The walk: a group of Arabic speakers the counsellor holds in Arabic read "Language –, Interpreter –",
    which looks like a missing interpreter."""
    import html
    import re

    from guidance.extensions import db

    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9, 15))   # no interpreter booked
    w.counsellor.counsellor.languages = ["nb", "ar"]
    db.session.commit()
    f.login(client, w.counsellor)
    row = re.sub(r"\s+", " ", html.unescape(client.get("/week/2027/9").get_data(as_text=True)))
    assert 'data-label="Språk">Arabisk<br><span class="muted">du snakker det</span>' in row
    assert 'data-label="Tolk">Ikke nødvendig</td>' in row
    # One who does not speak it: the language, and no claim that nobody is needed.
    w.counsellor.counsellor.languages = ["nb"]
    db.session.commit()
    row = re.sub(r"\s+", " ", html.unescape(client.get("/week/2027/9").get_data(as_text=True)))
    assert 'data-label="Språk">Arabisk</td>' in row and "Ikke nødvendig" not in row
    # A participant who manages without one (no interpreter asked for): "not needed", not a dash.
    w.own_referral.participant.needs_interpreter = False
    db.session.commit()
    row = re.sub(r"\s+", " ", html.unescape(client.get("/week/2027/9").get_data(as_text=True)))
    assert 'data-label="Tolk">Ikke nødvendig</td>' in row


def test_the_session_page_says_whether_the_interpreter_has_answered_and_what_to_know_before(client):
    """'Booked' with an interpreter's name read as if they had said yes; the wheelchair was one click
    away on the referral (the go-live review)."""
    from guidance.extensions import db
    from guidance.models import BookingStatus
    from guidance.services import bookings

    w, session = _setup()
    w.own_referral.participant.accessibility_needs = "Rullestol"  # where the intake keeps it
    w.own_referral.participant.needs_step_free = True
    w.own_referral.adviser_attends = True
    db.session.commit()
    bookings.new_booking(session)
    db.session.commit()
    f.login(client, w.counsellor)
    page = client.get(f"/week/sessions/{session.id}").get_data(as_text=True)
    assert "Forespurt" in page
    assert "Amal Haddad</bdi> – Behov for tilrettelegging: <q>Rullestol</q>" in page
    assert "Amal Haddad</bdi> – Programrådgiver deltar" in page
    assert "Amal Haddad</bdi> – Trenger trinnfri tilgang" in page
    # the week and the printed day carry it too
    for view in ("/week/2027/9", "/week/day/2027-03-02"):
        text = client.get(view).get_data(as_text=True)
        assert "Behov for tilrettelegging: <q>Rullestol</q>" in text and "<br>Trenger trinnfri tilgang" in text
    session.bookings[-1].status = BookingStatus.ACCEPTED
    db.session.commit()
    assert "Forespurt" not in client.get(f"/week/sessions/{session.id}").get_data(as_text=True)


def test_the_counsellors_own_absence_reads_on_their_week(client, travel_to):
    """Registered away on Tuesday: the day says so, and that its session waits for the centre."""
    from guidance.extensions import db
    from guidance.models import Absence

    travel_to(f.oslo(2027, 3, 1, 8))
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 9, 15))
    db.session.add(Absence(user_id=w.counsellor.id, start_date=dt.date(2027, 3, 2), end_date=dt.date(2027, 3, 2)))
    db.session.commit()
    f.login(client, w.counsellor)
    page = client.get("/week/2027/9").get_data(as_text=True)
    tuesday = page[page.index('id="day-2027-03-02"'):page.index('id="day-2027-03-03"')]
    assert "Du er registrert som borte." in tuesday and "Senteret flytter disse timene" in tuesday
    monday = page[page.index('id="day-2027-03-01"'):page.index('id="day-2027-03-02"')]
    assert "registrert som borte" not in monday


def test_a_link_written_before_a_re_plan_opens_the_session_as_it_stands_now(client, travel_to):
    """A re-plan gives every session a new row: the e-mail's /week/sessions/95 read "replaced by a newer
    plan ... cancelled" while the session went ahead as 367."""
    from guidance.models import SessionStatus
    from tests.app.planning.helpers import planning_world, published_then_replanned

    travel_to(f.oslo(2027, 1, 8, 12))
    w = planning_world()
    old, new = published_then_replanned(w, w.own_referral, first_start=f.oslo(2027, 1, 19, 10),
                                        second_start=f.oslo(2027, 1, 19, 10))
    assert old.status is SessionStatus.SUPERSEDED and new.id != old.id

    f.login(client, w.counsellor)
    response = client.get(f"/week/sessions/{old.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/week/sessions/{new.id}"
    assert "Booket" in client.get(f"/week/sessions/{new.id}").get_data(as_text=True)


def test_on_a_week_with_sessions_today_a_link_goes_straight_to_them(client, travel_to):
    """On a phone a week is screens long (14,500 px in the walk): the page links to today's sessions."""
    travel_to(f.oslo(2027, 3, 3, 8, 0))   # a Wednesday
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 3, 13, 0))
    f.login(client, w.counsellor)
    page = client.get("/week/2027/9").get_data(as_text=True)
    assert '<a href="#day-2027-03-03">Gå til dagens timer</a>' in page and 'id="day-2027-03-03"' in page
    assert "Gå til dagens timer" not in client.get("/week/2027/10").get_data(as_text=True)


def test_an_old_link_to_a_session_a_later_plan_gave_to_a_colleague_shows_no_participants(client):
    """The row a re-plan replaced still named the participants of an appointment now a colleague's (the security
    review): the old link says it is no longer the counsellor's."""
    from guidance.models import Session, SessionStatus

    w = f.world()
    colleague = f.user(Role.COUNSELLOR, name="Per Aas")
    old = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 3, 2, 10))
    new = f.published_session(colleague, w.own_referral, start=f.oslo(2027, 3, 2, 10))
    new.uid = old.uid
    old.status = SessionStatus.SUPERSEDED
    db.session.commit()
    f.login(client, w.counsellor)
    response = client.get(f"/week/sessions/{old.id}")
    assert response.status_code == 410 and w.own_referral.participant.name not in response.get_data(as_text=True)
