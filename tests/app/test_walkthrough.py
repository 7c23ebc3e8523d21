"""Issue 8's "Done means", walked through end to end on the demo county.

Every step goes through the real HTTP routes with CSRF switched on, the way each person
would click through: the lead plans (a real queue consumer solves) and publishes; the
counsellor subscribes to the calendar feed; the interpreter answers the e-mail that the
queue consumer sent to a real SMTP server; the lead picks the offered replacement; the counsellor records the
outcome and shares the guidance note; the referring municipality reads it and downloads the
PDF, and a neighbouring municipality cannot.

The test reads the database only to choose which session to follow and to check what the
pages promised actually happened.
"""
from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest
import vobject
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    BookingStatus,
    InterpreterBooking,
    Participant,
    PlanningRun,
    Referral,
    ReferralStatus,
    Role,
    RunStatus,
    Session,
    SessionParticipant,
    SessionStatus,
    User,
)
from guidance.services.calendar import OSLO
from tests.app import factories as f
from tests.queue_consumer import consumer_for
from tests.smtp import Inbox

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "walkthrough-password-1"
WAIT_SECONDS = 180


# -- a real SMTP server and a real queue consumer --------------------------------------------

@pytest.fixture
def app_config(app_config, inbox):
    app_config["WTF_CSRF_ENABLED"] = True  # every form the walk uses must carry its token
    app_config["MAIL_SERVER"] = "127.0.0.1"
    app_config["MAIL_PORT"] = inbox[1]
    app_config["REDIS_URL"] = None
    app_config["QUEUE_NAME"] = f"test-walkthrough-{uuid.uuid4().hex[:8]}"
    return app_config


@pytest.fixture
def consumer(app):
    """`huey_consumer guidance.jobs.huey` on the test app's SQLite queue and database; it
    delivers the outbox to the test's SMTP server."""
    with consumer_for(app, MAIL_SERVER=app.config["MAIL_SERVER"], MAIL_PORT=str(app.config["MAIL_PORT"])) as process:
        yield process


# -- reading pages as a browser would ---------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""


class _FormParser(HTMLParser):
    def __init__(self, url: str):
        super().__init__()
        self.url, self.forms, self._form, self._textarea = url, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(action=a.get("action") or self.url, method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self._form.fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""
        elif tag == "button" and a.get("name"):
            self._form.buttons.append((a["name"], a.get("value") or ""))

    def handle_data(self, data):
        if self._form is not None:
            self._form.text += data
            if self._textarea:
                self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms(page: str, url: str = "") -> list[Form]:
    parser = _FormParser(url)
    parser.feed(page)
    return parser.forms


def form_to(page: str, action: str, page_url: str | None = None) -> Form:
    """The one POST form on `page` (at `page_url`, by default `action`) whose action is `action`."""
    matches = [fm for fm in forms(page, page_url or action) if fm.method == "post" and urlsplit(fm.action).path == action]
    assert len(matches) == 1, f"{len(matches)} POST forms to {action}"
    return matches[0]


def submit(client, form: Form, button: tuple[str, str] | None = None, **values):
    """POST the form as a browser would: its hidden fields (the CSRF token), `values`, the button."""
    data = {**form.fields, **values}
    if button:
        assert button in form.buttons, f"no button {button} in the form"
        data[button[0]] = button[1]
    assert data.get("csrf_token"), "the form carries no CSRF token"
    return client.post(form.action, data=data)


def login(client, person: User, password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    response = submit(client, form_to(page, "/login"), email=person.email, password=password)
    if response.status_code == 302 and response.headers["Location"] == "/login/code":
        # Leads and admins: the second step, with a code from their (test) authenticator app.
        page = client.get("/login/code").get_data(as_text=True)
        response = submit(client, form_to(page, "/login/code"), code=f.second_factor_code(person))
    assert response.status_code == 302, f"{person.email} could not log in"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def unfolded(body: bytes) -> str:
    return body.decode().replace("\r\n ", "").replace("\r\n\t", "")


def calendar_part(message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_content())


def wait_for_mail(smtp: Inbox, address: str, uid: str | None = None, count: int = 1) -> list:
    """The e-mails to `address` (about calendar `uid`) once the queue consumer has sent `count`."""
    deadline = time.monotonic() + 60
    while True:
        found = [m for m in smtp.to(address)
                 if uid is None or str(calendar_part(m).walk("VEVENT")[0]["UID"]) == uid]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        db.session.rollback()  # no read transaction left open: on SQLite it would block the consumer
        time.sleep(0.2)


def link_in(message, path_prefix: str) -> str:
    body = message.get_body(("plain",)).get_content()
    links = [url.rstrip(".,)") for url in re.findall(r"https?://\S+", body) if path_prefix in url]
    assert len(links) == 1, f"{len(links)} {path_prefix} links in the e-mail"
    return path_of(links[0])


# -- choosing what to follow ------------------------------------------------------------------

def _session_to_follow(referrer: User) -> Session:
    """A booked individual session with an interpreter, for a participant the demo referrer
    referred, in the language with the most interpreters (so a replacement can exist)."""
    from guidance.models import InterpreterLanguage

    supply: dict[str, int] = {}
    for language in db.session.scalars(select(InterpreterLanguage.language)):
        supply[language] = supply.get(language, 0) + 1
    candidates = [
        s for s in db.session.scalars(select(Session).where(Session.status == SessionStatus.BOOKED,
                                                             Session.type == "individual",
                                                             Session.interpreter_id.is_not(None)))
        if any(sp.referral.referring_municipality_id == referrer.municipality_id for sp in s.participants)
    ]
    assert candidates, "the published plan has no interpreted session for the demo referrer's municipality"
    return max(candidates, key=lambda s: (supply.get(s.language, 0), -s.start.timestamp()))


def _wait_for_run(client, run_id: int) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        progress = client.get(f"/planning/runs/{run_id}/progress").get_json()
        db.session.rollback()  # no read transaction left open: on SQLite it would block the consumer
        if not progress["active"]:
            return progress
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish in {WAIT_SECONDS} s")


def _feed(app, url: str) -> tuple[bytes, str]:
    """The feed as a calendar client fetches it: no login, no cookies."""
    response = app.test_client().get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return response.data, response.headers["ETag"]


# -- the walk -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_issue_8_done_means_walkthrough(app, inbox, consumer, caplog, travel_to):
    import logging

    from guidance.planning.ids import local_today
    from guidance.services.demo import seed_demo

    caplog.set_level(logging.DEBUG)
    smtp, _port = inbox
    demo = seed_demo("46", referrals=40, today=local_today(), password=PASSWORD)
    lead = db.session.scalar(select(User).where(User.email == demo.credentials["lead"][0]))
    referrer = db.session.scalar(select(User).where(User.email == demo.credentials["referrer"][0]))
    people = {p.name: p.phone for p in db.session.scalars(select(Participant))}
    db.session.rollback()

    # 1. The lead runs a plan and publishes it.
    lead_client = app.test_client()
    login(lead_client, lead)
    page = lead_client.get("/planning/").get_data(as_text=True)
    response = submit(lead_client, form_to(page, "/planning/runs"), time_limit="10")
    assert response.status_code == 302, response.get_data(as_text=True)
    run_url = path_of(response.headers["Location"])
    run_id = int(run_url.rstrip("/").rsplit("/", 1)[1])
    progress = _wait_for_run(lead_client, run_id)
    assert progress["status"] == "succeeded", progress
    page = lead_client.get(run_url).get_data(as_text=True)
    assert f'href="/planning/runs/{run_id}/publish"' in page  # "Review and publish" leads to the confirmation
    page = lead_client.get(f"/planning/runs/{run_id}/publish").get_data(as_text=True)
    response = submit(lead_client, form_to(page, f"/planning/runs/{run_id}/publish"))
    assert response.status_code == 302
    db.session.expire_all()
    run = db.session.get(PlanningRun, run_id)
    assert run.status is RunStatus.SUCCEEDED and run.published_at is not None
    published = db.session.scalars(select(Session).where(Session.run_id == run_id)).all()
    assert published and all(s.status is SessionStatus.BOOKED for s in published)

    session = _session_to_follow(referrer)
    session_id, uid = session.id, session.uid
    referral = next(sp.referral for sp in session.participants
                    if sp.referral.referring_municipality_id == referrer.municipality_id)
    referral_id, reference = referral.id, referral.reference
    counsellor = db.session.get(User, session_counsellor_user_id(session))
    interpreter = session.interpreter.user
    first_booking = next(b for b in session.bookings if b.status is BookingStatus.REQUESTED)
    db.session.rollback()

    # 2. The counsellor gets the subscription address from their page and the feed is a calendar.
    counsellor_client = app.test_client()
    login(counsellor_client, counsellor)
    page = counsellor_client.get("/week/calendar").get_data(as_text=True)
    made = submit(counsellor_client, form_to(page, "/week/calendar/token"))
    assert made.status_code == 302   # shown after a redirect: a reload does not make another address
    page = counsellor_client.get(made.headers["Location"]).get_data(as_text=True)
    https = re.search(r'value="(https?://[^"]+\.ics)"', page).group(1)
    assert f'href="webcal://{https.split("://", 1)[1]}"' in page
    feed_url = path_of(https)
    body, etag = _feed(app, feed_url)

    mine = db.session.scalars(select(Session).join(Session.run).where(
        Session.counsellor_id == session.counsellor_id, Session.status == SessionStatus.BOOKED,
        PlanningRun.published_at.is_not(None))).all()
    expected = {s.uid: s for s in mine}
    first = icalendar.Calendar.from_ical(body)
    assert all(not c.errors for c in first.walk()), [c.errors for c in first.walk()]
    assert [str(tz["TZID"]) for tz in first.walk("VTIMEZONE")] == ["Europe/Oslo"]
    events = {str(e["UID"]): e for e in first.walk("VEVENT")}
    assert set(events) == set(expected), "the feed holds exactly the counsellor's booked sessions"
    second = {str(e.uid.value): e for e in vobject.readOne(body.decode(), validate=True).vevent_list}
    assert set(second) == set(expected)
    for event_uid, s in expected.items():
        start, end = events[event_uid].decoded("DTSTART"), events[event_uid].decoded("DTEND")
        assert events[event_uid]["DTSTART"].params["TZID"] == "Europe/Oslo"
        assert start == s.start and end == s.end
        assert start.utcoffset() == s.start.astimezone(OSLO).utcoffset()  # summer or winter time, as in Oslo
        assert (start.hour, start.minute) == (s.start.astimezone(OSLO).hour, s.start.astimezone(OSLO).minute)
        assert second[event_uid].dtstart.value == s.start and second[event_uid].dtend.value == s.end
        assert str(events[event_uid]["STATUS"]) == "CONFIRMED"
        assert all(sp.referral.reference in str(events[event_uid]["SUMMARY"]) for sp in s.participants)
    text = unfolded(body)
    for name, phone in people.items():
        assert name not in text
        assert phone and phone not in text
    assert interpreter.name not in text
    session_link = path_of(str(events[uid]["URL"]))
    assert session_link == f"/week/sessions/{session_id}"
    sequence_before = int(events[uid]["SEQUENCE"])
    db.session.rollback()

    # 3. The interpreter's invitation arrived over SMTP: an iTIP REQUEST with a signed link.
    [invitation] = wait_for_mail(smtp, interpreter.email, uid)
    assert reference not in invitation["Subject"] and not any(n in invitation.as_string() for n in people)
    assert "method=REQUEST" in next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")["Content-Type"].replace('"', "")
    itip = calendar_part(invitation)
    assert str(itip["METHOD"]) == "REQUEST"
    [invited] = itip.walk("VEVENT")
    assert invited.decoded("DTSTART") == session.start and str(invited["ATTENDEE"]) == f"mailto:{interpreter.email}"
    answer_link = link_in(invitation, "/bookings/confirm/")
    interpreter_client = app.test_client()  # from the e-mail: not logged in
    # Another signature (a character in the middle: the last one may only carry base64 padding bits).
    signed, signature = answer_link.rsplit(".", 1)
    forged = f"{signed}.{signature[:5]}{'A' if signature[5] != 'A' else 'B'}{signature[6:]}"
    assert interpreter_client.get(forged).status_code == 404  # the link is signed
    page = interpreter_client.get(answer_link).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, first_booking.id).status is BookingStatus.REQUESTED  # a GET changes nothing
    decline = next(fm for fm in forms(page, answer_link) if ("answer", "decline") in fm.buttons)
    response = submit(interpreter_client, decline, ("answer", "decline"), reason="Opptatt i retten den dagen")
    assert response.status_code == 302
    db.session.expire_all()
    declined = db.session.get(InterpreterBooking, first_booking.id)
    assert declined.status is BookingStatus.DECLINED and declined.decline_reason == "Opptatt i retten den dagen"
    db.session.rollback()

    # 4. The lead sees the alert, is offered a replacement and picks it.
    page = lead_client.get("/centre/interpreters/").get_data(as_text=True)
    assert "Opptatt i retten den dagen" in page and interpreter.name in page
    offers = [fm for fm in forms(page) if urlsplit(fm.action).path == f"/centre/interpreters/{first_booking.id}/rebook"]
    assert offers, "no replacement interpreter offered"
    chosen_profile_id = int(offers[0].fields["candidate_id"])
    response = submit(lead_client, offers[0])
    assert response.status_code == 302
    db.session.expire_all()
    replacement = db.session.scalar(select(InterpreterBooking).where(
        InterpreterBooking.session_id == session_id, InterpreterBooking.status == BookingStatus.REQUESTED))
    assert replacement is not None and replacement.interpreter_id == chosen_profile_id
    substitute = replacement.interpreter.user
    assert replacement.interpreter.user.name in offers[0].text
    assert 'class="alert-box"' not in lead_client.get("/centre/interpreters/").get_data(as_text=True)
    [request_to_substitute] = wait_for_mail(smtp, substitute.email, uid)
    assert str(calendar_part(request_to_substitute)["METHOD"]) == "REQUEST"
    substitute_link = link_in(request_to_substitute, "/bookings/confirm/")
    substitute_client = app.test_client()
    page = substitute_client.get(substitute_link).get_data(as_text=True)
    accept = next(fm for fm in forms(page, substitute_link) if ("answer", "accept") in fm.buttons)
    assert submit(substitute_client, accept, ("answer", "accept")).status_code == 302
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, replacement.id).status is BookingStatus.ACCEPTED
    db.session.rollback()
    # The counsellor's calendar notices the change (a new SEQUENCE and ETag).
    body, new_etag = _feed(app, feed_url)
    changed = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}[uid]
    assert int(changed["SEQUENCE"]) > sequence_before and new_etag != etag

    # 5. After the session the counsellor records the outcome and shares the guidance note.
    later = session.end + dt.timedelta(hours=1)
    travel_to(later)
    # Hours later the sign-in has ended for inactivity (SESSION_IDLE_MINUTES): the counsellor signs in again.
    assert counsellor_client.get(session_link).status_code == 302
    login(counsellor_client, counsellor)
    page = counsellor_client.get(session_link).get_data(as_text=True)
    outcome_form = form_to(page, f"/week/sessions/{session_id}/outcomes")
    response = submit(counsellor_client, outcome_form, **{f"outcome-{referral_id}": "attended"})
    assert response.status_code == 302
    db.session.expire_all()
    member = next(sp for sp in db.session.get(Session, session_id).participants if sp.referral_id == referral_id)
    assert member.outcome.value == "attended"
    db.session.rollback()

    draft_url = f"/referrals/{referral_id}/notes/draft"
    page = counsellor_client.get(draft_url).get_data(as_text=True)
    note_form = next(fm for fm in forms(page, draft_url) if ("action", "share") in fm.buttons)
    goals = "Vil bli sykepleier i Norge; trenger godkjenning av utdanningen."
    response = submit(counsellor_client, note_form, ("action", "share"), goals=goals,
                      background="Bachelor i sykepleie, fem års erfaring.",
                      next_steps="Norskopplæring til B2 og søknad om autorisasjon.", further_guidance="y")
    # Sharing is final: the counsellor sees the note as it will go, and to whom, and confirms.
    share_url = f"/referrals/{referral_id}/notes/share"
    assert response.status_code == 302 and path_of(response.headers["Location"]) == share_url
    page = counsellor_client.get(share_url).get_data(as_text=True)
    assert goals in page and referrer.name in page
    response = submit(counsellor_client, form_to(page, share_url))
    assert response.status_code == 302
    note_url = path_of(response.headers["Location"])
    note_id = int(note_url.rsplit("/", 1)[1])

    # 6. The referring municipality is told, reads the note and downloads the PDF. (The referrer heard
    # of the booking when the plan was published: issue 27's notices, one e-mail for the publication.)
    mails = wait_for_mail(smtp, referrer.email, count=2)
    [booked] = [m for m in mails if "/notes/" not in m.get_body(("plain",)).get_content()]
    assert reference in booked.get_body(("plain",)).get_content() and not any(n in booked.as_string() for n in people)
    [notice] = [m for m in mails if "/notes/" in m.get_body(("plain",)).get_content()]
    assert reference in notice["Subject"] and not any(n in notice["Subject"] for n in people)
    assert link_in(notice, "/notes/") == note_url
    referrer_client = app.test_client()
    login(referrer_client, referrer)
    page = referrer_client.get(note_url)
    assert page.status_code == 200 and goals in page.get_data(as_text=True)
    pdf_link = re.search(r'href="(/notes/\d+\.pdf)"', page.get_data(as_text=True)).group(1)
    pdf = referrer_client.get(pdf_link)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and pdf.data.rstrip().endswith(b"%%EOF")
    assert reference in pdf.headers["Content-Disposition"]
    # A document for the municipality: in its written form (Bergen is neutral, so Vestland's nynorsk).
    assert re.search(rb"/Title \(Rettleiingsnotat " + reference.encode() + rb"\)", pdf.data)
    reads = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == referrer.id,
                                                               AuditEvent.object_type == "guidancenote")).all()
    assert {"note.viewed", "note.downloaded"} <= set(reads)
    # Closed once shared; still booked while a session lies ahead (the next run must keep it).
    ahead = [sp for sp in db.session.scalars(select(SessionParticipant).where(SessionParticipant.referral_id == referral_id))
             if sp.session.status is SessionStatus.BOOKED and sp.session.start > later]
    assert db.session.get(Referral, referral_id).status is (ReferralStatus.BOOKED if ahead else ReferralStatus.NOTE_SHARED)

    # Nobody's name, phone or note text reached a log, here or in the queue consumer.
    consumer_log = Path(app.config["QUEUE_PATH"]).with_suffix(".log").read_text()
    for secret in [*people, *filter(None, people.values()), goals]:
        assert secret not in caplog.text and secret not in consumer_log
    assert not any(n in notice.as_string() for n in people)

    # ... and a referrer of another municipality cannot.
    other_place = next(m for m in demo.county.municipalities if m.id != referrer.municipality_id)
    stranger = f.user(Role.REFERRER, municipality_number=other_place.number)
    stranger_client = app.test_client()
    login(stranger_client, stranger, f.PASSWORD)
    for url in (note_url, pdf_link, f"/referrals/{referral_id}/notes", f"/referrals/{referral_id}"):
        assert stranger_client.get(url).status_code in (403, 404), url


def session_counsellor_user_id(session: Session) -> int:
    from guidance.models import CounsellorProfile

    return db.session.get(CounsellorProfile, session.counsellor_id).user_id
