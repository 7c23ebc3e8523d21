"""UI labels for domain values, in one place, through the translation layer."""
from flask_babel import lazy_gettext as _l

STATUS = {
    "received": _l("Received"),
    "planned": _l("Planned"),
    "booked": _l("Booked"),
    "completed": _l("Completed"),
    "note_shared": _l("Guidance note shared"),
    "withdrawn": _l("Withdrawn"),
    "no_show": _l("Did not attend"),
}

# What a referral's status tag says (referral_reading.shown_statuses): a booked referral whose session
# is over but has no outcome yet, or with nothing booked ahead (its held session is behind it, the next
# kind of guidance not yet booked), is not "booked".
SHOWN_STATUS = {**STATUS, "awaiting_outcome": _l("Session over, waiting for the outcome"),
                "waiting_next": _l("Waiting for the next session")}

LEGAL_BASIS = {
    "integration_act": _l("Integration Act"),
    "temporary_act": _l("Temporary act"),
    "ordinary": _l("Ordinary"),
}

SESSION_TYPE = {
    "individual": _l("Individual guidance"),
    "group": _l("Group guidance"),
}

LANGUAGE = {
    "nb": _l("Norwegian Bokmål"), "en": _l("English"), "uk": _l("Ukrainian"), "ru": _l("Russian"), "ar": _l("Arabic"),
    "ti": _l("Tigrinya"), "prs": _l("Dari"), "ps": _l("Pashto"), "so": _l("Somali"), "kmr": _l("Kurmanji"),
    "ckb": _l("Sorani"), "fa": _l("Farsi"), "ln": _l("Lingala"), "sw": _l("Swahili"),
    "fr": _l("French"), "tr": _l("Turkish"), "am": _l("Amharic"), "my": _l("Burmese"),
}


SESSION_STATUS = {
    "planned": _l("Planned"),
    "booked": _l("Booked"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
    "not_held": _l("Not held: nobody came"),
    "awaiting_outcome": _l("Over, waiting for the outcome"),  # one participant's view: no outcome recorded yet
    "no_show": _l("Did not attend"),          # one participant's view of a session held for others
    "cancelled_late": _l("Cancelled late"),
    "superseded": _l("Replaced by a newer plan"),
    "left_out": _l("Left out when the plan was published"),
}

INTERPRETER_MODE = {"onsite": _l("on site"), "video": _l("video"), "phone": _l("phone")}

BOOKING_STATUS = {
    "requested": _l("Requested"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("No answer in time"),
    "cancelled": _l("Cancelled"),
}

OUTCOME = {
    "attended": _l("Attended"),
    "no_show": _l("Did not attend"),
    "cancelled_late": _l("Cancelled late"),
}

# What the day plan marks on a session to act on (services.county_day.PROBLEMS).
DAY_PROBLEM = {
    "counsellor_away": _l("Counsellor away"),
    "interpreter_away": _l("Interpreter away"),
    "interpreter_missing": _l("No interpreter yet"),
    "interpreter_asked": _l("Interpreter has not answered"),
    "cannot_come": _l("Participant cannot come"),
    "outcome_missing": _l("Outcome not recorded"),
}


class LanguageNames(dict):
    """LANGUAGE for templates, falling back to CLDR names for the long tail of ISO 639 codes."""

    def get(self, code, default=None):
        from flask_babel import get_locale

        from guidance.languages import language_name

        return language_name(code, str(get_locale() or "nb")) if code else default

    __getitem__ = get




def all_labels() -> dict:
    return {"status_label": STATUS, "shown_status_label": SHOWN_STATUS, "basis_label": LEGAL_BASIS, "session_label": SESSION_TYPE, "language_label": LanguageNames(),
            "session_status_label": SESSION_STATUS, "mode_label": INTERPRETER_MODE, "booking_status_label": BOOKING_STATUS,
            "outcome_label": OUTCOME, "day_problem_label": DAY_PROBLEM}


# The referral's fields, as named in services.referrals.ReferralData, for "what changed".
REFERRAL_FIELD = {
    "name": _l("Name"), "phone": _l("Phone"), "municipality_id": _l("Home municipality"),
    "legal_basis": _l("Legal basis"), "settlement_date": _l("Settlement date"),
    "programme_decision_date": _l("Programme decision"), "window_months": _l("Window (months)"),
    "language": _l("Language"), "needs_interpreter": _l("Needs an interpreter"), "video_ok": _l("Video possible"),
    "needs_step_free": _l("Needs step-free access"),
    "needs": _l("Sessions needed"), "earliest_date": _l("Earliest date"), "accessibility_needs": _l("Accessibility needs"),
    "adviser_attends": _l("Adviser attends"), "notes": _l("Notes"),
}

AUDIT_ACTION = {
    "referral.submitted": _l("Referral received"),
    "referral.corrected": _l("Corrected by the referrer"),
    "referral.withdrawn": _l("Withdrawn"),
    "referral.attachments_added": _l("Files attached by the referrer"),
    "referral.left_group": _l("Taken out of a group session: the referral was withdrawn"),
    "referral.left_group.cannot_come": _l("Taken out of a group session the participant could not come to; the others keep it"),
    "referral.requeued.cannot_come": _l("Waiting for a new time"),
    "referral.booked_now": _l("Booked by the centre"),
    "referral.booking_undone": _l("Taken out of a group session again: booked there by mistake"),
    "referral.not_same_person": _l("Checked: not the same person as another municipality's referral"),
    "referral.requeued.booked_by_mistake": _l("Waiting for a new time: the booking was taken back"),
    "referral.requeued": _l("Waiting for a new time: the session was cancelled"),
    "referral.requeued.no_show": _l("Waiting for a new time: the participant did not come"),
    "referral.requeued.cancelled_late": _l("Waiting for a new time: the participant cancelled late"),
    "referral.follow_up_requested": _l("A follow-up session was asked for"),
    "session.planned": _l("Session booked"),
    "session.replanned": _l("Session moved in a new plan"),
    "session.outcome": _l("Outcome recorded"),
    "note.shared": _l("Guidance note shared with the municipality"),
    "session.moved": _l("Session moved by the centre"),
    "session.cannot_come": _l("The referrer said the participant cannot come"),
    "session.cancel": _l("Session cancelled by the centre"),
    "session.cancel.referral_withdrawn": _l("Session cancelled: the referral was withdrawn"),
    "session.cancel.booked_by_mistake": _l("Booking undone by the centre"),
    "letters.downloaded": _l("Letters for the participant downloaded"),
    "referral.need_dropped": _l("A session taken off the referral by the centre"),
    "participant.to_tell": _l("The centre is to tell the participant of the change (nobody else does in time)"),
    "participant.told": _l("The centre told the participant of the change"),
    "participant.told_undone": _l("The centre took back that it told the participant"),
    # who opened the participant's data (the data-protection page, services.data_subject.ACCESS_ACTIONS)
    "referral.viewed": _l("Opened the referral"),
    "attachment.downloaded": _l("Downloaded an attached file"),
    "participant.exported": _l("Downloaded everything about the participant"),
    "participant.viewed": _l("Opened everything about the participant (data-protection page)"),
    "access.refused": _l("Tried to open the referral and was refused"),
    "participant.anonymised": _l("Anonymised"),
}

# An account's own history on its administrator's page (services.accounts.history).
ACCOUNT_ACTION = {
    "user.created": _l("Account created"),
    "user.updated": _l("Changed by an administrator"),
    "user.activated": _l("Activated"),
    "user.deactivated": _l("Deactivated"),
    "user.signed_in": _l("Logged in with the county's account"),
    "user.sign_in_refused": _l("Refused at login with the county's account"),
    "user.sign_in_failed": _l("A login with the county's account failed a check"),
    "user.role_changed": _l("Role or place changed by the county's groups"),
    "user.identity_connected": _l("Connected to the county's account"),
    "user.identity_replaced": _l("County account replaced"),
    "user.email_corrected": _l("E-mail address corrected"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset_requested": _l("Asked for a password reset"),
    "auth.logged_in": _l("Logged in with a password"),
    "auth.login_failed": _l("Login with a password refused"),
    "auth.code_failed": _l("Wrong login code"),
    "auth.recovery_code_used": _l("Logged in with a recovery code"),
    "auth.second_factor_reset": _l("Login code reset by an administrator"),
    "auth.logged_out_everywhere": _l("Logged out everywhere"),
    "auth.logged_out": _l("Logged out"),
    "user.invited": _l("Invited"),
    "user.invitation_accepted": _l("Accepted the invitation"),
    "user.password_reset": _l("Password set again with a link"),
    "auth.code_accepted": _l("Login code accepted"),
    "auth.second_factor_enrolled": _l("Login code set up"),
    "auth.second_factor_move_started": _l("Started moving the login code to a new phone"),
    "auth.second_factor_moved": _l("Login code moved to a new phone"),
    "auth.recovery_codes_regenerated": _l("New recovery codes made"),
    "user.details_from_provider": _l("Name or e-mail address taken from the county's account"),
    "access.refused": _l("Refused a page"),
}

# Why a lead cancels one session (interpreter_bookings.changes.CANCEL_REASONS).
CANCEL_REASON = {
    "participant_cancelled": _l("The participant cannot come"),
    "counsellor_unavailable": _l("The counsellor cannot hold it"),
    "interpreter_unavailable": _l("No interpreter can be found"),
    "room_unavailable": _l("The room or location is not available"),
    "other": _l("Another reason"),
}


def money(ore: int | None) -> str:
    """An amount in the page's language, in kroner: "1 275 kr" (nb, nn), "1,275 NOK" (en); øre only
    when there are some ("NOK63,492.00" and "1275 kr" stood on two pages of one lead's day)."""
    ore = ore or 0
    from flask_babel import format_currency

    pattern = "#,##0\u00a0¤" if ore % 100 == 0 else "#,##0.00\u00a0¤"
    return format_currency(ore / 100, "NOK", format=pattern, currency_digits=False)


def ore_from_kroner(text: str | None) -> int | None:
    """An amount in kroner as people type it ("720", "720,50", "1 200", "720.50", "1 400 kr", "kr 720,-") in øre;
    None when it is not one (the caller says so on its field). Whole kroner and up to two decimals."""
    import re
    from decimal import Decimal, InvalidOperation

    raw = "".join(ch for ch in (text or "") if not ch.isspace())   # also the no-break and thin spaces
    raw = re.sub(r"(?i)^(kr|nok)\.?|(kr|nok)\.?$|,-$", "", raw).replace(",", ".")
    if not re.fullmatch(r"-?\d{1,9}(\.\d{1,2})?", raw):
        return None
    try:
        return int(Decimal(raw) * 100)
    except InvalidOperation:
        return None


def kroner_text(ore: int | None) -> str:
    """An amount in øre as a form shows it back ("720", "720,50"); empty for none."""
    if ore is None:
        return ""
    return str(ore // 100) if ore % 100 == 0 else f"{ore // 100},{ore % 100:02d}"


# Why the mail server did not take an e-mail (services/mail.py stores the exception's name and the SMTP
# code): in words on the outbox page, where "ConnectionRefusedError" meant nothing to a lead.
MAIL_ERROR = {
    "ConnectionRefusedError": _l("the mail server refused the connection"),
    "TimeoutError": _l("the mail server did not answer in time"),
    "timeout": _l("the mail server did not answer in time"),
    "gaierror": _l("the mail server's name could not be found"),
    "SMTPServerDisconnected": _l("the mail server closed the connection"),
    "SMTPConnectError": _l("the mail server refused the connection"),
    "SMTPAuthenticationError": _l("the mail server did not accept our login"),
    "SMTPRecipientsRefused": _l("the mail server refused the address"),
    "SMTPSenderRefused": _l("the mail server refused our sender address"),
    "SMTPDataError": _l("the mail server refused the message"),
}


def participant_place(mode: str, location_name: str) -> str:
    """Where the participant goes for a session, as the referrer tells them: a video session is taken from
    home ("By video"; the counsellor's centre, two hours away, had been read as the place to travel to)."""
    return str(_l("By video")) if mode == "video" else location_name
