"""Access expectations for interpreter bookings, the lead's interpreter desk, outcomes and notes."""
from guidance.extensions import db
from guidance.models import Role
from guidance.models.types import utcnow
from guidance.services import bookings, mail, notes
from tests.app import factories as f
from tests.app.access.foundation import ANON, LOGGED_IN, ROLES, only

POST_ONLY = {r: 405 for r in ROLES}

EXPECTED = {
    "interpreter.index": only(Role.INTERPRETER),
    "interpreter.absence": only(Role.INTERPRETER),
    "interpreter.end_absence": POST_ONLY,
    "interpreter.show": only(Role.INTERPRETER),
    "interpreter.answer": POST_ONLY,
    "interpreter.accept_chosen": POST_ONLY,
    "interpreter.withdraw": POST_ONLY,
    "interpreter.calendar": only(Role.INTERPRETER),
    "interpreter.request_mail": POST_ONLY,
    "interpreter.new_token": POST_ONLY,
    "interpreter.revoke_token": POST_ONLY,
    # a made-up token: the answer page never says whether a booking exists
    "interpreter.confirm": {r: 404 for r in ROLES},
    # the same address as the confirm page: a GET there is the (refused) confirm page
    "interpreter.confirm_answer": {r: 404 for r in ROLES},
    "interpreting.index": only(Role.LEAD),
    "interpreting.answer_time": POST_ONLY,
    "interpreting.rebook": POST_ONLY,
    "interpreting.phone_answer": POST_ONLY,
    "interpreting.rebook_all": POST_ONLY,
    "interpreting.actual": POST_ONLY,
    # a session of the lead's county: its page says whether an interpreter arranged outside Veiled can be recorded
    "interpreting.outside_interpreter": only(Role.LEAD),
    "interpreting.remove_outside_interpreter": POST_ONLY,
    "outbox.index": only(Role.LEAD, Role.ADMIN),
    # a failed message to the world's interpreter (a person of the lead's county)
    "outbox.retry": POST_ONLY,
    "outbox.retry_failed": POST_ONLY,
    "counsellor.outcomes": POST_ONLY,
    "counsellor.follow_up": POST_ONLY,
    # the referrer's own referral, which the world's counsellor has no session with
    "notes.index": {ANON: 302, Role.ADMIN: 403, Role.INTERPRETER: 403, Role.LEAD: 200, Role.REFERRER: 200, Role.COUNSELLOR: 404},
    "notes.draft": {ANON: 302, **{r: 403 for r in LOGGED_IN}, Role.COUNSELLOR: 404},
    "notes.share": {ANON: 302, **{r: 403 for r in LOGGED_IN}, Role.COUNSELLOR: 404},
    # a shared note of a referral the counsellor holds a session with
    "notes.show": {ANON: 302, Role.ADMIN: 403, Role.INTERPRETER: 403, Role.LEAD: 200, Role.REFERRER: 200, Role.COUNSELLOR: 200},
    "notes.pdf": {ANON: 302, Role.ADMIN: 403, Role.INTERPRETER: 403, Role.LEAD: 200, Role.REFERRER: 200, Role.COUNSELLOR: 200},
}


def url_values(w) -> dict:
    day = f.future_weekday()
    noted = f.referral(name="Noted Person")
    session = f.published_session(w.counsellor, noted, start=f.oslo(day.year, day.month, day.day, 10),
                                  interpreter=w.interpreter)
    booking = bookings.new_booking(session)
    db.session.commit()
    note = notes.share(w.counsellor, noted, notes.NoteInput("Mål", "Bakgrunn", "Neste steg", True))
    message = mail.queue(w.interpreter, "Tolkeforespørsel", "Hei")
    message.failed_at, message.error, message.attempts = utcnow(), "SMTPRecipientsRefused 550", 1
    db.session.commit()
    w.noted_referral = noted
    return {"booking_id": booking.id, "note_id": note.id, "message_id": message.id}


def write_url_values(w) -> dict:
    """Per endpoint, URL values for the writes: the writer's own objects where the shared ones are
    deliberately out of reach (tests/app/test_write_access.py)."""
    import datetime as dt

    from guidance.models import Absence

    # the interpreter's own absence (the shared absence_id is the counsellor's)
    away = Absence(user_id=w.interpreter.id, start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 2, 5))
    db.session.add(away)
    db.session.commit()
    # the counsellor writes notes on the referral they hold a session with
    return {"notes.draft": {"referral_id": w.noted_referral.id}, "notes.share": {"referral_id": w.noted_referral.id},
            "interpreter.end_absence": {"absence_id": away.id}}


WRITERS = {
    "interpreter.answer": (Role.INTERPRETER,),
    "interpreter.accept_chosen": (Role.INTERPRETER,),
    "interpreter.absence": (Role.INTERPRETER,),
    "interpreter.end_absence": (Role.INTERPRETER,),
    "interpreter.withdraw": (Role.INTERPRETER,),
    "interpreter.request_mail": (Role.INTERPRETER,),
    "interpreter.new_token": (Role.INTERPRETER,),
    "interpreter.revoke_token": (Role.INTERPRETER,),
    # a made-up signed link: nobody gets through with it
    "interpreter.confirm_answer": (),
    "interpreting.actual": (Role.LEAD,),
    "interpreting.answer_time": (Role.LEAD,),
    "interpreting.rebook": (Role.LEAD,),
    "interpreting.phone_answer": (Role.LEAD,),
    "interpreting.rebook_all": (Role.LEAD,),
    "interpreting.outside_interpreter": (Role.LEAD,),
    "interpreting.remove_outside_interpreter": (Role.LEAD,),
    "notes.draft": (Role.COUNSELLOR,),
    "notes.share": (Role.COUNSELLOR,),
    "outbox.retry": (Role.ADMIN, Role.LEAD),
    "outbox.retry_failed": (Role.ADMIN, Role.LEAD),
}
