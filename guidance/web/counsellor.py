"""The counsellor's week: sessions by ISO week, a printable day, .ics downloads, the feed settings."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from guidance.models import Session
from guidance.services import calendar as cal
from guidance.web.guards import get_visible, requires

bp = Blueprint("counsellor", __name__, url_prefix="/week")


class PostForm(FlaskForm):
    """A button that only carries the CSRF token."""


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
    try:
        return cal.week_start(year, week)
    except ValueError:
        abort(404)


@bp.get("/")
@requires("week")
def week():
    """This week."""
    year, week_number, _day = cal.today_in_oslo().isocalendar()
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
    return render_template("counsellor/week.html", year=year, week=week, monday=monday, days=days, by_day=by_day,
                           sessions=sessions, previous=previous, following=following, today=cal.today_in_oslo())


@bp.get("/<int:year>/<int:week>.ics")
@requires("week")
def week_ics(year: int, week: int):
    monday = _week_or_404(year, week)
    sessions = cal.counsellor_sessions(_profile_id(), monday, monday + dt.timedelta(days=6))
    body = cal.build_calendar(sessions, _session_link, language=str(current_user.language or "nb"))
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
    return render_template("counsellor/day.html", date=date, sessions=sessions)


@bp.get("/sessions/<int:session_id>")
@requires("week")
def session(session_id: int):
    session = get_visible(Session, session_id)
    return render_template("counsellor/session.html", session=session, iso=session.start.astimezone(cal.OSLO).isocalendar())


@bp.get("/sessions/<int:session_id>.ics")
@requires("week")
def session_ics(session_id: int):
    session = get_visible(Session, session_id)
    body = cal.build_calendar([session], _session_link, language=str(current_user.language or "nb"))
    return _ics_response(body, f"session-{session.id}.ics")


@bp.get("/calendar")
@requires("week")
def calendar():
    """How to subscribe; the address itself is shown only right after it is made."""
    return render_template("counsellor/calendar.html", form=PostForm(), has_token=bool(current_user.calendar_token_hash))


@bp.post("/calendar/token")
@requires("week")
def new_token():
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    token = cal.issue_feed_token(current_user)
    https = cal.app_url("feed.feed", token=token)
    webcal = "webcal://" + https.split("://", 1)[1]
    flash(_("Your new calendar address is ready. Any address you made before no longer works."), "success")
    # Shown once, like a password: only its hash is stored.
    return render_template("counsellor/calendar.html", form=PostForm(), has_token=True, https=https, webcal=webcal)


@bp.post("/calendar/revoke")
@requires("week")
def revoke_token():
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    cal.revoke_feed_token(current_user)
    flash(_("Your calendar address was switched off."), "success")
    return redirect(url_for("counsellor.calendar"))
