"""The interpreter's home: requests waiting for an answer (with the answer deadline, Oslo time) and the
accepted bookings ahead, each opening the booking; other interpreters' bookings never show."""

import pytest
from guidance.extensions import db
from guidance.models import BookingStatus, InterpreterBooking, Role
from tests.app import factories as f
from tests.app.page_text import card as _card

pytestmark = pytest.mark.one_database  # pages over the ORM: the PostgreSQL pass is for queries, transactions and concurrency


def _booking(session, interpreter, status, answer_deadline=None):
    booking = InterpreterBooking(session=session, interpreter_id=interpreter.interpreter.id, status=status,
                                 answer_deadline=answer_deadline, mode="onsite", language="ar", billed_minutes=90,
                                 cost_ore=0)
    db.session.add(booking)
    db.session.commit()
    return booking


def test_the_interpreter_sees_what_to_answer_and_what_is_booked(client, travel_to):
    travel_to(f.oslo(2027, 6, 1, 12))  # summer: Oslo is UTC+2
    w = f.world()
    asked = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2027, 6, 14, 9), interpreter=w.interpreter)
    request = _booking(asked, w.interpreter, BookingStatus.REQUESTED, answer_deadline=f.oslo(2027, 6, 3, 12))
    accepted = f.published_session(w.counsellor, f.referral(name="Lina Haddad"), start=f.oslo(2027, 6, 15, 10),
                                   interpreter=w.interpreter)
    booked = _booking(accepted, w.interpreter, BookingStatus.ACCEPTED)
    other = f.user(Role.INTERPRETER)
    theirs = f.published_session(w.counsellor, f.referral(name="Sara Haddad"), start=f.oslo(2027, 6, 16, 11),
                                 interpreter=other)
    _booking(theirs, other, BookingStatus.REQUESTED, answer_deadline=f.oslo(2027, 6, 3, 12))
    f.login(client, w.interpreter)
    page = client.get("/").get_data(as_text=True)
    waiting = _card(page, "work-requests")
    assert "1 forespørsel" in waiting and "mandag 14. juni kl. 09:00" in waiting
    assert "svar innen torsdag 3. juni kl. 12:00" in waiting
    assert f'href="/bookings/{request.id}"' in page
    ahead = _card(page, "work-upcoming")
    assert "tirsdag 15. juni kl. 10:00" in ahead and f'href="/bookings/{booked.id}"' in page
    assert "onsdag 16. juni" not in page  # another interpreter's request


def test_nothing_waiting_says_so(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.login(client, w.interpreter)
    page = client.get("/").get_data(as_text=True)
    assert "Ingen forespørsler venter." in _card(page, "work-requests")


def test_the_interpreter_sees_the_rates_and_category_the_fees_are_reckoned_by(client, travel_to):
    """The list said "fee at your rates", and the interpreter could see neither the rates nor their category."""
    import html

    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.login(client, w.interpreter)
    page = html.unescape(client.get("/bookings/").get_data(as_text=True))
    terms = page[page.index('id="my-terms"'):]
    assert "Arabisk (kategori B)" in terms, terms[:600]
    assert "720" in terms and "360" in terms and "60 min" in terms
    # How and when they are asked (a request by phone, or on a Friday, had surprised an interpreter).
    assert "Slik du tolker" in terms and "Tider du kan bli spurt om" in terms
    assert "mandag 08:00–16:00" in terms.lower() and "fredag 08:00–16:00" in terms.lower()
