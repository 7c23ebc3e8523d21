"""Access expectations for the intake: the referral form, correction, withdrawal, attachments."""
from flask import current_app

from guidance.extensions import db
from guidance.models import Attachment, Role
from guidance.services.attachments import StagedFiles
from tests.app import factories as f
from tests.app.access.foundation import ANON, LOGGED_IN, only

EXPECTED = {
    "intake.new": only(Role.REFERRER),
    "intake.correct": only(Role.REFERRER),
    "intake.withdraw": only(Role.REFERRER),
    # the referrer's own referral's booked session ahead; the form's page
    "intake.cannot_come": only(Role.REFERRER),
    # the referrer's own referral with a session booked: the name and phone number
    "intake.correct_contact": only(Role.REFERRER),
    "intake.attach": {r: 405 for r in (ANON, *LOGGED_IN)},   # POST only (the referral page's form)
    "intake.remove_attachment": {r: 405 for r in (ANON, *LOGGED_IN)},   # POST only (a button beside each file)
    "referrals.can_come": {r: 405 for r in (ANON, *LOGGED_IN)},   # POST only (the referral page's small form)
    "referrals.not_same_person": {r: 405 for r in (ANON, *LOGGED_IN)},   # POST only (a button on the referral page)
    # the own municipality's referral: its referrer and the county's lead; the counsellor has no session with it
    "referrals.attachment": {**only(Role.LEAD, Role.REFERRER), Role.COUNSELLOR: 404},
}


def url_values(w) -> dict:
    from pathlib import Path

    staged = StagedFiles(Path(current_app.config["UPLOAD_FOLDER"]))
    stored = staged.add(b"%PDF-1.4 plan")
    staged.publish()
    item = Attachment(referral=w.own_referral, original_name="plan.pdf", stored_name=stored,
                      content_type="application/pdf", size=13)
    db.session.add(item)
    db.session.commit()
    day = f.future_weekday(2)
    # A referral of the referrer's municipality of its own (the own referral stays without a session ahead).
    participant = f.referral(municipality_number="4601", name="Cannot Come")
    booked = f.published_session(w.counsellor, participant, start=f.oslo(day.year, day.month, day.day, 10))
    # Another municipality's referral of the county (Voss): the lead compares the two.
    return {"attachment_id": item.id, "booked_session_id": booked.id, "participant_referral_id": participant.id,
            "other_id": w.other_referral.id}

EXPECTED.update({
    "intake.bulk": only(Role.REFERRER),
    "intake.bulk_template": only(Role.REFERRER),
})


WRITERS = {
    "intake.bulk": (Role.REFERRER,),
    "intake.correct": (Role.REFERRER,),
    "intake.new": (Role.REFERRER,),
    "intake.withdraw": (Role.REFERRER,),
    "intake.attach": (Role.REFERRER,),
    "intake.remove_attachment": (Role.REFERRER,),
    "referrals.can_come": (Role.LEAD, Role.REFERRER),
    "referrals.not_same_person": (Role.LEAD,),
    "intake.cannot_come": (Role.REFERRER,),
    "intake.correct_contact": (Role.REFERRER,),
}
