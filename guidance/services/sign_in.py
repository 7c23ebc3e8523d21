"""Signing in with an OpenID Connect provider: verified ID-token claims -> the user, in one transaction.

The account is found by (issuer, subject), never by e-mail. It is created on the first sign-in only
when the claims grant a role, and its role and scope follow the claims at every sign-in. When they
no longer grant one (the person left the group), the account is deactivated at once, so no other
session of it keeps working, and comes back when a later sign-in grants a role again.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import select

from guidance import clock
from guidance.extensions import db
from guidance.models import County, CounsellorProfile, Municipality, Role, User, UserIdentity
from guidance.oidc import Grant, OidcProvider
from guidance.rules.sign_in import NoGrant, grant_for
from guidance.services import audit
from guidance.services.accounts import find_by_email
from guidance.services.errors import DomainError


class SignInRefused(DomainError):
    """The provider vouched for the person, but they may not use this service (`reason` says why)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sign_in(provider: OidcProvider, claims: Mapping, invited: User | None = None) -> User:
    """The user that these verified claims sign in as; raises SignInRefused (audited) otherwise.

    `invited`: the account an invitation link (services/invitations.py) was opened for. A first
    sign-in through that link is connected to it (the person read its e-mail) where otherwise an
    account with the claims' e-mail refuses the sign-in; only when the provider vouches for the very
    person and access the lead entered (the same e-mail, role and county or municipality), so a
    forwarded link, or a colleague still signed in at the provider on a shared PC, connects nothing.
    Interpreters keep local passwords: their invitations connect no provider account."""
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    identity = db.session.scalar(select(UserIdentity).where(UserIdentity.issuer == issuer,
                                                            UserIdentity.subject == subject))
    user = identity.user if identity is not None else None
    try:
        if user is not None and not user.active and identity.access_withdrawn_at is None:
            raise NoGrant("deactivated")  # an administrator switched the account off
        grant = grant_for(provider, claims)
        county, municipality = _scope(grant)
        email = _email(provider, claims)
        if invited is not None and identity is not None and identity.user is not invited:
            # This county account is another Veiled account's already: opening someone else's invitation
            # with it had signed that other account in without a word, and left the invitation unused.
            raise NoGrant("invitation_mismatch")
        if invited is not None and (invited.role is Role.INTERPRETER or identity is not None):
            invited = None
        if invited is not None and not _same_person(invited, email, grant.role, county, municipality):
            raise NoGrant("invitation_mismatch")
        if identity is None and find_by_email(email) not in (None, invited):
            raise NoGrant("email_taken")
    except NoGrant as refusal:
        _refuse(provider, identity, subject, refusal.reason)
        raise SignInRefused(refusal.reason) from None

    name = str(claims.get(provider.name_claim) or email)[:200]
    if identity is None and invited is not None:
        user = invited
        for replaced in list(user.identities):   # a reconnection: the new county account takes the old one's place
            db.session.delete(replaced)
            audit.record(user, "user.identity_replaced", user, {"provider": replaced.provider})
        identity = UserIdentity(user=user, provider=provider.name, issuer=issuer, subject=subject)
        user.set_password(secrets.token_urlsafe(32))  # the provider holds the password now; the link is spent
        db.session.add(identity)
        audit.record(user, "user.identity_connected", user, {"provider": provider.name})
        _follow_claims(provider, user, grant, county, municipality, name, email)
    elif identity is None:
        user = User(email=email, name=name, role=grant.role)
        user.set_password(secrets.token_urlsafe(32))  # never told to anyone: no local sign-in
        identity = UserIdentity(user=user, provider=provider.name, issuer=issuer, subject=subject)
        _apply(user, grant, county, municipality)
        db.session.add_all([user, identity])
        db.session.flush()
        audit.record(user, "user.created", user, {"role": grant.role.value, "provider": provider.name})
    else:
        if identity.access_withdrawn_at is not None:
            identity.access_withdrawn_at = None
            user.active = True
            audit.record(user, "user.activated", user, {"provider": provider.name, "reason": "claims"})
        _follow_claims(provider, user, grant, county, municipality, name, email)
    identity.last_sign_in_at = clock.now()
    audit.record(user, "user.signed_in", user, {"provider": provider.name})
    db.session.commit()
    return user


def _same_person(invited: User, email: str, role: Role, county, municipality) -> bool:
    """Does the provider's account match the one the lead entered: e-mail, role and scope?"""
    return (email == invited.email.lower() and role is invited.role
            and (county.id if county else None) == invited.county_id
            and (municipality.id if municipality else None) == invited.municipality_id)


def _follow_claims(provider: OidcProvider, user: User, grant: Grant, county, municipality, name: str, email: str) -> None:
    """An existing account takes the role, scope, name and (when free) e-mail the claims give."""
    before = _role_and_scope(user)
    _apply(user, grant, county, municipality)
    if _role_and_scope(user) != before:
        audit.record(user, "user.role_changed", user, {"provider": provider.name, "from": before,
                                                       "to": _role_and_scope(user)})
    changed, detail = [], {"provider": provider.name}
    if name != user.name:
        user.name = name
        changed.append("name")
    if email != user.email:
        if find_by_email(email) is None:
            user.email = email
            changed.append("email")
        else:
            detail["email_taken"] = True   # another account has it: the administrator sees why it stayed
    if changed or "email_taken" in detail:
        # Who someone is in Veiled changed with no administrator's hand in it: the account's history says so.
        audit.record(user, "user.details_from_provider", user, {**detail, "fields": changed})


def _refuse(provider: OidcProvider, identity: UserIdentity | None, subject: str, reason: str) -> None:
    user = identity.user if identity is not None else None
    if user is not None and user.active:
        user.active = False
        identity.access_withdrawn_at = clock.now()
        audit.record(user, "user.deactivated", user, {"provider": provider.name, "reason": reason})
    # The subject is the provider's pseudonymous id: it lets an administrator find the person there.
    audit.record(user, "user.sign_in_refused", user, {"provider": provider.name, "reason": reason, "subject": subject})
    db.session.commit()


def _email(provider: OidcProvider, claims: Mapping) -> str:
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise NoGrant("no_email")
    return email.strip().lower()


def _scope(grant: Grant) -> tuple[County | None, Municipality | None]:
    """The county or municipality a grant names; an unknown number is a set-up error, refused."""
    county = municipality = None
    if grant.county:
        county = db.session.scalar(select(County).where(County.number == grant.county))
        if county is None:
            raise NoGrant("unknown_place")
    if grant.municipality:
        municipality = db.session.scalar(select(Municipality).where(Municipality.number == grant.municipality))
        if municipality is None:
            raise NoGrant("unknown_place")
        from guidance.services import setup

        if grant.role is Role.REFERRER and not setup.takes_referrals(municipality):
            # Their referrals would reach nobody while the deadline ran, and they were told "sent to the career
            # centre" (the administrator's own form refuses such a referrer).
            raise NoGrant("no_centre")
    return county, municipality


def _apply(user: User, grant: Grant, county: County | None, municipality: Municipality | None) -> None:
    from guidance.services.accounts import role_leaves_counselling, role_returns_to_counselling

    role_leaves_counselling(user, grant.role)
    role_returns_to_counselling(user, grant.role)
    user.role = grant.role
    user.county = county
    user.municipality = municipality
    if grant.role is Role.COUNSELLOR and user.counsellor is None:
        # Working hours and locations are the lead's to set; until then the planner gives them nothing.
        db.session.add(CounsellorProfile(user=user))


def _role_and_scope(user: User) -> dict:
    return {"role": user.role.value, "county": user.county.number if user.county else None,
            "municipality": user.municipality.number if user.municipality else None}
