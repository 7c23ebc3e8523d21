"""An interpreter arranged outside Veiled: when the only interpreter of a language declines (or none is
free), the lead phones an agency or a freelancer who is not in Veiled and records it for that one
session (services/interpreter_bookings/outside.py). The session then has its interpreter everywhere
Veiled reads it: the alert goes, the pages and calendars say who and how, the letter says an interpreter
takes part (never who), the budget counts the agreed price, and planning keeps it."""
import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import AuditEvent, BookingStatus, InterpreterBooking, LegalBasis, Role, Session, SessionStatus
from guidance.services import bookings, statistics
from guidance.services.errors import DomainError
from guidance.services.interpreter_bookings import costs, outside
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # forms, pages and the ORM's reading of one session: no concurrency here

AGENCY = "Tolkesentralen AS v/ Rana Aziz"


def _declined(w, *, day=None, hour=10, mode="onsite", type="individual", referrals=None, room_name="Rom 1"):
    """A published session whose only interpreter in Veiled said no: the lead's alert, nobody to offer."""
    day = day or f.future_weekday()
    session = f.published_session(w.counsellor, referrals or w.own_referral, start=f.oslo(day.year, day.month, day.day, hour),
                                  interpreter=w.interpreter, interpreter_mode=mode, type=type, room_name=room_name)
    booking = bookings.new_booking(session)
    db.session.commit()
    bookings.answer(w.interpreter, booking, False, "Opptatt den dagen")
    return session, booking


def _record(w, session, **values):
    data = {"who": AGENCY, "mode": "video", "price": "1 450,50", "note": "Bestilling 77-1234", **values}
    return outside.record(w.lead, session, outside.OutsideData(**data))


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------- the use case, from the alert


def test_the_lead_records_an_agency_interpreter_from_the_alert_and_the_alert_goes(client):
    w = f.world()
    session, booking = _declined(w)
    f.login(client, w.lead)
    assert w.interpreter.name in _page(client, "/")   # the home's "interpreter requests" card
    desk = _page(client, "/centre/interpreters/")
    assert "Ingen annen tolk er ledig" in desk
    link = f"/centre/interpreters/sessions/{session.id}/outside"
    assert f'href="{link}"' in desk
    form = _page(client, link)
    assert 'name="who"' in form and 'value="video"' in form and 'value="phone"' in form   # Rom 1 has video

    # As the agency's confirmation writes it ("1 450,50 kr" was refused: only the bare number was taken).
    response = client.post(link, data={"who": AGENCY, "mode": "video", "price": "1\u00a0450,50 kr", "note": "Bestilling 77-1234"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/centre/interpreters/#outside")

    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert (session.outside_interpreter, session.outside_interpreter_mode, session.outside_interpreter_price_ore,
            session.outside_interpreter_note) == (AGENCY, "video", 145050, "Bestilling 77-1234")
    assert session.interpreter_id is None and not session.interpreter_gone
    assert bookings.alerts(w.lead.county_id) == []
    desk = _page(client, "/centre/interpreters/")
    assert "Ingen annen tolk er ledig" not in desk and "Ingenting trenger din oppmerksomhet." in desk
    assert "Bestilt utenfor Veiled" in desk and AGENCY in desk and "Bestilling 77-1234" in desk
    # Nor is it on the lead's home among the requests to watch.
    assert w.interpreter.name not in _page(client, "/")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.outside_interpreter_recorded"))
    assert event.object_id == session.id and event.actor_id == w.lead.id
    assert json.loads(event.detail) == {"who": AGENCY, "mode": "video", "price_ore": 145050}
    assert w.own_referral.participant.name not in event.detail


def test_removing_it_brings_back_the_declined_request_and_the_alert(client):
    w = f.world()
    session, booking = _declined(w)
    _record(w, session)
    f.login(client, w.lead)
    page = _page(client, f"/centre/interpreters/sessions/{session.id}/outside")
    assert f'value="{AGENCY}"' in page and 'value="1450,50"' in page   # the record, to correct or remove

    response = client.post(f"/centre/interpreters/sessions/{session.id}/outside/remove")
    assert response.status_code == 302

    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert session.outside_interpreter is None and session.outside_interpreter_price_ore is None
    assert session.interpreter_id == w.interpreter.interpreter.id and session.interpreter_gone
    [alert] = bookings.alerts(w.lead.county_id)
    assert alert.booking.id == booking.id
    assert "Ingen annen tolk er ledig" in _page(client, "/centre/interpreters/")
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "session.outside_interpreter_removed")) == json.dumps({"who": AGENCY}, ensure_ascii=False)


def test_a_correction_keeps_one_record_and_is_audited_as_a_change(app):
    w = f.world()
    session, _booking = _declined(w)
    _record(w, session)
    _record(w, session, who="Frilanstolk Omar", mode="onsite", price="", note="")
    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert (session.outside_interpreter, session.outside_interpreter_mode, session.outside_interpreter_price_ore,
            session.outside_interpreter_note) == ("Frilanstolk Omar", "onsite", None, None)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == session.id,
                                                                 AuditEvent.action.like("session.outside%"))).all()
    assert actions == ["session.outside_interpreter_recorded", "session.outside_interpreter_changed"]


# ---------------------------------------------------------------------------- bad input, refusals


def test_bad_input_shows_the_form_again_with_what_was_typed_and_a_message_per_field(client):
    w = f.world()
    session, _booking = _declined(w, type="group", room_name="Grupperom",
                                  referrals=[w.own_referral, f.referral(name="Nour Saleh"), f.referral(name="Ali Omar")])
    f.login(client, w.lead)
    url = f"/centre/interpreters/sessions/{session.id}/outside"
    form = _page(client, url)
    # A group in a room without video: on site only (phone is for individual sessions, video needs the equipment).
    assert 'value="onsite"' in form and 'value="video"' not in form and 'value="phone"' not in form

    response = client.post(url, data={"who": "  ", "mode": "phone", "price": "tolv hundre", "note": "x" * 201})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv inn tolkebyrået eller navnet på tolken." in page
    assert "Velg hvordan tolken deltar." in page
    assert "Skriv et beløp i kroner, for eksempel 720 eller 720,50." in page
    assert "Bruk høyst 200 tegn." in page
    assert 'value="tolv hundre"' in page   # what was typed stays
    assert 'aria-invalid="true"' in page and "error-summary" in page

    response = client.post(url, data={"who": "A" * 201, "mode": "onsite", "price": "-5", "note": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Bruk høyst 200 tegn." in page and "Skriv et beløp mellom 0 og" in page
    response = client.post(url, data={"who": "Tolk \u202eAS", "mode": "onsite", "price": "", "note": ""})
    assert response.status_code == 400 and "Fjern de usynlige kontrolltegnene." in response.get_data(as_text=True)

    db.session.expire_all()
    session = db.session.get(Session, session.id)
    assert session.outside_interpreter is None and session.interpreter_id == w.interpreter.interpreter.id
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("session.outside%"))) == 0


def test_a_session_whose_interpreter_in_veiled_is_still_asked_or_has_said_yes_is_refused(client):
    w = f.world()
    day = f.future_weekday()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10),
                                  interpreter=w.interpreter)
    bookings.new_booking(session)
    db.session.commit()
    with pytest.raises(DomainError, match="er spurt om denne timen eller har sagt ja"):
        _record(w, session)
    db.session.rollback()
    f.login(client, w.lead)
    url = f"/centre/interpreters/sessions/{session.id}/outside"
    page = _page(client, url)
    assert "En tolk i Veiled er spurt om denne timen" in page and 'name="who"' not in page
    response = client.post(url, data={"who": AGENCY, "mode": "onsite"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Session, session.id).outside_interpreter is None


def test_a_past_or_cancelled_session_cannot_get_one(app, travel_to):
    w = f.world()
    session, _booking = _declined(w)
    travel_to(session.start + dt.timedelta(minutes=5))
    with pytest.raises(DomainError, match="Timen har begynt"):
        _record(w, session)
    db.session.rollback()
    session.status = SessionStatus.CANCELLED
    db.session.commit()
    travel_to(session.start - dt.timedelta(days=2))
    with pytest.raises(DomainError, match="Bare en booket time"):
        _record(w, session)


def test_only_the_countys_lead_reaches_the_page(client):
    w = f.world()
    session, _booking = _declined(w)
    url = f"/centre/interpreters/sessions/{session.id}/outside"
    for person, status in ((w.other_county_lead, 404), (w.counsellor, 403), (w.admin, 403), (w.referrer, 403)):
        fresh = client.application.test_client()
        f.login(fresh, person)
        assert fresh.get(url).status_code == status, person.role
        assert fresh.post(url, data={"who": AGENCY, "mode": "onsite"}).status_code == status
        assert fresh.post(url + "/remove").status_code == status
    db.session.expire_all()
    assert db.session.get(Session, session.id).outside_interpreter is None


# ---------------------------------------------------------------------------- who sees it, and how


def test_the_counsellor_and_the_lead_see_who_comes_and_how_and_calendars_say_how_only(client):
    w = f.world()
    session, _booking = _declined(w)
    _record(w, session)
    local = session.start.astimezone(f.oslo(2027, 1, 1).tzinfo).date()
    day, (year, week, _weekday) = local.isoformat(), local.isocalendar()

    f.login(client, w.counsellor)
    for url in (f"/week/{year}/{week}", f"/week/day/{day}", f"/week/sessions/{session.id}"):
        page = _page(client, url)
        assert AGENCY in page and "video" in page and "bestilt utenfor Veiled" in page, url
        assert w.interpreter.name not in page, url
    assert "Bestilling 77-1234" in _page(client, f"/week/sessions/{session.id}")   # the centre's note, for the counsellor
    ics = client.get(f"/week/sessions/{session.id}.ics").get_data(as_text=True)
    assert "Tolk: Arabisk (video)" in ics and "Aziz" not in ics and "ingen har sagt ja" not in ics

    lead = client.application.test_client()
    f.login(lead, w.lead)
    for url in (f"/grids/day?date={day}", f"/grids/?of=counsellor-{w.counsellor.counsellor.id}&week={day}",
                f"/planning/sessions/{session.id}/edit", f"/planning/sessions/{session.id}/cancel"):
        page = _page(lead, url)
        assert AGENCY in page and "bestilt utenfor Veiled" in page, url
        assert "Ingen tolk ennå" not in page, url
    assert "Veiled sier ikke fra til" in _page(lead, f"/planning/sessions/{session.id}/cancel")


def _letter(client, w, referral) -> str:
    f.login(client, w.lead)
    response = client.get(f"/referrals/{referral.id}/letters.pdf")
    assert response.status_code == 200
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


@pytest.mark.parametrize("mode, words", [("video", "Ein tolk på ukrainsk er med på video."),
                                         ("phone", "Ein tolk på ukrainsk er med på telefon."),
                                         ("onsite", "Ein tolk på ukrainsk er i rommet saman med deg.")])
def test_the_letter_says_an_interpreter_takes_part_and_how_never_who(client, mode, words):
    w = f.world()
    referral = f.referral(name="Olena Kovalenko", language="uk")
    w.interpreter.interpreter.languages[0].language = "uk"
    db.session.commit()
    session, _booking = _declined(w, referrals=referral)
    assert "Vi ordnar med ein tolk på ukrainsk for deg." in _letter(client, w, referral)

    _record(w, session, mode=mode)
    text = _letter(client, w, referral)
    assert words in text and "Vi ordnar med ein tolk" not in text
    assert "Tolkesentralen" not in text and "Aziz" not in text and w.interpreter.name not in text


# ---------------------------------------------------------------------------- the cost


def test_the_agreed_price_counts_in_the_cost_report_and_the_budget_as_planned(client):
    w = f.world()
    session, _booking = _declined(w)
    ordinary = f.referral(name="Self Booked", legal_basis=LegalBasis.ORDINARY)
    other, _other_booking = _declined(w, referrals=ordinary, hour=13)   # the county does not pay for this one
    _record(w, session)
    _record(w, other, price="999")
    month = session.start.astimezone(f.oslo(2027, 1, 1).tzinfo).strftime("%Y-%m")

    report = costs.cost_report(w.lead.county_id)
    assert report["month"] == [(month, 145050, None, 145050)]
    assert report["interpreter"] == [(f"{AGENCY} (bestilt utenfor Veiled)", 145050, None, 145050)]
    assert report["language"] == [("ar", 145050, None, 145050)]
    [row] = [m for m in statistics.interpreter_months(w.lead.county_id) if m["month"] == month]
    assert (row["hours"], row["cost_nok"]) == (1.5, 1450.5)

    f.login(client, w.lead)
    desk = _page(client, "/centre/interpreters/")
    assert f"{AGENCY} (bestilt utenfor Veiled)" in desk and "En tolk bestilt utenfor Veiled teller med prisen du avtalte" in desk

    # Removed, cancelled or replaced, it costs nothing any more.
    outside.remove(w.lead, session)
    assert costs.cost_report(w.lead.county_id)["month"] == []
    _record(w, session)
    session.status = SessionStatus.CANCELLED
    db.session.commit()
    assert costs.cost_report(w.lead.county_id)["month"] == []
    assert all(m["cost_nok"] == 0 for m in statistics.interpreter_months(w.lead.county_id))


# ---------------------------------------------------------------------------- planning keeps it


@pytest.fixture
def planning(app, travel_to):
    from tests.app.planning.helpers import TODAY, planning_world

    travel_to(f.oslo(TODAY.year, TODAY.month, TODAY.day, 9))
    return planning_world()


def _covered(w):
    """Wednesday 13 January 2027 10:00 (inside the first plan's horizon), its only Arabic interpreter
    declined, an agency's interpreter recorded by video."""
    session, booking = _declined(w, day=dt.date(2027, 1, 13))
    _record(w, session)
    return db.session.get(Session, session.id), booking


def test_the_planner_gets_the_session_with_a_stand_in_free_then_only_and_it_breaks_no_rule(planning):
    from solver.check import check_plan

    from guidance.planning import InstanceOptions, build_instance, ids
    from tests.app.planning.helpers import TODAY

    w = planning
    session, _booking = _covered(w)
    instance = build_instance(w.lead.county, InstanceOptions(today=TODAY))
    stand_in = ids.outside_interpreter_id(session.uid)
    [given] = [s for s in instance["previous_plan"]["sessions"] if s["id"] == ids.session_id(session.id)]
    assert (given["interpreter"], given["interpreter_mode"], given["language"]) == (stand_in, "video", "ar")
    [interpreter] = [i for i in instance["interpreters"] if i["id"] == stand_in]
    assert interpreter["name"] == AGENCY and interpreter["modes"] == ["video"] and interpreter["languages"] == {"ar": 1}
    assert interpreter["weekly"] == {"3": [["10:00", "11:30"]]}   # that Wednesday's session, nothing else
    assert interpreter["absences"] == [["2027-01-11", "2027-01-12"], ["2027-01-14", instance["horizon"]["end"]]]
    # The need is covered: the checker finds nothing wrong with the session (with the interpreter who
    # declined, it was busy then), and the plan's interpreter cost is the agreed price.
    result = check_plan(instance, instance["previous_plan"])
    assert [v for v in result.violations if v.session == given["id"] and v.rule != 0] == []
    assert result.metrics["interpreter_cost_nok"] == pytest.approx(1450.5)


def test_a_re_plan_keeps_the_session_and_its_outside_interpreter_and_asks_nobody(planning):
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import solved_run

    w = planning
    session, booking = _covered(w)
    run = solved_run(w.lead)
    assert run.status.value == "succeeded", run.message
    [draft] = [s for s in run.sessions if s.uid == session.uid]
    assert (draft.start, draft.outside_interpreter, draft.outside_interpreter_mode, draft.outside_interpreter_price_ore) \
        == (session.start, AGENCY, "video", 145050)
    assert draft.interpreter_id is None and draft.sequence == session.sequence   # unchanged: nobody is told anew

    requests_before = db.session.scalar(select(func.count()).select_from(InterpreterBooking))
    planning_service.publish_run(w.lead, run)
    db.session.expire_all()
    live = db.session.scalar(select(Session).where(Session.uid == session.uid, Session.status == SessionStatus.BOOKED))
    assert live.id != session.id and live.outside_interpreter == AGENCY and live.interpreter_id is None
    assert db.session.get(Session, session.id).status is SessionStatus.SUPERSEDED
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == requests_before  # nobody asked
    assert [b.id for b in live.bookings] == [booking.id]   # the declined request goes on with the session
    assert bookings.alerts(w.lead.county_id) == []
    assert costs.cost_report(w.lead.county_id)["month"] == [("2027-01", 145050, None, 145050)]   # counted once

    outside.remove(w.lead, live)   # it fell through after the re-plan: the alert is back
    [alert] = bookings.alerts(w.lead.county_id)
    assert alert.booking.id == booking.id and live.interpreter_id == w.interpreter.interpreter.id


def test_the_readiness_check_does_not_call_the_session_broken(planning, client):
    from guidance.services import readiness

    w = planning
    session, _booking = _covered(w)
    w.interpreter.interpreter.active = False   # the interpreter in Veiled who declined: no longer in use
    db.session.commit()
    assert readiness.broken_sessions(w.lead.county) == []
    f.login(client, w.lead)
    page = _page(client, f"/readiness/counties/{w.lead.county_id}")
    assert w.own_referral.reference not in page


def test_a_handover_keeps_the_outside_interpreter_and_an_interpreter_in_veiled_ends_it(planning, client):
    from guidance.services import plan_edits

    w = planning
    session, _booking = _covered(w)
    colleague = f.user(Role.COUNSELLOR, name="Kari Kollega")
    colleague.counsellor.locations = list(w.counsellor.counsellor.locations)
    other = f.user(Role.INTERPRETER, name="Tolk To")
    db.session.commit()
    local = dt.datetime(2027, 1, 13, 10, 0)

    moved = plan_edits.move_published_session(w.lead, session, start=local, room_id=session.room_id,
                                              counsellor_id=colleague.counsellor.id, interpreter_id=None,
                                              interpreter_mode="onsite")
    assert moved.handed_over and moved.outside is None
    assert session.outside_interpreter == AGENCY and session.counsellor_id == colleague.counsellor.id

    moved = plan_edits.move_published_session(w.lead, session, start=dt.datetime(2027, 1, 14, 12, 0),
                                              room_id=session.room_id, counsellor_id=colleague.counsellor.id,
                                              interpreter_id=None, interpreter_mode="onsite", confirm_soon=True)
    assert moved.outside == ("moved", AGENCY) and session.outside_interpreter == AGENCY   # the lead tells them

    moved = plan_edits.move_published_session(w.lead, session, start=dt.datetime(2027, 1, 14, 12, 0),
                                              room_id=session.room_id, counsellor_id=colleague.counsellor.id,
                                              interpreter_id=other.interpreter.id, interpreter_mode="onsite")
    assert moved.outside == ("ended", AGENCY) and moved.interpreter_asked
    assert session.outside_interpreter is None and session.interpreter_id == other.interpreter.id
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "session.outside_interpreter_ended")) == json.dumps({"who": AGENCY}, ensure_ascii=False)


def test_an_arrangement_removed_or_corrected_after_the_run_is_published_as_it_stands_now(planning):
    from guidance.services import planning as planning_service
    from tests.app.planning.helpers import solved_run

    w = planning
    session, booking = _covered(w)
    run = solved_run(w.lead)
    _record(w, session, who="Tolkesentralen AS", price="1200")   # corrected after the run
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    db.session.expire_all()
    live = db.session.scalar(select(Session).where(Session.uid == session.uid, Session.status == SessionStatus.BOOKED))
    assert (live.outside_interpreter, live.outside_interpreter_price_ore) == ("Tolkesentralen AS", 120000)

    session, booking = _declined(w, day=dt.date(2027, 1, 14))
    _record(w, session)
    run = solved_run(w.lead)
    outside.remove(w.lead, session)   # it fell through before the plan was published
    requests_before = db.session.scalar(select(func.count()).select_from(InterpreterBooking))
    planning_service.publish_run(w.lead, run, confirm_stale=True)
    db.session.expire_all()
    live = db.session.scalar(select(Session).where(Session.uid == session.uid, Session.status == SessionStatus.BOOKED))
    assert live.outside_interpreter is None and live.interpreter_id == w.interpreter.interpreter.id
    assert db.session.scalar(select(func.count()).select_from(InterpreterBooking)) == requests_before
    assert [a.booking.id for a in bookings.alerts(w.lead.county_id)] == [booking.id]
