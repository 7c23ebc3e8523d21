"""Summons letters (PDF) for participants: the referrer prints them for one referral or for every
booked session ahead of their municipality's referrals; the county's lead may too."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from guidance import clock
from guidance.models import Municipality, Referral
from guidance.services import letters as service
from guidance.web.guards import get_visible, requires
from guidance.web.forms import row_id

bp = Blueprint("letters", __name__)


def _stamp() -> str:
    """The Oslo date and time in a file name: two downloads the same day had the same name ("(1)" added)."""
    return clock.now().astimezone(clock.OSLO).strftime("%Y-%m-%d-%H%M")


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
    return _pdf(body, f"{_('letters')}-{found.reference}.pdf")


@bp.get("/municipalities/<int:municipality_id>/letters.pdf")
@requires("letters")
def municipality(municipality_id: int):
    """The letters for the booked sessions ahead of the municipality's referrals, one PDF of at most
    `service.MAX_LETTERS` (`?part=2` for the next ones)."""
    place = get_visible(Municipality, municipality_id, "letters")
    part = request.args.get("part", 1, type=row_id)
    body, count = service.municipality_letters(current_user, place, part)
    if not count and part > 1:   # a link from before the list shrank, or a number typed: not "no session ahead"
        flash(_("There are not that many letters: part %(part)d is empty. The parts are listed below.", part=part), "info")
        return redirect(url_for("referrals.index", municipality=place.id))
    if not count:
        flash(_("There is no booked session ahead, so there is no letter to print."), "info")
        return redirect(url_for("referrals.index"))
    suffix = f"-{part}" if part > 1 else ""
    return _pdf(body, f"{_('letters')}-{place.number}-{_stamp()}{suffix}.pdf")


@bp.get("/letters/new.pdf")
@requires("letters")
def new():
    """The referrer's letters not printed yet (new bookings, new times), one PDF of at most `service.MAX_LETTERS`:
    after a settlement wave's plan, the forty new letters, not all 617 ahead in seven parts."""
    place = current_user.municipality
    if place is None:   # the centre's staff print a municipality's letters from its referral list
        abort(404)
    body, count = service.new_letters(current_user, place, mine=request.args.get("mine") == "1")
    if not count:
        flash(_("Every letter for a booked session ahead has been downloaded already."), "info")
        return redirect(url_for("main.home"))
    return _pdf(body, f"{_('new-letters')}-{place.number}-{_stamp()}.pdf")


@bp.get("/letters/moved.pdf")
@requires("letters")
def moved():
    """The new letters of every participant whose booked session the centre moved lately (the referrer home's
    "New times" card), one PDF: the referrer prints them in one go instead of one participant at a time."""
    from guidance.services import referrer_today

    wanted = [(m.referral_id, m.session_id) for m in referrer_today.moved(current_user)]
    about = current_user.municipality or current_user.county
    part = request.args.get("part", 1, type=row_id)
    body, count = service.session_letters(current_user, wanted, about, part)
    if not count:
        flash(_("No session has been moved lately, so there is no new letter to print."), "info")
        return redirect(url_for("main.home"))
    suffix = f"-{part}" if part > 1 else ""
    return _pdf(body, f"{_('new-letters')}-{_stamp()}{suffix}.pdf")


@bp.get("/letters/to-tell.pdf")
@requires("planning")
def to_tell():
    """The letters of the participants on the lead's home whom nobody tells in Veiled (new and moved sessions),
    one PDF: the lead posts or hands them (a municipality without a referrer has nobody to print them)."""
    from guidance.services import to_tell as tasks

    wanted = tasks.letters_to_send(tasks.waiting(current_user.county_id))
    part = request.args.get("part", 1, type=row_id)
    body, count = service.session_letters(current_user, wanted, current_user.county, part, which="to_tell")
    if not count:
        flash(_("Nobody is waiting for a letter from you."), "info")
        return redirect(url_for("main.home"))
    suffix = f"-{part}" if part > 1 else ""
    return _pdf(body, f"{_('letters-to-send')}-{_stamp()}{suffix}.pdf")


@bp.app_context_processor
def letter_downloads():
    """`letter_parts(municipality)` for the referral list and `letter_parts_of(total)` for the referrer home's
    new letters: downloads of at most MAX_LETTERS letters; `no_letter_in(language)`: the participant's
    language when their letter has no page in it (Norwegian only)."""
    return {"letter_parts": service.parts_for_municipality, "letter_parts_of": service.parts_of,
            "no_letter_in": service.untranslated, "max_letters": service.MAX_LETTERS}
