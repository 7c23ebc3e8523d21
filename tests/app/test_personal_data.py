"""Personal data: never in logs; retention anonymises and keeps statistics; data-subject export."""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import Attachment, AuditEvent, CannotCome, GuidanceNote, Participant, Referral, ReferralStatus, Role
from guidance.services import retention
from tests.app import factories as f
from tests.app.access.foundation import ANON, ROLES
from tests.app.test_access import _url_for_rule, _url_values

SECRET_NOTE = "Har angst for store forsamlinger"
SECRET_GOALS = "Vil bli sykepleier i Bergen"
PHONE = "+47 400 00 000"


def _capture_everything(caplog) -> None:
    """DEBUG on the root logger and on every logger that exists, whatever level it was given,
    except SQL echo: the app pins it to WARNING because at DEBUG it dumps result rows."""
    assert logging.getLogger("sqlalchemy.engine").level == logging.WARNING
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if not name.startswith("sqlalchemy.engine"):
            caplog.set_level(logging.DEBUG, logger=name)


def _personal_strings(w) -> list[str]:
    return ["Amal Haddad", "Yonas Tesfay", "Haddad", "Tesfay", PHONE, SECRET_NOTE, SECRET_GOALS]


def _person(w, role):
    return {Role.ADMIN: w.admin, Role.LEAD: w.lead, Role.COUNSELLOR: w.counsellor,
            Role.REFERRER: w.referrer, Role.INTERPRETER: w.interpreter}.get(role)


@pytest.mark.one_database  # what reaches the logs is decided in Python, whatever the database
def test_logs_of_a_full_walk_through_the_app_never_contain_names_phones_or_note_text(app, caplog):
    w = f.world()
    w.own_referral.notes = SECRET_NOTE
    db.session.add(GuidanceNote(referral=w.own_referral, author_id=w.counsellor.id, goals=SECRET_GOALS))
    db.session.commit()
    _capture_everything(caplog)
    values = _url_values(w)
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            f.login(client, _person(w, role))
        for rule in rules:
            client.get(_url_for_rule(rule, values))
    admin = app.test_client()
    f.login(admin, w.admin)
    # Searching by name and exporting are the pages most likely to leak a name into a log.
    assert admin.post("/admin/data-subject", data={"query": "Amal Haddad"}).status_code == 200
    assert admin.get(f"/admin/participants/{w.own_referral.participant_id}/export.json").status_code == 200
    # A failed login with a participant's name typed as the e-mail address.
    app.test_client().post("/login", data={"email": "Amal Haddad", "password": "x"})

    assert len(caplog.records) > 0, "nothing was logged: the capture is not working"
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    leaked = [s for s in _personal_strings(w) if s in logged]
    assert not leaked, f"personal data in the logs: {leaked}"


def test_database_errors_do_not_carry_personal_data_into_messages(app):
    """SQL parameters are hidden, so an IntegrityError logged with its text reveals no name."""
    w = f.world()
    duplicate = Referral(reference=w.own_referral.reference, participant=Participant(
        name="Amal Haddad", phone=PHONE, municipality=w.own_referral.referring_municipality, language="ar"),
        county=w.own_referral.county, referring_municipality=w.own_referral.referring_municipality,
        legal_basis=w.own_referral.legal_basis, earliest_date=dt.date(2027, 1, 1))
    db.session.add(duplicate)
    with pytest.raises(Exception) as error:
        db.session.commit()
    db.session.rollback()
    assert "Amal Haddad" not in str(error.value) and PHONE not in str(error.value)


# --- retention -------------------------------------------------------------------------------

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def _close(referral: Referral, months_ago: int, days_extra: int = 0) -> None:
    referral.status = ReferralStatus.COMPLETED
    referral.closed_at = NOW - dt.timedelta(days=30 * months_ago + days_extra)
    db.session.commit()


def _attach(app, referral: Referral, name: str = "kartlegging.pdf") -> Path:
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{referral.id:08d}{'a' * 24}"
    path = folder / stored
    path.write_bytes(b"%PDF-1.4 personal")
    db.session.add(Attachment(referral=referral, original_name=name, stored_name=stored,
                              content_type="application/pdf", size=path.stat().st_size))
    db.session.commit()
    return path


def test_anonymise_clears_personal_data_of_long_closed_referrals_and_keeps_statistics(app):
    w = f.world()
    old = w.own_referral
    old.notes = SECRET_NOTE
    old.participant.accessibility_needs = "Rullestol"
    db.session.add(GuidanceNote(referral=old, author_id=w.counsellor.id, goals=SECRET_GOALS, status="shared"))
    session = f.published_session(w.counsellor, old, start=NOW - dt.timedelta(days=40 * 31))
    db.session.add(CannotCome(session=session, referral=old, requested_by=w.referrer, session_start=session.start,
                              note="Etter legetimen på tirsdager"))
    _close(old, months_ago=40)
    file_path = _attach(app, old)
    recent = w.other_referral
    _close(recent, months_ago=2)
    before = {"legal_basis": old.legal_basis, "language": old.participant.language,
              "municipality": old.referring_municipality_id, "deadline": old.deadline, "created": old.created_at}

    result = retention.anonymise(36, now=NOW)

    assert (result.participants, result.attachments, result.files_deleted) == (1, 1, 1)
    db.session.expire_all()
    old = db.session.get(Referral, old.id)
    person = old.participant
    assert (person.name, person.phone, person.accessibility_needs) == ("Anonymisert", None, None)
    assert person.anonymised_at is not None
    assert old.notes is None
    note = db.session.scalar(select(GuidanceNote).where(GuidanceNote.referral_id == old.id))
    assert (note.goals, note.background, note.next_steps, note.status) == ("", "", "", "shared")
    assert db.session.scalar(select(CannotCome.note).where(CannotCome.referral_id == old.id)) == ""
    assert old.attachments == [] and not file_path.exists()
    # statistics stay
    assert (old.legal_basis, person.language, old.referring_municipality_id, old.deadline, old.created_at) == tuple(before.values())
    assert old.status is ReferralStatus.COMPLETED and old.closed_at is not None
    # the recently closed one is untouched
    assert db.session.get(Referral, recent.id).participant.name == "Yonas Tesfay"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "participant.anonymised")).all()
    assert [(e.object_type, e.object_id) for e in events] == [("participant", person.id)]
    assert "Amal" not in (events[0].detail or "")


def test_participant_with_an_open_referral_is_not_anonymised(app):
    w = f.world()
    _close(w.own_referral, months_ago=48)
    reopened = Referral(reference="H-OPEN-01", participant=w.own_referral.participant, county=w.own_referral.county,
                        referring_municipality=w.own_referral.referring_municipality,
                        legal_basis=w.own_referral.legal_basis, earliest_date=dt.date(2030, 1, 1))
    db.session.add(reopened)
    db.session.commit()
    assert retention.anonymise(36, now=NOW).participants == 0
    assert db.session.get(Participant, w.own_referral.participant_id).name == "Amal Haddad"


def test_anonymise_is_all_or_nothing(app, monkeypatch):
    w = f.world()
    _close(w.own_referral, months_ago=40)
    path = _attach(app, w.own_referral)

    def fail(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(retention.audit, "record", fail)
    with pytest.raises(RuntimeError):
        retention.anonymise(36, now=NOW)
    db.session.expire_all()
    referral = db.session.get(Referral, w.own_referral.id)
    assert referral.participant.name == "Amal Haddad" and len(referral.attachments) == 1 and path.exists()


def test_anonymise_twice_does_nothing_the_second_time(app):
    w = f.world()
    _close(w.own_referral, months_ago=40)
    assert retention.anonymise(36, now=NOW).participants == 1
    assert retention.anonymise(36, now=NOW).participants == 0


def test_anonymise_command_reports_counts(app):
    w = f.world()
    w.own_referral.status = ReferralStatus.COMPLETED
    w.own_referral.closed_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    db.session.commit()
    # A count first, changing nothing; a period under a year is refused without --force (a typo of "1" for "12"
    # would have anonymised a year of cases, for good).
    counted = app.test_cli_runner().invoke(args=["anonymise", "--months", "12", "--dry-run"])
    assert counted.exit_code == 0 and counted.output.startswith("1 participants would be anonymised"), counted.output
    assert db.session.get(type(w.own_referral.participant), w.own_referral.participant_id).anonymised_at is None
    short = app.test_cli_runner().invoke(args=["anonymise", "--months", "6"])
    assert short.exit_code == 2 and "shorter than 12" in short.output
    result = app.test_cli_runner().invoke(args=["anonymise", "--months", "12"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 participants anonymised")
    assert app.test_cli_runner().invoke(args=["anonymise", "--months", "0"]).exit_code != 0
    assert app.test_cli_runner().invoke(args=["anonymise", "--months", "6", "--force"]).exit_code == 0


def test_every_column_about_a_participant_is_declared_personal_or_kept():
    """A new table pointing at a participant or referral must say what retention does with its text."""
    from sqlalchemy import String

    tables = [t for t in db.metadata.sorted_tables
              if t.name in ("participant", "referral")
              or any(fk.column.table.name in ("participant", "referral") for fk in t.foreign_keys)]
    undeclared = []
    for table in tables:
        if table.name in retention.DELETED_TABLES:
            continue
        personal = retention.PERSONAL_COLUMNS.get(table.name, {})
        kept = retention.KEPT_COLUMNS.get(table.name, set())
        for column in table.columns:
            if isinstance(column.type, String) and not column.foreign_keys and column.name not in personal and column.name not in kept:
                undeclared.append(f"{table.name}.{column.name}")
    assert not undeclared, f"declare these in guidance/services/retention.py: {undeclared}"


# --- data-subject access ---------------------------------------------------------------------

def test_admin_finds_a_participant_by_name_and_downloads_everything_held_as_json(client):
    w = f.world()
    w.own_referral.notes = SECRET_NOTE
    db.session.add(GuidanceNote(referral=w.own_referral, author_id=w.counsellor.id, goals=SECRET_GOALS))
    from guidance.services import audit
    audit.record(w.referrer, "referral.submitted", w.own_referral)   # as the intake records it
    db.session.commit()
    f.login(client, w.admin)
    page = client.post("/admin/data-subject", data={"query": "haddad"}).get_data(as_text=True)
    assert "Amal Haddad" in page and "Yonas Tesfay" not in page
    assert w.own_referral.reference in page

    response = client.get(f"/admin/participants/{w.own_referral.participant_id}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["participant"]["name"] == "Amal Haddad" and data["participant"]["phone"] == PHONE
    assert [r["reference"] for r in data["referrals"]] == [w.own_referral.reference]
    assert data["referrals"][0]["notes"] == SECRET_NOTE
    assert data["related"]["guidance_note"][0]["goals"] == SECRET_GOALS
    assert not any("password" in key for key in json.dumps(data).split('"'))
    # who did it says a role, not only a number; and each referral's history is there, as on its page
    assert {"action": "referral.submitted", "actor_role": "referrer"}.items() <= data["audit"][0].items()
    assert data["history"][w.own_referral.reference][0]["action"] == "referral.submitted"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.exported"))
    assert (event.actor_id, event.object_type, event.object_id) == (w.admin.id, "participant", w.own_referral.participant_id)


def test_data_subject_search_by_reference_and_empty_query(client):
    w = f.world()
    f.login(client, w.admin)
    assert "Yonas Tesfay" in client.post("/admin/data-subject", data={"query": w.other_referral.reference}).get_data(as_text=True)
    empty = client.post("/admin/data-subject", data={"query": "  "})
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.get_data(as_text=True)


def test_only_admins_may_export_a_participant(client):
    w = f.world()
    for person in (w.lead, w.referrer, w.counsellor, w.interpreter):
        c = client.application.test_client()
        f.login(c, person)
        assert c.get(f"/admin/participants/{w.own_referral.participant_id}/export.json").status_code == 403
    f.login(client, w.admin)
    assert client.get("/admin/participants/999999/export.json").status_code == 404
