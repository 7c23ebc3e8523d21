"""Access expectations for marking a participant told (the lead's home card of participants to tell)."""
from guidance.models import Role
from tests.app.access.foundation import ROLES

EXPECTED = {
    "to_tell.told": {r: 405 for r in ROLES},
    "to_tell.not_told": {r: 405 for r in ROLES},
}

WRITERS = {
    "to_tell.told": (Role.LEAD,),
    "to_tell.not_told": (Role.LEAD,),
}


def url_values(w) -> dict:
    from guidance.extensions import db
    from guidance.models import ParticipantToTell
    from tests.app import factories as f

    # a referral of its own: the world's referrals keep the state the other areas' expectations assume
    referral = f.referral(name="Told Person")
    # weeks ahead, not years: the browser journeys share this world, and a published session years away
    # pushed the planning form's "keep until" past its horizon
    day = f.future_weekday(weekday=3)
    session = f.published_session(w.counsellor, referral, start=f.oslo(day.year, day.month, day.day, 9))
    task = ParticipantToTell(county_id=referral.county_id, referral_id=referral.id,
                             session_uid=session.uid, session_id=session.id, change="moved", reason="no_referrer",
                             session_start=session.start)
    db.session.add(task)
    db.session.commit()
    return {"task_id": task.id}
