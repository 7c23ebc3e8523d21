"""Guidance notes: drafts, sharing, versions, who may read them, and that every read is audited."""
import html
import re

import pytest
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, GuidanceNote, OutboxMessage, Referral, ReferralStatus, Role
from tests.app import factories as f
from guidance.planning.ids import local_today

pytestmark = pytest.mark.one_database  # forms, pages and sign-in flows over the ORM: the PostgreSQL pass is for queries, transactions and concurrency

NOTE = {"goals": "Bli sykepleier – først norsk på B1-nivå", "background": "Videregående skole; butikkarbeid",
        "next_steps": "Norskopplæring og praksisplass", "further_guidance": "y"}


def _setup():
    w = f.world()
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 6, 10))
    return w


def _checked(page: str) -> str:
    return re.search(r'name="checked" type="hidden" value="([0-9a-f]+)"', page).group(1)


def _confirm(client, referral, **kwargs):
    """The confirmation step: the page the draft form's Share leads to, then its Share button."""
    page = client.get(f"/referrals/{referral.id}/notes/share").get_data(as_text=True)
    return client.post(f"/referrals/{referral.id}/notes/share", data={"checked": _checked(page)}, **kwargs)


def _share(client, w, data=NOTE):
    f.login(client, w.counsellor)
    response = client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**data, "action": "share"})
    if response.status_code != 302:
        return response
    assert response.headers["Location"].endswith(f"/referrals/{w.own_referral.id}/notes/share")
    return _confirm(client, w.own_referral)


def test_counsellor_saves_a_draft_the_municipality_cannot_see(client, app):
    w = _setup()
    f.login(client, w.counsellor)
    assert client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "action": "save"}).status_code == 302
    note = db.session.scalar(select(GuidanceNote))
    assert note.status == "draft" and note.goals.startswith("Bli sykepleier")
    referrer = app.test_client()
    f.login(referrer, w.referrer)
    assert referrer.get(f"/notes/{note.id}").status_code == 404
    assert "Bli sykepleier" not in referrer.get(f"/referrals/{w.own_referral.id}/notes").get_data(as_text=True)


def test_sharing_needs_goals_and_next_steps_and_keeps_the_input(client):
    w = _setup()
    response = _share(client, w, {**NOTE, "next_steps": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Bli sykepleier" in page and 'aria-invalid="true"' in page
    assert db.session.scalar(select(GuidanceNote).where(GuidanceNote.status == "shared")) is None
    # The text is kept as the draft (a phone user who switched app lost it) and the page says so.
    assert "Teksten er lagret som utkast." in page
    draft = db.session.scalar(select(GuidanceNote).where(GuidanceNote.status == "draft"))
    assert draft is not None and draft.goals == NOTE["goals"].strip()
    assert "Bli sykepleier" in client.get(f"/referrals/{w.own_referral.id}/notes/draft").get_data(as_text=True)


def test_shared_note_notifies_the_referrer_who_reads_it_and_downloads_a_pdf(client, app):
    w = _setup()
    assert _share(client, w).status_code == 302
    note = db.session.scalar(select(GuidanceNote))
    assert note.status == "shared" and note.shared_at is not None
    assert db.session.get(type(w.own_referral), w.own_referral.id).status is ReferralStatus.NOTE_SHARED
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.to_user_id == w.referrer.id
    assert w.own_referral.reference in message.subject and "Amal" not in message.subject
    referrer = app.test_client()
    f.login(referrer, w.referrer)
    assert "Bli sykepleier" in referrer.get(f"/notes/{note.id}").get_data(as_text=True)
    pdf = referrer.get(f"/notes/{note.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    # Named in the referrer's language for their case file ("guidance-note-..." in English before).
    assert f'filename="veiledningsnotat-{note.referral.reference}-v' in pdf.headers["Content-Disposition"]
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["note.viewed", "note.downloaded"]))).all()
    assert [(e.action, e.actor_id) for e in reads] == [("note.viewed", w.referrer.id), ("note.downloaded", w.referrer.id)]
    assert all("sykepleier" not in (e.detail or "") for e in db.session.scalars(select(AuditEvent)))


def test_further_guidance_advised_says_who_books_it(client, app):
    """"Further guidance advised: yes" and nothing else: the referrer could not tell whether the centre books it
    or they must refer again."""
    from guidance.services.referral_reference import new_reference

    w = _setup()
    assert _share(client, w).status_code == 302   # NOTE advises further guidance
    note = db.session.scalar(select(GuidanceNote))
    referrer = app.test_client()
    f.login(referrer, w.referrer)
    page = referrer.get(f"/notes/{note.id}").get_data(as_text=True)
    assert "Karrieresenteret booker ikke mer veiledning av seg selv: send en ny henvisning" in page
    link = f'href="/intake/new?again={note.referral.id}"'
    assert link in page[page.index('id="further-guidance"'):]
    # The new referral starts from the participant as the municipality referred them (the form was empty).
    form = html.unescape(referrer.get(f"/intake/new?again={note.referral.id}").get_data(as_text=True))
    person = note.referral.participant
    assert f'value="{person.name}"' in form and f"kopiert fra henvisning {note.referral.reference}" in form
    from guidance.models import AuditEvent as Event

    assert db.session.scalar(select(Event).where(Event.action == "referral.viewed", Event.actor_id == w.referrer.id,
                                                 Event.object_id == note.referral.id)) is not None   # read, recorded
    assert referrer.get(f"/intake/new?again={w.other_referral.id}").status_code == 404   # not theirs
    # The counsellor who wrote it reads what they can do (it told them to "send a new referral").
    f.login(client, w.counsellor)
    theirs = client.get(f"/notes/{note.id}").get_data(as_text=True)
    assert "send en ny henvisning" not in theirs and "be om en oppfølgingstime" in theirs
    # A session of the referral still ahead: the note is about the guidance so far, not "send a new referral" (a
    # referrer nearly sent a duplicate of a referral with a group session booked).
    day = f.future_weekday(weeks=2)
    f.published_session(w.counsellor, w.own_referral, start=f.oslo(day.year, day.month, day.day, 10), type="group",
                        room_name="Grupperom")
    ahead = referrer.get(f"/notes/{note.id}").get_data(as_text=True)
    assert "Henvisningen har fortsatt en time booket" in ahead and "send en ny henvisning" not in ahead
    follow_up = Referral(reference=new_reference(), participant=w.own_referral.participant, county=w.own_referral.county,
                         referring_municipality=w.own_referral.referring_municipality, legal_basis=w.own_referral.legal_basis,
                         earliest_date=w.own_referral.earliest_date, follow_up_of_id=w.own_referral.id)
    db.session.add(follow_up)
    db.session.commit()
    page = referrer.get(f"/notes/{note.id}").get_data(as_text=True)
    assert f"Karriereveilederen har bedt om mer veiledning: henvisning {follow_up.reference}. Karrieresenteret booker den." \
        in page and f'href="/referrals/{follow_up.id}"' in page


def test_sharing_with_a_municipality_where_nobody_has_an_account_says_nobody_can_read_it_yet(client):
    w = _setup()
    f.login(client, w.counsellor)
    confirm = client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "action": "share"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Ingen i Bergen har konto" not in confirm   # Bergen's referrer reads it
    page = _confirm(client, w.own_referral, follow_redirects=True).get_data(as_text=True)
    assert "Ingen i Bergen har konto" not in page
    w.referrer.active = False
    db.session.commit()
    confirm = client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "goals": "Ny versjon",
                                                                             "action": "share"},
                          follow_redirects=True).get_data(as_text=True)
    # said before sharing, and again once shared
    assert "Ingen i Bergen har konto i Veiled ennå, så ingen der kan lese notatet." in confirm
    page = _confirm(client, w.own_referral, follow_redirects=True).get_data(as_text=True)
    assert "Ingen i Bergen har konto i Veiled ennå, så ingen der kan lese notatet." in page


def test_share_shows_the_note_and_its_readers_and_shares_only_when_confirmed(client):
    """Sharing is final, so the draft form's Share leads to a confirmation page (no JavaScript): the
    note as it will go, to whom, Share and Back to edit. Until confirmed nothing is shared or sent."""
    w = _setup()
    f.login(client, w.counsellor)
    draft_url = f"/referrals/{w.own_referral.id}/notes/draft"
    response = client.post(draft_url, data={**NOTE, "action": "share"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/referrals/{w.own_referral.id}/notes/share")
    note = db.session.scalar(select(GuidanceNote))
    assert note.status == "draft" and note.shared_at is None
    assert db.session.scalars(select(OutboxMessage)).all() == []

    page = client.get(f"/referrals/{w.own_referral.id}/notes/share").get_data(as_text=True)
    assert "Dele notatet med Bergen?" in page and "Del med Bergen</button>" in page
    assert NOTE["goals"] in page and NOTE["background"] in page and NOTE["next_steps"] in page
    assert "1 henviser i Bergen har konto i Veiled og kan lese det:" in page and w.referrer.name in page
    assert f'href="{draft_url}">Tilbake for å redigere</a>' in page

    # Back to edit: the draft's text is there.
    assert NOTE["goals"] in client.get(draft_url).get_data(as_text=True)
    assert db.session.scalar(select(GuidanceNote)).status == "draft"

    assert _confirm(client, w.own_referral).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(GuidanceNote)).status == "shared"
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_a_draft_changed_after_the_confirmation_page_is_not_shared(client):
    """Another tab saved a new text after the check: Share refuses and shows the note again."""
    w = _setup()
    f.login(client, w.counsellor)
    client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "action": "share"})
    checked = _checked(client.get(f"/referrals/{w.own_referral.id}/notes/share").get_data(as_text=True))
    client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "goals": "Bli lærer", "action": "save"})
    response = client.post(f"/referrals/{w.own_referral.id}/notes/share", data={"checked": checked})
    assert response.headers["Location"].endswith(f"/referrals/{w.own_referral.id}/notes/share")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Utkastet er endret siden du så over det." in page and "Bli lærer" in page
    assert db.session.scalar(select(GuidanceNote)).status == "draft"


def test_share_without_a_draft_goes_back_to_the_draft_page(client):
    w = _setup()
    f.login(client, w.counsellor)
    response = client.get(f"/referrals/{w.own_referral.id}/notes/share")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/referrals/{w.own_referral.id}/notes/draft")
    response = client.post(f"/referrals/{w.own_referral.id}/notes/share", data={"checked": "0" * 64})
    assert response.status_code == 302 and db.session.scalar(select(GuidanceNote)) is None


def test_a_shared_note_is_read_only_and_a_correction_is_a_new_version(client):
    w = _setup()
    _share(client, w)
    first = db.session.scalar(select(GuidanceNote))
    # The page says what the text in the boxes is and what saving it makes (it showed the shared text in
    # editable boxes without a word).
    page = html.unescape(client.get(f"/referrals/{w.own_referral.id}/notes/draft").get_data(as_text=True))
    assert "Versjon 1 ble delt med kommunen" in page and "blir versjon 2, en rettelse" in page
    assert client.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "goals": "Bli lærer", "action": "save"}).status_code == 302
    page = client.get(f"/referrals/{w.own_referral.id}/notes/draft").get_data(as_text=True)
    assert "Utkast til versjon 2" in page and "ble delt med kommunen" not in page
    notes = db.session.scalars(select(GuidanceNote).order_by(GuidanceNote.version)).all()
    assert [(n.version, n.status) for n in notes] == [(1, "shared"), (2, "draft")]
    assert notes[0].goals.startswith("Bli sykepleier") and notes[1].goals == "Bli lærer"
    _share(client, w, {**NOTE, "goals": "Bli lærer"})
    assert [(n.version, n.status) for n in db.session.scalars(select(GuidanceNote).order_by(GuidanceNote.version))] == [(1, "shared"), (2, "shared")]


def test_only_the_counsellor_the_lead_and_the_referring_municipality_read_notes(client, app):
    w = _setup()
    _share(client, w)
    note = db.session.scalar(select(GuidanceNote))
    expected = {w.lead: 200, w.referrer: 200, w.counsellor: 200, w.other_referrer: 404,
                w.other_county_lead: 404, f.user(Role.COUNSELLOR): 404, w.interpreter: 403, w.admin: 403}
    for person, status in expected.items():
        reader = app.test_client()
        f.login(reader, person)
        assert (reader.get(f"/notes/{note.id}").status_code, reader.get(f"/notes/{note.id}.pdf").status_code) == (status, status), person.role


def test_only_the_counsellor_writes_notes(client, app):
    w = _setup()
    for person, status in ((w.lead, 403), (w.referrer, 403), (f.user(Role.COUNSELLOR), 404)):
        writer = app.test_client()
        f.login(writer, person)
        assert writer.post(f"/referrals/{w.own_referral.id}/notes/draft", data={**NOTE, "action": "share"}).status_code == status
        assert writer.post(f"/referrals/{w.own_referral.id}/notes/share", data={"checked": "0" * 64}).status_code == status
    assert db.session.scalar(select(GuidanceNote)) is None


def test_a_note_shared_before_the_group_session_keeps_that_session_planned(client, travel_to):
    """Sharing after the individual session must not close the referral while its group session
    lies ahead: a closed referral drops out of the next planning run, which would cancel it."""
    import datetime as dt

    from guidance.models import Outcome, Referral
    from guidance.planning import InstanceOptions, build_instance
    from guidance.services import outcomes

    w = _setup()  # the individual session, held in October
    day = f.future_weekday()
    group = f.published_session(w.counsellor, [w.own_referral, w.other_referral], type="group", room_name="Grupperom",
                                start=f.oslo(day.year, day.month, day.day, 12))
    individual = db.session.scalar(select(type(group)).where(type(group).type == "individual"))
    outcomes.record_outcomes(w.counsellor, individual, {w.own_referral.id: Outcome.ATTENDED})
    assert _share(client, w).status_code == 302

    referral = db.session.get(Referral, w.own_referral.id)
    assert referral.status is ReferralStatus.BOOKED
    instance = build_instance(referral.county, InstanceOptions(today=local_today()))
    [kept] = [s for s in instance["previous_plan"]["sessions"] if s["id"] == f"S{group.id}"]
    assert f"R{referral.id}" in kept["participants"]

    travel_to(group.end + dt.timedelta(minutes=5))
    outcomes.record_outcomes(w.counsellor, group, {w.own_referral.id: Outcome.ATTENDED})
    assert db.session.get(Referral, w.own_referral.id).status is ReferralStatus.NOTE_SHARED


def test_the_pdf_is_a_document_for_the_case_file(client, app):
    """It had no sender, no sessions, no marking that it is exempt from public access, no page numbers."""
    import io

    from pypdf import PdfReader

    from guidance.models import Outcome
    from guidance.services import outcomes

    w = _setup()  # a session on 6 October without an outcome: not one the note comes from
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 13, 9))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.ATTENDED})
    assert _share(client, w).status_code == 302
    note = db.session.scalar(select(GuidanceNote))
    referrer = app.test_client()
    f.login(referrer, w.referrer)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(referrer.get(f"/notes/{note.id}.pdf").data)).pages]
    text = " ".join(pages)
    # Bergen writes nynorsk (the county's form for a neutral municipality)
    assert "Unnateke frå offentlegheit: offentleglova § 13, jf. forvaltningslova § 13." in pages[0]
    assert f"Frå: {session.location.centre.name}" in text and "Til: Bergen" in text
    assert "Rettleiingar deltakaren møtte til: 13. oktober 2026" in text
    assert f"Rettleiingsnotat {w.own_referral.reference} – side 1 av {len(pages)}" in pages[0]


def test_a_shared_notes_pdf_stays_as_the_municipality_received_it(client, app, travel_to):
    """Version 1, shared on 5 November, listed a group session held on 19 November among the sessions it came from,
    and that session's centre had become its sender."""
    import io

    from pypdf import PdfReader

    from guidance.models import Location, Outcome
    from guidance.services import outcomes

    w = _setup()
    session = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 13, 9))
    outcomes.record_outcomes(w.counsellor, session, {w.own_referral.id: Outcome.ATTENDED})
    travel_to(f.oslo(2026, 10, 14, 12))
    assert _share(client, w).status_code == 302
    note = db.session.scalar(select(GuidanceNote))
    referrer = app.test_client()
    f.login(referrer, w.referrer)

    def text() -> str:
        pdf = referrer.get(f"/notes/{note.id}.pdf").data
        return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)

    before = text()
    assert f"Frå: {session.location.centre.name}" in before and "møtte til: 13. oktober 2026 " in before

    voss = f.centre(town="4621")
    later = f.published_session(w.counsellor, w.own_referral, start=f.oslo(2026, 10, 27, 9))
    elsewhere = db.session.scalar(select(Location).where(Location.centre_id == voss.id))
    later.location_id, later.room_id = elsewhere.id, elsewhere.rooms[0].id
    db.session.commit()
    travel_to(f.oslo(2026, 10, 27, 12))
    outcomes.record_outcomes(w.counsellor, later, {w.own_referral.id: Outcome.ATTENDED})
    f.login(referrer, w.referrer)
    after = text()
    assert "27. oktober 2026" not in after and voss.name not in after
    assert f"Frå: {session.location.centre.name}" in after and "møtte til: 13. oktober 2026 " in after
