"""Summons letters (PDF) for participants: the referrer prints them for one referral or for every
booked session ahead of their municipality's referrals; the county's lead may too."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from guidance import clock
from guidance.models import Municipality, Referral
from guidance.services import letters as service
from guidance.web.guards import get_visible, requires

bp = Blueprint("letters", __name__)


def _pdf(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/referrals/<int:referral_id>/letters.pdf")
@requires("letters")
def referral(referral_id: int):
    """The letters for the referral's booked sessions ahead, one PDF."""
    found = get_visible(Referral, referral_id, "letters")
    body, count = service.referral_letters(current_user, found)
    if not count:
        flash(_("There is no booked session ahead, so there is no letter to print."), "info")
        return redirect(url_for("referrals.show", referral_id=found.id))
    return _pdf(body, f"letters-{found.reference}.pdf")


@bp.get("/municipalities/<int:municipality_id>/letters.pdf")
@requires("letters")
def municipality(municipality_id: int):
    """The letters for every booked session ahead of the municipality's referrals, one PDF."""
    place = get_visible(Municipality, municipality_id, "letters")
    try:
        body, count = service.municipality_letters(current_user, place)
    except service.TooManyLetters as error:
        flash(_("%(count)d letters are more than one download can hold (at most %(most)d). Download them per referral.",
                count=error.count, most=service.MAX_LETTERS), "error")
        return redirect(url_for("referrals.index"))
    if not count:
        flash(_("There is no booked session ahead, so there is no letter to print."), "info")
        return redirect(url_for("referrals.index"))
    return _pdf(body, f"letters-{place.number}-{clock.today().isoformat()}.pdf")
