"""Referrals from two municipalities that look like one person.

A family settled in one municipality moves on to another, and both refer the participant: the intake finds
duplicates within one municipality only (a referrer sees nothing of another's referrals), so the centre booked the
person twice, with two counsellors and two interpreters. The county's lead sees every municipality's referrals: the
referral page and the queue say "maybe referred twice" for a referral of the last six months from another
municipality with the same name (marks, case and spacing left out) or the same phone number, until the
lead has checked and marked the pair as two people (`NotSamePerson`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from guidance import clock
from guidance.extensions import db
from guidance.models import NotSamePerson, Participant, Referral, ReferralStatus, User
from guidance.services import audit
from guidance.services.errors import DomainError
from guidance.services.referrals import DUPLICATE_WINDOW, same_person_keys
from guidance.services.unit_of_work import unit_of_work

NAME, PHONE = "name", "phone"


@dataclass(frozen=True)
class Twin:
    """Another municipality's referral that may be the same person, and why (NAME or PHONE)."""

    referral: Referral
    because: str


def possible_twins(county_id: int, referrals: list[Referral]) -> dict[int, list[Twin]]:
    """For each of `referrals` (of county `county_id`), the county's referrals from another municipality that look
    like the same person, newest first; one read of the county's recent referrals, however many are asked about."""
    if not referrals:
        return {}
    since = dt.datetime.combine(clock.today() - DUPLICATE_WINDOW, dt.time(), tzinfo=dt.timezone.utc)
    candidates = db.session.scalars(
        select(Referral).join(Participant, Participant.id == Referral.participant_id)
        .where(Referral.county_id == county_id, Referral.status != ReferralStatus.WITHDRAWN,
               Referral.created_at >= since, Participant.anonymised_at.is_(None))
        .options(joinedload(Referral.participant), joinedload(Referral.referring_municipality))
        .order_by(Referral.created_at.desc(), Referral.id.desc())).all()
    by_key: dict[tuple, list[Referral]] = {}
    for candidate in candidates:
        for key in _keys(candidate):
            by_key.setdefault(key, []).append(candidate)
    asked = {r.id for r in referrals}
    distinct = _checked_pairs(asked)
    out: dict[int, list[Twin]] = {}
    for referral in referrals:
        if referral.participant.anonymised_at is not None:
            continue
        found: dict[int, Twin] = {}
        for key in _keys(referral):
            for other in by_key.get(key, []):
                if other.id == referral.id or other.referring_municipality_id == referral.referring_municipality_id \
                        or other.id in found or tuple(sorted((referral.id, other.id))) in distinct:
                    continue
                found[other.id] = Twin(other, key[0])
        if found:
            out[referral.id] = list(found.values())
    return out


def _keys(referral: Referral) -> list[tuple]:
    # The whole name or the phone number. Not the first and last name alone, as the intake's check within one
    # municipality does: across a county of many "Mohammad Ahmadi", it named three referrals in four.
    full, _short, phone = same_person_keys(referral.participant)
    keys = [(NAME, full)] if full else []
    if phone:
        keys.append((PHONE, phone))
    return keys


def _checked_pairs(referral_ids: set[int]) -> set[tuple[int, int]]:
    rows = db.session.execute(select(NotSamePerson.referral_id, NotSamePerson.other_referral_id).where(
        or_(NotSamePerson.referral_id.in_(referral_ids), NotSamePerson.other_referral_id.in_(referral_ids))))
    return {(a, b) for a, b in rows}


def mark_not_same(lead: User, referral: Referral, other: Referral) -> None:
    """Use case: the lead has checked (with the referrers) that the two referrals are two people; the warning goes.
    Both referrals must be the lead's to plan (the caller's `get_visible`), and of one county."""
    if referral.id == other.id or referral.county_id != other.county_id:
        raise DomainError(_("These two referrals cannot be compared."))
    first, second = sorted((referral.id, other.id))
    with unit_of_work():
        if db.session.scalar(select(NotSamePerson.id).where(NotSamePerson.referral_id == first,
                                                            NotSamePerson.other_referral_id == second)) is None:
            db.session.add(NotSamePerson(referral_id=first, other_referral_id=second, decided_by_id=lead.id,
                                         decided_at=clock.now()))
            audit.record(lead, "referral.not_same_person", referral, {"other": other.id})
