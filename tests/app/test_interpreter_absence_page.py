"""An interpreter's absence page offers another interpreter for each session it hits, not another
counsellor: "Give to Marte Solberg" moved an individual session into the group room, kept the absent
interpreter on it and locked it, and the next run reported it as a broken pinned session."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Absence, BookingStatus, InterpreterBooking, Role
from guidance.services import bookings
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # a page and a form over a few inserts


def test_the_absence_of_an_interpreter_offers_another_interpreter_and_asks_them(client):
    w = f.world()
    day = f.future_weekday(weeks=2)
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 9),
                                  interpreter=w.interpreter)
    bookings.answer(w.interpreter, bookings.new_booking(session), True)
    colleague = f.user(Role.COUNSELLOR, name="Marte Solberg")
    colleague.counsellor.locations = list(w.counsellor.counsellor.locations)
    stand_in = f.user(Role.INTERPRETER, name="Yonas Haile")  # Arabic, free that day
    db.session.commit()
    f.login(client, w.interpreter)
    client.post("/bookings/absence", data={"start_date": day.isoformat(), "end_date": day.isoformat()})
    absence = db.session.scalar(select(Absence))
    # The session's counsellor hears that the interpreter who had said yes is not coming (only the leads were).
    from guidance.models import Notice
    from guidance.services.notices import INTERPRETER_GONE

    assert [n.kind for n in db.session.scalars(select(Notice).where(Notice.user_id == w.counsellor.id))] == [INTERPRETER_GONE]

    lead = client.application.test_client()
    f.login(lead, w.lead)
    home = html.unescape(lead.get("/").get_data(as_text=True))   # another interpreter, not another time
    card = home[home.index('id="today-absences"'):home.index('id="today-new"')]
    assert "1 time trenger en annen tolk" in card and "må flyttes" not in card
    page = html.unescape(lead.get(f"/planning/absences/{absence.id}").get_data(as_text=True))
    assert "En annen tolk til samme tid" in page and "Spør Yonas Haile" in page
    assert "Gi til Marte Solberg" not in page
    # what asking them costs and their register category, as on the interpreter desk
    offered = page[page.index("Spør Yonas Haile"):]
    offered = offered[:offered.index("</span>", offered.index('<span class="hint">'))]
    assert re.search(r'<span class="hint">[\d\s\u00a0]+(,\d\d)?\s?kr, kategori [A-E]', offered), offered

    form = page[page.index('action="/centre/interpreters/'):]
    booking_id = int(form[len('action="/centre/interpreters/'):form.index("/rebook")])
    token = form[form.index('name="csrf_token" value="') + 25:]
    token = token[:token.index('"')]
    asked = lead.post(f"/centre/interpreters/{booking_id}/rebook", data={
        "csrf_token": token, "candidate_id": stand_in.interpreter.id, "back": f"/planning/absences/{absence.id}"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/planning/absences/{absence.id}")
    new = db.session.scalar(select(InterpreterBooking).where(InterpreterBooking.interpreter_id == stand_in.interpreter.id))
    assert new is not None and new.status is BookingStatus.REQUESTED and new.session_id == session.id
