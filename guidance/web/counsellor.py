"""The counsellor's week: sessions by ISO week, a printable day, .ics downloads, the feed settings."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from guidance.extensions import db
from guidance.models import Outcome, Referral, Session, SessionStatus
from guidance.planning.ids import local_today
from guidance.rules.access import may
from guidance.rules.language import for_recipient
from guidance.services import absences
from guidance.services import calendar as cal
from guidance.services import counsellor_today
from guidance.services import outcomes as outcome_service
from guidance.services import week_grid
from guidance.services.errors import DomainError
from guidance.web import feed
from guidance.web.forms import PostForm, show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("counsellor", __name__, url_prefix="/week")


class FollowUpForm(FlaskForm):
    referral_id = SelectField(_l("Participant"), coerce=int, validators=[InputRequired()])
    weeks = IntegerField(_l("Within how many weeks?"), default=6, validators=[
        InputRequired(_l("Enter a number of weeks.")), NumberRange(min=1, max=26, message=_l("Choose between 1 and 26 weeks."))])


def _profile_id() -> int:
    if current_user.counsellor is None:
        abort(404)
    return current_user.counsellor.id


def _session_link(session: Session) -> str:
    return cal.app_url("counsellor.session", session_id=session.id)


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _week_or_404(year: int, week: int) -> dt.date:
    if not 2000 <= year <= 2100:   # the page links the weeks before and after: year 9999 would overflow
        abort(404)
    try:
        return cal.week_start(year, week)
    except ValueError:
        abort(404)


@bp.get("/")
@requires("week")
def week():
    """This week (the coming one at the weekend)."""
    from guidance.rules.week import opening_monday

    if current_user.counsellor is None:  # an account the lead has not yet given locations and hours
        return render_template("not_set_up_page.html", heading=_("My week"))
    year, week_number, _day = opening_monday(local_today()).isocalendar()
    return _render_week(year, week_number)


@bp.get("/<int:year>/<int:week>")
@requires("week")
def week_of(year: int, week: int):
    return _render_week(year, week)


def _render_week(year: int, week: int):
    monday = _week_or_404(year, week)
    sessions = cal.counsellor_sessions(_profile_id(), monday, monday + dt.timedelta(days=6))
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    by_day = {day: [s for s in sessions if s.start.astimezone(cal.OSLO).date() == day] for day in days}
    previous = (monday - dt.timedelta(days=7)).isocalendar()
    following = (monday + dt.timedelta(days=7)).isocalendar()
    from guidance.rules.week import opening_monday

    # The link to the week the view opens on, only where it leads elsewhere than this page or its
    # neighbours ("The coming week" and "Next week" led to the same week at the weekend).
    opening = opening_monday(local_today())
    home_link = opening not in (monday - dt.timedelta(days=7), monday, monday + dt.timedelta(days=7))
    # The counsellor's own registered absences: a day off reads so, and its sessions wait for the centre
    # (the week grid's reading of them: week_grid.unavailable_days).
    subject = week_grid.Choice("counsellor", _profile_id(), current_user.name)
    # Holidays and closure days read "closed", as on the week grid (they had read "No sessions").
    unavailable = week_grid.unavailable_days(subject, monday, current_user.county_id)
    away = {day for day, why in unavailable.items() if why == "away"}
    closed = {day for day, why in unavailable.items() if why == "closed"}
    away_hours: dict[dt.date, list[str]] = {}
    for absence in absences.hours_away(current_user.id, monday, monday + dt.timedelta(days=6)):
        away_hours.setdefault(absence.start_date, []).append(absences.hours_text(absence))
    # Which sessions the absences hit (a part-day one only those it overlaps): marked in the list.
    spans = absences.spans_away([current_user.id], monday, monday + dt.timedelta(days=6)).get(current_user.id, [])
    away_ids = {s.id for s in sessions if s.status is SessionStatus.BOOKED and absences.away_during(spans, s.start, s.end)}
    return render_template("counsellor/week.html", year=year, week=week, monday=monday, days=days, by_day=by_day,
                           sessions=sessions, previous=previous, following=following, today=local_today(),
                           home_link=home_link, away=away, closed=closed, away_hours=away_hours, away_ids=away_ids,
                           cannot_come=counsellor_today.cannot_come_pairs(current_user.county_id))


@bp.get("/<int:year>/<int:week>.ics")
@requires("week")
def week_ics(year: int, week: int):
    monday = _week_or_404(year, week)
    sessions = cal.counsellor_sessions(_profile_id(), monday, monday + dt.timedelta(days=6))
    body = cal.build_calendar(sessions, _session_link, language=for_recipient(current_user))
    return _ics_response(body, f"week-{year}-{week:02d}.ics")


@bp.get("/day/<day>")
@requires("week")
def day(day: str):
    """One day, laid out for printing."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    sessions = cal.counsellor_sessions(_profile_id(), date, date)
    return render_template("counsellor/day.html", date=date, sessions=sessions,
                           cannot_come=counsellor_today.cannot_come_pairs(current_user.county_id))


@bp.get("/sessions/<int:session_id>")
@requires("week")
def session(session_id: int):
    gone = _no_longer_mine(session_id)
    if gone is not None:
        return gone
    session = get_visible(Session, session_id, "counsel")   # their own session (a lead who counsels: not a colleague's)
    # A link from an e-mail or the calendar written before a re-plan: the session as it stands now.
    current = cal.current_of(session)
    if current is not None and may(current_user, "view", current):
        return redirect(url_for("counsellor.session", session_id=current.id))
    if current is not None and current.counsellor_id != session.counsellor_id:
        # A later plan gave the appointment to a colleague: the old row's participants are no longer theirs to read.
        return render_template("counsellor/session_gone.html"), 410
    asked = flask_session.get(OUTCOME_CHANGE) if request.args.get("confirm") == "outcomes" else None
    if asked and asked.get("session_id") == session.id:
        chosen = {int(referral_id): Outcome(value) for referral_id, value in asked["chosen"].items()}
        changing = _changing(session, chosen)
        if changing:
            return _render_session(session, chosen=chosen, changing=changing)
    return _render_session(session)


def _no_longer_mine(session_id: int):
    """A session given to a colleague since the counsellor was told of it (their e-mail or calendar still links
    it): a page that says so, instead of "page not found". Only to someone Veiled told of this session; to anyone
    else it does not exist (get_visible's 404)."""
    from sqlalchemy import select

    from guidance.models import Notice

    session = db.session.get(Session, session_id)
    if session is None or may(current_user, "counsel", session) or db.session.scalar(
            select(Notice.id).where(Notice.user_id == current_user.id, Notice.session_id == session_id).limit(1)) is None:
        return None
    from flask import g

    from guidance.web.errors import audit_refusal

    # Refused all the same, and audited as every refusal is; the page says only that it is no longer theirs.
    g.access_refused = ("session", session_id, {"action": "counsel", "exists": True, "gone": True})
    audit_refusal()
    return render_template("counsellor/session_gone.html"), 410


OUTCOME_CHANGE = "outcome_change"   # the outcomes a counsellor is asked to confirm, between the POST and its page


def _changing(session: Session, chosen: dict) -> list:
    """The members whose recorded outcome `chosen` would change."""
    return [m for m in session.participants if m.outcome is not None and chosen.get(m.referral_id) not in (None, m.outcome)]


def _follow_up_form(session: Session, formdata=None) -> FollowUpForm:
    form = FollowUpForm(formdata=formdata) if formdata is not None else FollowUpForm(formdata=None)
    form.referral_id.choices = [(p.referral_id, f"{p.referral.participant.name} ({p.referral.reference})") for p in session.participants]
    return form


def _render_session(session: Session, follow_up_form=None, outcome_error=None, missing_outcomes=(), status=200,
                    chosen=None, changing=()):
    """`outcome_error`: the message of a refused outcome form; `missing_outcomes`: the referral ids
    of participants it asks an outcome for (their radio groups show the message); `chosen`: outcomes
    the form sent, shown instead of the stored ones; `changing`: members whose recorded outcome the
    form would change, to be confirmed."""
    from guidance.models.types import utcnow
    from guidance.services.cannot_come import waiting

    return render_template("counsellor/session.html", session=session, iso=session.start.astimezone(cal.OSLO).isocalendar(),
                           cannot_come=waiting(session.run.county_id, session_id=session.id),
                           outcome_form=PostForm(), follow_up_form=follow_up_form or _follow_up_form(session),
                           outcomes=list(Outcome), started=session.start <= utcnow(),
                           outcome_error=outcome_error, missing_outcomes=list(missing_outcomes),
                           chosen=chosen or {}, changing=list(changing)), status


@bp.post("/sessions/<int:session_id>/outcomes")
@requires("week")
def outcomes(session_id: int):
    """Attended / no-show / cancelled late per participant, after the session."""
    session = get_visible(Session, session_id, "record_outcome")
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = {}
    for member in session.participants:
        value = request.form.get(f"outcome-{member.referral_id}")
        if value:
            try:
                chosen[member.referral_id] = Outcome(value)
            except ValueError:
                abort(400)
    # A recorded outcome changed later moves the participant in or out of the queue: asked once more.
    if _changing(session, chosen) and request.form.get("confirm_change") != "y":
        # Asked on a page of its own (a GET): Back from the saved session had answered "Confirm Form Resubmission".
        flask_session[OUTCOME_CHANGE] = {"session_id": session.id,
                                         "chosen": {str(rid): outcome.value for rid, outcome in chosen.items()}}
        return redirect(url_for("counsellor.session", session_id=session.id, confirm="outcomes"))
    flask_session.pop(OUTCOME_CHANGE, None)
    try:
        outcome_service.record_outcomes(current_user, session, chosen)
    except DomainError as error:
        db.session.rollback()
        missing = [] if chosen else [member.referral_id for member in session.participants]
        return _render_session(session, outcome_error=error.message, missing_outcomes=missing, status=400)
    flash(_("The outcomes were saved."), "success")
    return redirect(url_for("counsellor.session", session_id=session.id))


@bp.post("/sessions/<int:session_id>/follow-up")
@requires("week")
def follow_up(session_id: int):
    """Ask for a follow-up session with the same participant and counsellor."""
    session = get_visible(Session, session_id, "record_outcome")
    form = _follow_up_form(session, request.form)
    if form.validate_on_submit():
        referral = db.session.get(Referral, form.referral_id.data)
        try:
            outcome_service.request_follow_up(current_user, session, referral, form.weeks.data)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The follow-up session is in the queue for the next plan, with you as the counsellor."), "success")
            return redirect(url_for("counsellor.session", session_id=session.id))
    return _render_session(session, follow_up_form=form, status=400)


@bp.get("/sessions/<int:session_id>.ics")
@requires("week")
def session_ics(session_id: int):
    session = get_visible(Session, session_id, "counsel")
    body = cal.build_calendar([session], _session_link, language=for_recipient(current_user))
    return _ics_response(body, f"session-{session.id}.ics")


@bp.get("/calendar")
@requires("week")
def calendar():
    """How to subscribe; the address itself is shown only right after it is made."""
    return render_template("counsellor/calendar.html", form=PostForm(), has_token=bool(current_user.calendar_token_hash),
                           **feed.new_address())


@bp.post("/calendar/token")
@requires("week")
def new_token():
    return feed.make_address("counsellor.calendar")


@bp.post("/calendar/revoke")
@requires("week")
def revoke_token():
    return feed.switch_off("counsellor.calendar")


@bp.route("/absence", methods=["GET", "POST"])
@requires("week")
def absence():
    """The counsellor reports their own absence; the leads get an e-mail with the sessions it hits."""
    from guidance.web import own_absence

    _profile_id()

    def week_url(day: dt.date) -> str:
        year, week, _weekday = day.isocalendar()
        return url_for("counsellor.week_of", year=year, week=week)

    return own_absence.page(done=url_for("counsellor.week"), week_of=week_url)


@bp.post("/absence/<int:absence_id>/end")
@requires("week")
def end_absence(absence_id: int):
    """The counsellor is back earlier than one of their absences says."""
    from guidance.web import own_absence

    return own_absence.end(absence_id, done=url_for("counsellor.absence"))
