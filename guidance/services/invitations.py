"""Invitations: a person the centre entered (a counsellor, an interpreter) is told they have an
account and how to get in.

Counsellors and interpreters are created by the lead with a password nobody knows. The invitation
e-mails them a link that works for INVITATION_SECONDS (two weeks): with local passwords they choose
one there; with the county's identity provider they log in through it from there, and that sign-in
is connected to the account the lead made (without the link a provider sign-in whose e-mail has an
account here is refused, so nobody takes an account over by e-mail alone). Like a reset link, the
link is signed with SECRET_KEY and carries a fingerprint of the password it may replace, so it works
once: a chosen password, or a connected provider sign-in, ends it.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from guidance.extensions import db
from guidance.models import AuditEvent, OutboxMessage, Role, User
from guidance.rules.language import for_recipient
from guidance.services import audit, mail
from guidance.services.accounts import one_time_token, set_password_by_link, user_for_one_time_token
from guidance.services.errors import DomainError

_SALT = "invitation"
INVITED = "user.invited"
SIGNED_IN = ("auth.logged_in", "user.signed_in")


def token(user: User) -> str:
    return one_time_token(user, _SALT, current_app.config["INVITATION_SECONDS"])


def user_for_token(value: str | None) -> User | None:
    """The invited user, or None when the link is forged, expired, used or the account is off. An account
    on the county's sign-in counts (a link to connect its replaced county account); it never sets a password
    (accept_with_password)."""
    return user_for_one_time_token(value, _SALT, external_ok=True)


def usable(user: User) -> bool:
    """Can an invitation get this person in: with local passwords, or through the county's provider
    (interpreters keep local accounts, so with passwords switched off theirs would lead nowhere)."""
    from guidance.rules.sign_in import may_use_password

    if may_use_password(user.role, current_app.config["LOCAL_LOGIN"]):
        return True
    return bool(current_app.config["OIDC_PROVIDERS"])


def queue_if_usable(actor, user: User) -> list[OutboxMessage]:
    """The invitation for a new account, when it can get them in (else nothing)."""
    return [queue(actor, user)] if usable(user) else []


def queue(actor, user: User, connect: bool = False) -> OutboxMessage:
    """Write the invitation to the outbox in the current transaction (audited); the caller hands
    it to delivery after the commit. `connect`: the person has a password here and is asked to log
    in with the county's account instead (the link's page offers no password)."""
    from guidance.services.calendar import app_url

    link = app_url("account.invitation", invitation_token=token(user))
    days = current_app.config["INVITATION_SECONDS"] // 86400
    inviter = (actor.name if actor is not None else None) or _("The career centre")
    with force_locale(for_recipient(user)):
        if connect and user.signs_in_externally:
            # Their county account was replaced: they have no password here to lose.
            subject = _("Log in to Veiled with your new work account")
            body = _("%(inviter)s asks you to log in to Veiled with your new work account.\n\nOpen this link within "
                     "%(days)d days and log in with it: %(link)s\n\nAfter that you log in the same way from the login "
                     "page. The link works once. If you do not know why you got this, ignore it.",
                     inviter=inviter, days=days, link=link)
        elif connect:
            subject = _("Log in to Veiled with your work account")
            body = _("%(inviter)s asks you to log in to Veiled with the same account you use at work, instead of "
                     "your password here.\n\nOpen this link within %(days)d days and log in: %(link)s\n\nAfter "
                     "that you log in the same way from the login page; your password here stops working. The link "
                     "works once. If you do not know why you got this, ignore it.",
                     inviter=inviter, days=days, link=link)
        else:
            subject = _("You have been given access to Veiled")
            body = _("%(inviter)s has given you access to Veiled, the career centre's planning tool, as %(role)s. "
                     "Your user name is this e-mail address.\n\nOpen this link within %(days)d days to get in: "
                     "%(link)s\n\nThe link works once. If you do not know why you got this, ignore it.",
                     inviter=inviter, role=role_words(user.role), days=days, link=link)
    message = mail.queue(user, subject, body)
    audit.record(actor, INVITED, user)
    return message


def link_to_hand_over(actor, user: User) -> str:
    """A new invitation's link for the administrator to hand over when no e-mail can carry it (no mail server):
    the same one-time link, for the same days; audited, in the caller's transaction."""
    from guidance.services.calendar import app_url

    audit.record(actor, INVITED, user, {"link_shown": True})
    return app_url("account.invitation", invitation_token=token(user))


def role_words(role: Role) -> str:
    return {Role.ADMIN: _("administrator"), Role.LEAD: _("career-centre lead"), Role.COUNSELLOR: _("counsellor"),
            Role.REFERRER: _("municipality referrer"), Role.INTERPRETER: _("interpreter")}[role]


def accept_with_password(value: str, password: str) -> User:
    """Choose the first password through the invitation; the link then stops working."""
    invited = user_for_token(value)
    return set_password_by_link(
        None if invited is not None and invited.signs_in_externally else invited, password, "user.invitation_accepted",
        invalid=_("This link is no longer valid. Ask the career centre for a new invitation."),
        refused=_("The password was not saved."))


def status(user: User) -> tuple[bool, dt.datetime | None]:
    """(has signed in here at least once, when the last invitation was sent)."""
    signed_in = db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.actor_id == user.id, AuditEvent.action.in_(SIGNED_IN)).limit(1)) is not None
    invited = db.session.scalar(select(AuditEvent.at).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id, AuditEvent.action == INVITED)
        .order_by(AuditEvent.at.desc()).limit(1))
    return signed_in, invited


def may_connect(user: User) -> bool:
    """Can this person be asked to log in with the county's account instead of their password here: a
    county that started on passwords moves its staff to its identity provider (interpreters, outside
    the county's directory, keep passwords)."""
    return (user.active and not user.signs_in_externally and user.role is not Role.INTERPRETER
            and bool(current_app.config["OIDC_PROVIDERS"]))


def has_signed_in(user: User) -> bool:
    return status(user)[0]


def invite_again(actor, user: User, reconnect: bool = False) -> bool:
    """The lead e-mails a (new) invitation to a person of their county; earlier links keep working
    until one of them is used. Someone who has logged in with a password is asked to connect the
    county's account instead, when there is one (returns True then). `reconnect` (an administrator): the
    person's county account was replaced (recreated, or a new provider); the one they log in with from the
    link takes the old one's place (services.sign_in). Without it they were locked out for good."""
    from guidance.services.unit_of_work import unit_of_work

    if not user.active:
        raise DomainError(_("%(name)s is deactivated: activate them before inviting them.", name=user.name))
    if user.signs_in_externally and not (reconnect and bool(current_app.config["OIDC_PROVIDERS"])):
        raise DomainError(_("%(name)s logs in with the county's account already.", name=user.name))
    connect = has_signed_in(user) or user.signs_in_externally
    if connect and not may_connect(user) and not user.signs_in_externally:
        # Someone who has logged in gets no link that sets their password: "Forgot your password?" is theirs.
        raise DomainError(_("%(name)s has logged in already. If they forgot the password, they use "
                            "\"Forgot your password?\" on the login page.", name=user.name))
    if not usable(user):
        raise DomainError(_("An invitation cannot get %(name)s in: passwords are switched off here.", name=user.name))
    with unit_of_work() as uow:
        uow.after_commit(mail.deliver_later, [queue(actor, user, connect=connect)])
    return connect
