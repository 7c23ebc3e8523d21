"""Planning for leads: start a run in the background, watch it, cancel it, download its files."""
from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import format_date, get_locale, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from guidance import clock
from guidance.extensions import db
from guidance.labels import CANCEL_REASON
from guidance.models import PlanningRun, RunStatus, Session, SessionType
from guidance.models.types import utcnow as _utcnow
from guidance.planning import ids as planning_ids
from guidance.services import planning as planning_service
from guidance.services import mail, queue
from guidance.services import to_tell
from guidance.services.errors import DomainError
from guidance.web.forms import AbsenceTimeForm, NearToday, WishForm, clock_text, row_id, show_refusal
from guidance.web.guards import get_visible, requires

bp = Blueprint("planning", __name__, url_prefix="/planning")

RUN_STATUS = {
    "queued": _l("Waiting for the planning worker"),
    "running": _l("Planning"),
    "succeeded": _l("Finished"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}

RUN_MESSAGE = {
    "worker_stopped": _l("The planning worker stopped during the run, so no plan was stored. The published plan is "
                         "unchanged. Start a new run."),
    "solver_error": _l("The solver could not plan with this data, so no plan was stored. The published plan is "
                       "unchanged."),
    "solver_crashed": _l("The solver stopped unexpectedly, so no plan was stored. The published plan is unchanged."),
    "timed_out": _l("The solver did not finish in time, so no plan was stored. The published plan is unchanged."),
    "store_error": _l("The plan could not be saved, so nothing was stored. The published plan is unchanged."),
    "queue_unavailable": _l("The planning queue could not be reached, so the run never started."),
    "cancelled": _l("The run was cancelled; no plan was stored. The published plan is unchanged."),
    # Not a solve: the sessions a lead booked one at a time before the county's first plan (services.book_now).
    "first-bookings": _l("Sessions booked one at a time before the first plan. The next plan keeps them as it keeps "
                         "every published session."),
}


class StartRunForm(FlaskForm):
    time_limit = IntegerField(
        _l("How long to search for a better plan (seconds)"), default=planning_service.DEFAULT_SECONDS,
        validators=[DataRequired(_l("Enter a time budget in seconds.")),
                    NumberRange(min=planning_service.MIN_SECONDS, max=planning_service.MAX_SECONDS,
                                message=_l("Choose a time budget between %(min)s and %(max)s seconds."))])
    keep_until = DateField(_l("Keep published sessions up to and including"), validators=[Optional(), NearToday()])
    # A settlement wave booked into the last weeks of a month whose interpreter budget was spent: the lead can hold
    # new sessions back to a later day (PROBLEM.md's `new_sessions_from`, never before the county's notice).
    new_from = DateField(_l("Book new sessions from"), validators=[Optional(), NearToday()])
    # Offered with a re-plan after an absence or a change (planning/_replan.html); the planning page's
    # own form plans everything (no field: None).
    scope = RadioField(_l("What to plan"), choices=[
        ("repair", _l("Only the published sessions: move what broke, book nothing new")),
        ("all", _l("The published sessions and every waiting referral"))], validate_choice=False)


class CancelForm(FlaskForm):
    pass


def run_message(run: PlanningRun) -> tuple[str | None, str | None]:
    """(translated explanation, technical detail) of a run's message."""
    if not run.message:
        return None, None
    code, _sep, detail = run.message.partition(": ")
    if code == "queue_unavailable":
        detail = ""  # runs stored before the fix kept the connection error's text (host and port)
    return str(RUN_MESSAGE.get(code, RUN_MESSAGE["solver_error"])), detail or None


def progress_payload(run: PlanningRun) -> dict:
    progress = run.progress or {}
    explanation, detail = run_message(run)
    return {
        "id": run.id,
        "status": run.status.value,
        "status_label": str(RUN_STATUS[run.status.value]),
        "active": run.status in planning_service.ACTIVE,
        "cancel_requested": run.cancel_requested,
        "sessions_placed": progress.get("sessions_placed"),
        "objective": progress.get("objective"),
        "best_bound": progress.get("best_bound"),
        # Whole seconds: a lead reads "31", not "30.5" (and the page's script shows it as it comes).
        "elapsed_seconds": round(progress["elapsed_seconds"]) if progress.get("elapsed_seconds") is not None else None,
        "time_limit_seconds": run.time_limit_seconds,
        "message": explanation,
        "detail": detail,
        "url": url_for("planning.run", run_id=run.id),
    }


def _keep_until_default():
    """The form's "keep until": the day of the last published session ahead, but never past the dates
    the field takes (a session booked years ahead made the form refuse its own default)."""
    return min(planning_service.repair_keep_until(current_user.county), NearToday().bounds()[1])


@bp.get("/")
@requires("planning")
def index():
    runs = db.session.scalars(
        select(PlanningRun).where(PlanningRun.county_id == current_user.county_id).order_by(PlanningRun.id.desc()).limit(20)
    ).all()
    active = planning_service.active_run(current_user.county_id)
    form = StartRunForm()
    # Published sessions have had their letters and interpreter requests: a new plan keeps them all
    # by default and plans the queue around them (the lead may pick an earlier date).
    form.keep_until.data = _keep_until_default() if current_user.county is not None else None
    return render_template("planning/index.html", form=form, runs=runs, active=active,
                           run_status=RUN_STATUS, readiness=_readiness(), first_new=_first_new())


def _first_new():
    """The first day a new session may be booked, by the county's notice (the "book new sessions from" hint)."""
    from guidance.planning.ids import local_today
    from guidance.rules.notice import first_new_day

    county = current_user.county
    return first_new_day(county, local_today()) if county is not None else None


def _readiness():
    """What stops the county's next plan (services.readiness), shown before a run starts."""
    from guidance.services import readiness

    return readiness.check(current_user.county) if current_user.county is not None else None


@bp.post("/runs")
@requires("planning")
def start():
    form = StartRunForm()
    ready = _readiness()
    blocked = ready is not None and bool(ready.blockers)
    if form.validate_on_submit() and not blocked:
        try:
            run = planning_service.start_run(current_user, time_limit=form.time_limit.data,
                                             keep_until=form.keep_until.data, repair_only=form.scope.data == "repair",
                                             new_from=form.new_from.data)
        except DomainError as error:
            show_refusal(form, error)
            if not error.field_errors:
                flash(error.message, "error")
        else:
            flash(_("The planning run has started."), "success")
            return redirect(url_for("planning.run", run_id=run.id))
    runs = db.session.scalars(
        select(PlanningRun).where(PlanningRun.county_id == current_user.county_id).order_by(PlanningRun.id.desc()).limit(20)
    ).all()
    active = planning_service.active_run(current_user.county_id)
    return render_template("planning/index.html", form=form, runs=runs, active=active, run_status=RUN_STATUS,
                           readiness=ready, blocked=blocked, first_new=_first_new()), 400


@bp.get("/runs/<int:run_id>")
@requires("planning")
def run(run_id: int):
    planning_run = get_visible(PlanningRun, run_id)
    explanation, detail = run_message(planning_run)
    from guidance.planning import review

    figures = review.headline(planning_run) if planning_run.status is RunStatus.SUCCEEDED \
        and planning_run.instance_json is not None else None
    publishable = figures is not None and planning_run.published_at is None
    left_in_queue = queue.nothing_booked(current_user, planning_ids.local_today()) \
        if figures is not None and planning_run.repair_only else None
    stale = publishable and planning_service.is_stale(planning_run)
    # What publishing would do to the interpreter budget, said here too: the wave's lead learnt of 151 % only on
    # the publish page, after reading the plan (the preview also names the sessions the plan leaves broken).
    preview = planning_service.publish_preview(planning_run) if publishable else None
    return render_template("planning/run.html", run=planning_run, progress=progress_payload(planning_run),
                           explanation=explanation, detail=detail, cancel_form=CancelForm(), figures=figures,
                           publishable=publishable, stale=stale, publish_form=PublishForm(),
                           run_status=RUN_STATUS, active=planning_run.status in planning_service.ACTIVE,
                           left_in_queue=left_in_queue, not_covered=preview.not_covered if preview else [],
                           over_budget=preview.over_budget if preview else [],
                           held_back=preview.held_back if preview else (0, None))


@bp.get("/runs/<int:run_id>/progress")
@requires("planning")
def progress(run_id: int):
    planning_run = get_visible(PlanningRun, run_id)
    response = jsonify(progress_payload(planning_run))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/runs/<int:run_id>/cancel")
@requires("planning")
def cancel(run_id: int):
    planning_run = get_visible(PlanningRun, run_id, "plan")
    if CancelForm().validate_on_submit():
        try:
            planning_service.cancel_run(current_user, planning_run)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The run is being cancelled."), "success")
    return redirect(url_for("planning.run", run_id=run_id))


@bp.get("/runs/<int:run_id>/instance.json")
@requires("planning")
def instance_file(run_id: int):
    planning_run = get_visible(PlanningRun, run_id)
    return _download(planning_run.instance_json, f"instance-run-{run_id}.json")


@bp.get("/runs/<int:run_id>/plan.json")
@requires("planning")
def plan_file(run_id: int):
    planning_run = get_visible(PlanningRun, run_id)
    return _download(planning_run.plan_json, f"plan-run-{run_id}.json")


def _download(text: str | None, filename: str) -> Response:
    if not text:
        return Response(json.dumps({"detail": "not available"}), status=404, mimetype="application/json")
    return Response(text, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------------------- review

REASONS = {
    "deadline_before_earliest": (
        _l("The deadline comes before the earliest date the participant can attend."),
        _l("Check the settlement date, programme decision and earliest date with the municipality.")),
    "no_working_day_before_deadline": (
        _l("There is no working day in the planning period between the earliest date and the deadline."),
        _l("Ask the municipality whether the earliest date can be moved, or plan the session by hand.")),
    "no_location_with_rooms": (
        _l("No location has a room the session could use."),
        _l("Add rooms to the centre's locations.")),
    "too_far_from_any_location": (
        _l("Every location is further from where the participant lives than the travel limit allows."),
        _l("Open an outreach day near %(place)s, or offer a video session.")),
    "no_step_free_location": (
        _l("The participant needs step-free access, and no location within the travel limit is recorded as step-free."),
        _l("Record step-free access where a location has it, or offer a video session.")),
    "no_qualified_counsellor": (
        _l("No counsellor with multicultural-guidance training works at a location the participant can reach."),
        _l("Give a trained counsellor hours at a location near %(place)s.")),
    "no_interpreter_for_language": (
        _l("No interpreter for %(language)s is free in time."),
        _l("Book an interpreter for %(language)s, also by video or phone, or add one to the register.")),
    "no_counsellor_available": (
        _l("The counsellors who could hold the session have no free time before the deadline."),
        _l("Extend a counsellor's hours, or add a counsellor at a location near %(place)s.")),
    "no_capacity_before_deadline": (
        _l("There is no free room and counsellor time before the deadline."),
        _l("Extend a counsellor's hours, or open an outreach day near %(place)s.")),
    # A single booking joins groups, it does not start one (solver.recommend).
    "no_group_seat": (
        _l("Every group session the participant can reach before the deadline is full, is at a time they "
           "have another session, or is in another language."),
        _l("Book the individual session now: the next planning run forms new groups and gives the participant a "
           "place in one.")),
    "group_too_small": (
        _l("Too few participants can meet at the same place and time for a group session."),
        _l("Plan the group later when more participants are referred, or open a group day at a location more can reach.")),
    "time_limit_reached": (
        _l("The solver ran out of time before it could place this session."),
        _l("Run the planning again with a longer time budget.")),
    "displaced_by_pinned_session": (
        _l("A pinned session took the time, room or person this session needed."),
        _l("Move or unpin the pinned session, then run the planning again.")),
}

# The same reasons for an overdue participant (the instance's overdue_since): their deadline has
# passed, so the engine searched the whole planning period, and "before the deadline" would mislead.
OVERDUE_REASONS = {
    "no_working_day_before_deadline": _l("The deadline has passed, and there is no working day in the planning period "
                                         "from the earliest date."),
    "no_counsellor_available": _l("The deadline has passed, and the counsellors who could hold the session have no "
                                  "free time in the planning period."),
    "no_capacity_before_deadline": _l("The deadline has passed, and there is no free room and counsellor time in the "
                                      "planning period."),
    "no_group_seat": _l("The deadline has passed, and every group session the participant can reach in the planning "
                        "period is full, is at a time they have another session, or is in another language."),
}

# The same reasons for a group session, where a phone interpreter never serves and a video one needs a group
# room with video (rule 7): "book one by video or phone" sent the lead after interpreters who could not help.
GROUP_REASONS = {
    "no_interpreter_for_language": (
        _l("No interpreter for %(language)s can take part in a group session in time: a group needs one on site, "
           "or by video in a group room with video."),
        _l("Book an interpreter for %(language)s who comes on site, give a group room video, or book the "
           "participant's individual session with an interpreter by video or phone.")),
}

CHANGE_KIND = {
    "new": _l("New"), "moved": _l("Moved"), "restaffed": _l("New counsellor, interpreter or room"), "regrouped": _l("Group changed"),
    "dropped": _l("Dropped"), "kept": _l("Unchanged"),
}


# Where the lead fixes what a reason names: (endpoint, link text).
REASON_LINKS = {
    "no_location_with_rooms": ("setup.index", _l("Go to the centre set-up")),
    "too_far_from_any_location": ("setup.index", _l("Go to the centre set-up")),
    "no_step_free_location": ("setup.index", _l("Go to the centre set-up")),
    "no_qualified_counsellor": ("people.counsellors", _l("Go to the counsellors")),
    "no_counsellor_available": ("people.counsellors", _l("Go to the counsellors")),
    "no_capacity_before_deadline": ("people.counsellors", _l("Go to the counsellors")),
    "no_interpreter_for_language": ("people.interpreters", _l("Go to the interpreters")),
    "time_limit_reached": ("planning.index", _l("Go to planning")),
    "displaced_by_pinned_session": ("planning.index", _l("Go to planning")),
}


def reason_link(code: str) -> tuple[str, str] | None:
    """(url, text) of the page where the lead fixes what the reason names, if there is one."""
    found = REASON_LINKS.get(code)
    return (url_for(found[0]), str(found[1])) if found else None


def explain_reason(code: str, *, place: str, language: str, overdue: bool = False,
                   session_type: str | None = None) -> tuple[str, str]:
    """(what happened, what the lead can do) for an unscheduled reason code, in the lead's language;
    `overdue`: the participant's deadline has already passed; `session_type`: the need's ("group" has
    words of its own where they differ)."""
    what, action = REASONS.get(code, (_l("The solver could not place the session (%(code)s)."),
                                      _l("Look at the participant's referral and the centre's capacity.")))
    if session_type == SessionType.GROUP.value:
        what, action = GROUP_REASONS.get(code, (what, action))
    if overdue:
        what = OVERDUE_REASONS.get(code, what)
    # Inside a Norwegian sentence a language's name is lower case: "ingen tolk på kurdisk".
    if str(get_locale()).startswith(("nb", "nn")):
        language = language.lower()
    values = {"place": place, "language": language, "code": code}
    return str(what) % values if "%(" in str(what) else str(what), str(action) % values if "%(" in str(action) else str(action)


def _succeeded(run_id: int) -> PlanningRun:
    planning_run = get_visible(PlanningRun, run_id)
    if planning_run.status is not RunStatus.SUCCEEDED:
        abort(404)
    return planning_run


@bp.get("/runs/<int:run_id>/sessions")
@requires("planning")
def sessions(run_id: int):
    from guidance.planning import review

    planning_run = _succeeded(run_id)
    weeks = review.weeks_of(planning_run)
    week = _week_arg(request.args.get("week"), weeks)
    location_id = request.args.get("location", type=row_id)
    counsellor_id = request.args.get("counsellor", type=row_id)
    rows = review.run_sessions(planning_run, week=week, location_id=location_id, counsellor_id=counsellor_id)
    names = review.names_for(planning_run.county_id, {sp.referral_id for s in rows for sp in s.participants})
    return render_template("planning/sessions.html", run=planning_run, rows=rows, names=names, weeks=weeks, week=week,
                           location_id=location_id, counsellor_id=counsellor_id, ids=planning_ids,
                           locations=_choices(names.locations, "L"), counsellors=_choices(names.counsellors, "C"),
                           used=_used(planning_run), editable_pins=True,
                           editable=planning_run.published_at is None, now=_utcnow())


@bp.get("/runs/<int:run_id>/changes")
@requires("planning")
def changes(run_id: int):
    from guidance.planning import review

    planning_run = _succeeded(run_id)
    items = review.changes(planning_run)
    show_kept = request.args.get("kept") == "1"
    shown = [c for c in items if show_kept or c.kind != "kept"]
    names = review.names_for(planning_run.county_id, {planning_ids.db_id(p, "R") for c in shown for s in (c.old, c.new)
                                                      if s for p in s["participants"]})
    return render_template("planning/changes.html", run=planning_run, items=shown,
                           counts=review.change_counts(items), names=names, kinds=CHANGE_KIND, show_kept=show_kept,
                           local=_local_text, journey=review.journeys(planning_run),
                           long_journey=review.LONG_JOURNEY_MINUTES, near_deadline=review.near_deadlines(names, planning_ids.local_today()),
                           away=review.away_on_the_day(planning_run),
                           near_days=review.DEADLINE_NEAR_DAYS)


@bp.get("/runs/<int:run_id>/unscheduled")
@requires("planning")
def unscheduled(run_id: int):
    from guidance.labels import LanguageNames

    language_name = LanguageNames().get

    from guidance.planning import review

    planning_run = _succeeded(run_id)
    needs = review.plan_of(planning_run)["unscheduled"]
    names = review.names_for(planning_run.county_id, {planning_ids.db_id(u["participant"], "R") for u in needs})
    instance = review.instance_of(planning_run)
    # Overdue by the time the run began (a deadline inside the notice is marked overdue too, but has not passed).
    overdue = {p["id"] for p in instance.get("participants", [])
               if p.get("overdue_since") and p["overdue_since"] < instance["horizon"]["start"]}
    rows = []
    for u in needs:
        referral = names.referrals.get(u["participant"])
        place = referral.participant.municipality.name if referral else ""
        language = language_name(referral.participant.language, str(get_locale())) if referral else ""
        what, action = explain_reason(u["reason"], place=place, language=language,
                                      overdue=u["participant"] in overdue, session_type=u["type"])
        rows.append({"referral": referral, "pid": u["participant"], "type": u["type"], "code": u["reason"],
                     "link": reason_link(u["reason"]),
                     "what": what, "action": action, "detail": u.get("detail", "")})
    rows.sort(key=lambda r: (r["referral"].deadline is None if r["referral"] else True,
                             r["referral"].deadline if r["referral"] and r["referral"].deadline else dt.date.max))
    from guidance.models import OPEN_STATUSES, Referral

    # "Find a time" for what is still open (a referral closed since the run has nothing to book).
    shown = [r["referral"].id for r in rows if r["referral"]]
    still_open = set(db.session.scalars(select(Referral.id).where(Referral.id.in_(shown),
                                                                  Referral.status.in_(OPEN_STATUSES)))) if shown else set()
    return render_template("planning/unscheduled.html", run=planning_run, rows=rows, still_open=still_open)


def _local_text(value: str) -> dt.datetime:
    """A plan's Oslo wall-clock text as an aware instant (the date filters take only aware ones)."""
    return planning_ids.from_plan_minute(value)


def _week_arg(value: str | None, weeks: list[dt.date]) -> dt.date | None:
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None:
            return day - dt.timedelta(days=day.weekday())
    from guidance.rules.week import first_week_ahead

    return first_week_ahead(weeks, planning_ids.local_today())


def _choices(mapping: dict[str, str], prefix: str) -> list[tuple[int, str]]:
    return sorted(((planning_ids.db_id(k, prefix), v) for k, v in mapping.items()), key=lambda kv: kv[1])


def _used(planning_run: PlanningRun) -> dict[str, set[int]]:
    """Locations and counsellors that appear in the run (the filters offer only these)."""
    rows = db.session.execute(select(Session.location_id, Session.counsellor_id)
                              .where(Session.run_id == planning_run.id).distinct())  # dozens of pairs, not 2,000 rows
    locations, counsellors = set(), set()
    for location_id, counsellor_id in rows:
        locations.add(location_id)
        counsellors.add(counsellor_id)
    return {"locations": locations, "counsellors": counsellors}


# ---------------------------------------------------------------------------- publish


class PublishForm(FlaskForm):
    confirm_stale = BooleanField(_l("Publish anyway: I know the data has changed since this plan was made"))
    confirm_newer = BooleanField(_l("Publish anyway: replace the plan that was published after this run started"))
    confirm_over_budget = BooleanField(_l("Publish anyway: I know the interpreters' cost goes over the budget"))


def _confirmation_page(planning_run: PlanningRun, form: PublishForm, status: int = 200, error: str | None = None):
    publishable = planning_run.status is RunStatus.SUCCEEDED and planning_run.published_at is None
    preview = planning_service.publish_preview(planning_run) if publishable else None
    return render_template("planning/publish.html", run=planning_run, form=form, preview=preview,
                           publishable=publishable, error=error, ids=planning_ids, mail_leaves=mail.leaves(),
                           not_covered=preview.not_covered if preview else [],
                           held_back=preview.held_back if preview else (0, None)), status


@bp.get("/runs/<int:run_id>/publish")
@requires("planning")
def confirm_publish(run_id: int):
    """What publishing will do (sessions, interpreter requests, e-mails, first date), before it is done."""
    planning_run = get_visible(PlanningRun, run_id, "plan")
    return _confirmation_page(planning_run, PublishForm())


@bp.post("/runs/<int:run_id>/publish")
@requires("planning")
def publish(run_id: int):
    planning_run = get_visible(PlanningRun, run_id, "plan")
    form = PublishForm()
    if not form.validate_on_submit():
        return _confirmation_page(planning_run, form, 400)
    try:
        published = planning_service.publish_run(current_user, planning_run, confirm_stale=bool(form.confirm_stale.data),
                                                 confirm_newer=bool(form.confirm_newer.data),
                                                 confirm_over_budget=bool(form.confirm_over_budget.data))
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, planning_service.PlanStale):
            form.confirm_stale.errors = [error.message]
        elif isinstance(error, planning_service.NewerPlanPublished):
            form.confirm_newer.errors = [error.message]
        elif isinstance(error, planning_service.OverBudget):
            form.confirm_over_budget.errors = [error.message]
        return _confirmation_page(planning_run, form, 400, error=error.message)
    flash(_("The plan is published. Sessions are booked and interpreter requests are created."), "success")
    if published.anything_left_out:
        flash(_left_out_message(published), "warning")
    return redirect(url_for("planning.run", run_id=run_id))


def _left_out_message(published: planning_service.Published) -> str:
    """Counts only: which participants were concerned is in the run's sessions, not in a flash."""
    from guidance.planning.instance import session_types

    parts = []
    if published.sessions_left_out:
        parts.append(ngettext(
            "%(num)d session was left out because its participant's referral was withdrawn or closed after the "
            "plan was made.",
            "%(num)d sessions were left out because their participants' referrals were withdrawn or closed after "
            "the plan was made.", published.sessions_left_out))
    if published.groups_left_out:
        parts.append(ngettext(
            "%(num)d group session was left out: without participants whose referrals were withdrawn or closed, it "
            "had fewer than %(min)d participants. Its other participants are back in the queue.",
            "%(num)d group sessions were left out: without participants whose referrals were withdrawn or closed, "
            "they had fewer than %(min)d participants. Their other participants are back in the queue.",
            published.groups_left_out, min=session_types(current_user.county)["group"]["min_size"]))
    if published.participants_removed:
        parts.append(ngettext(
            "%(num)d participant whose referral was withdrawn or closed was taken out of a group session that goes "
            "ahead.",
            "%(num)d participants whose referrals were withdrawn or closed were taken out of group sessions that go "
            "ahead.", published.participants_removed))
    return " ".join(parts)


# ---------------------------------------------------------------------------- pin and edit


class SessionEditForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date.")), NearToday()])
    start_time = StringField(_l("Start time"), filters=[clock_text], validators=[
        DataRequired(_l("Enter the start time.")),
        Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Enter the time as HH:MM, for example 09:15."))])
    room_id = SelectField(_l("Room"), coerce=int)
    counsellor_id = SelectField(_l("Counsellor"), coerce=int)
    interpreter_id = SelectField(_l("Interpreter"), coerce=int)
    interpreter_mode = SelectField(_l("Interpreting"), choices=[("onsite", _l("on site")), ("video", _l("video")),
                                                                ("phone", _l("phone"))])
    # How the participant takes part; an individual session only (a group meets on site, rule 7). Not sent for a group:
    # the session keeps its way.
    mode = SelectField(_l("How the participant takes part"), choices=[("onsite", _l("On site")), ("video", _l("By video"))],
                       validate_choice=False)
    # Shown when a published session would move to a time sooner than the county's notice.
    confirm_soon = BooleanField(_l("Move it anyway: the participant will be told another way"))
    confirm_late = BooleanField(_l("Move it anyway: the deadline is missed"))
    confirm_paid = BooleanField(_l("Change the interpreter anyway: the one taken off is paid"))
    # The page the lead came from (the absence, the referral): they go back there, not to the run's week.
    back = HiddenField()


class PinForm(FlaskForm):
    pinned = BooleanField()


class TakeOutForm(FlaskForm):
    referral_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])


def _fill_session_choices(form: SessionEditForm, planning_run: PlanningRun, session: Session | None = None) -> None:
    from guidance.planning import review

    if planning_run.published_at is not None:
        return _fill_county_choices(form, planning_run.county, session)
    instance = review.instance_of(planning_run)
    names = review.names_for(planning_run.county_id)  # rooms only: no referral is shown
    rooms = [(planning_ids.db_id(r["id"], "room"), f"{loc['name']} – {names.rooms.get(r['id'], r['id'])}")
             for loc in instance["locations"] for r in loc["rooms"]]
    form.room_id.choices = rooms
    form.counsellor_id.choices = [(planning_ids.db_id(c["id"], "C"), c["name"]) for c in instance["counsellors"]]
    form.interpreter_id.choices = [(0, _("No interpreter"))] + [
        (planning_ids.db_id(i["id"], "I"), _interpreter_choice(i["name"], i["languages"])) for i in instance["interpreters"]
        if not planning_ids.is_outside_interpreter(i["id"])]  # a stand-in serves its own session only


def _fill_county_choices(form: SessionEditForm, county, session: Session | None = None) -> None:
    """The county's rooms, counsellors and interpreters as they are today (a published session moves
    within today's county, not within the snapshot its run was planned from). For a `session`, the
    counsellors who work at its location and the interpreters of its language come first, each in a
    group of their own (the move's check still judges every choice)."""
    from sqlalchemy.orm import selectinload

    from guidance.models import CareerCentre, CounsellorProfile, InterpreterProfile, Location, User

    locations = db.session.scalars(
        select(Location).join(CareerCentre, CareerCentre.id == Location.centre_id)
        .where(CareerCentre.county_id == county.id, Location.active.is_(True))
        .options(selectinload(Location.rooms)).order_by(Location.name)).all()
    form.room_id.choices = [(r.id, f"{loc.name} – {r.name}") for loc in locations for r in loc.rooms]
    counsellors = db.session.scalars(
        select(CounsellorProfile).join(User, User.id == CounsellorProfile.user_id)
        .where(User.county_id == county.id, User.active.is_(True))
        .options(selectinload(CounsellorProfile.locations), selectinload(CounsellorProfile.user))
        .order_by(User.name)).all()
    choices = [(c.id, c.user.name) for c in counsellors]
    interpreters = db.session.scalars(
        select(InterpreterProfile).join(User, User.id == InterpreterProfile.user_id)
        .where(User.county_id == county.id, User.active.is_(True))
        .options(selectinload(InterpreterProfile.languages), selectinload(InterpreterProfile.user))
        .order_by(User.name)).all()
    spoken = [(i.id, _interpreter_choice(i.user.name, [lang.language for lang in i.languages])) for i in interpreters]
    if session is None:
        form.counsellor_id.choices = choices
        form.interpreter_id.choices = [(0, _("No interpreter"))] + spoken
        return
    here = {c.id for c in counsellors if any(loc.id == session.location_id for loc in c.locations)}
    groups = {_("Work at %(place)s", place=session.location.name): [c for c in choices if c[0] in here],
              _("Other counsellors"): [c for c in choices if c[0] not in here]}
    form.counsellor_id.choices = {label: group for label, group in groups.items() if group}
    # The interpreters of the session's language only (each name says its languages): the list offered all
    # the county's, and one of another language was refused only after the move was sent. The session's own
    # interpreter stays listed whatever their languages (the form shows the session as it is).
    language = session.language or next((sp.referral.participant.language for sp in session.participants), None)
    speaks = {i.id for i in interpreters if any(lang.language == language for lang in i.languages)} \
        | ({session.interpreter_id} if session.interpreter_id else set())
    form.interpreter_id.choices = [(0, _("No interpreter"))] + [i for i in spoken if language is None or i[0] in speaks]


def _interpreter_choice(name: str, codes) -> str:
    """'Amal Khalil (Arabic)': the interpreter's languages by name in the page's language, not as codes."""
    from guidance.languages import language_name

    locale = str(get_locale() or "nb")
    return f"{name} ({', '.join(sorted(language_name(code, locale) for code in codes))})"


def _no_longer_movable(session: Session):
    """A published session that cannot be moved, said before the form is filled in (a link from an older
    page opened the move form of a replaced or past session; sending it was refused and the suggestions
    failed): a replaced one opens as it stands now (same appointment, the later plan's row), a cancelled or
    started one goes to its day's plan. None: it can be moved."""
    from guidance.models import SessionStatus
    from guidance.rules.access import may
    from guidance.services.calendar import current_of

    current = current_of(session)   # None unless a later publication replaced this row
    if current is not None and current.status is SessionStatus.BOOKED and may(current_user, "edit", current):
        flash(_("A later plan published this session again; this is the session as it stands now."), "info")
        return redirect(url_for("planning.edit_session", session_id=current.id, **request.args))
    if session.status is not SessionStatus.BOOKED or session.start <= _utcnow():
        flash(_("This session can no longer be moved: it has started or is over, or it was cancelled or replaced."),
              "warning")
        return redirect(url_for("grids.day", date=planning_ids.to_local(session.start).date().isoformat()))
    return None


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@requires("planning")
def edit_session(session_id: int):
    from guidance.services import plan_edits

    session = get_visible(Session, session_id, "edit")
    planning_run = session.run
    published = planning_run.published_at is not None
    if published and (gone := _no_longer_movable(session)) is not None:
        return gone
    form = SessionEditForm()
    _fill_session_choices(form, planning_run, session)
    if request.method == "GET":
        local = planning_ids.to_local(session.start)
        form.day.data, form.start_time.data = local.date(), local.strftime("%H:%M")
        form.room_id.data, form.counsellor_id.data = session.room_id, session.counsellor_id
        form.interpreter_id.data = session.interpreter_id or 0
        form.interpreter_mode.data = session.interpreter_mode or "onsite"
        form.mode.data = session.mode
        form.back.data = request.args.get("back", "")
    elif form.validate_on_submit():
        start = dt.datetime.combine(form.day.data, dt.datetime.strptime(form.start_time.data, "%H:%M").time())
        change = plan_edits.move_published_session if published else plan_edits.edit_session
        extra = {"confirm_soon": bool(form.confirm_soon.data), "confirm_late": bool(form.confirm_late.data),
                 "confirm_paid": bool(form.confirm_paid.data)} if published else {}
        before, mode_before = (session.start, session.room_id), session.mode
        try:
            result = change(current_user, session, start=start, room_id=form.room_id.data,
                   counsellor_id=form.counsellor_id.data, interpreter_id=form.interpreter_id.data or None,
                   interpreter_mode=form.interpreter_mode.data,
                   mode=form.mode.data if form.mode.data in ("onsite", "video") else None, **extra)
        except plan_edits.NothingChanged as unchanged:
            flash(unchanged.message, "info")
            return redirect(_came_from(form, _after_edit(planning_run, published, start.date())))
        except DomainError as error:
            db.session.rollback()
            if error.field_errors and not any(error.message in m for m in error.field_errors.values()):
                flash(error.message, "error")   # a summary of its own; a field's own message is said on the field
            for name, messages in (error.field_errors or {"start_time": [error.message]}).items():
                getattr(form, name).errors = list(getattr(form, name).errors) + messages
        else:
            if not published:
                flash(_("The session was changed and pinned."), "success")
            elif result.handed_over:
                flash(_("The session is given to %(name)s at the same time. Both counsellors' calendars are updated; "
                        "the participants and the interpreter keep the time and place they were told.",
                        name=result.session.counsellor.user.name), "success")
            elif result.inside_notice:
                # One owner for the call: the centre (the referrer's page says the centre phones).
                flash(_("The session is moved to a time sooner than the county's notice, so a letter may not reach "
                        "the participant in time. Phone the participant, with an interpreter if they need one: they "
                        "wait on your home page with their phone number."), "warning")
            elif (result.session.start, result.session.room_id) == before and result.session.mode != mode_before:
                flash(_("The session keeps its time; the participant now takes part by video, and their referrer is "
                        "told.") if result.session.mode == "video" else
                      _("The session keeps its time; the participant now comes on site, and their referrer is told."),
                      "success")
            elif (result.session.start, result.session.room_id) == before:
                # Only the counsellor, interpreter or mode changed: not "moved" (the lead read that the time had gone).
                flash(_("The session keeps its time and room; the change is saved and the counsellor's calendar is "
                        "updated.") + (" " + _("The interpreter is asked.") if result.interpreter_asked else ""), "success")
            else:
                # Where it went, in words: the lead is told to tell the participant, and may stand on another week.
                where = _("%(when)s, %(place)s", when=clock.when_text(result.session.start, "EEEE d. MMMM y, HH:mm"),
                          place=_("by video") if result.session.mode == "video" else result.session.location.name)
                flash((_("The session is moved to %(where)s. The counsellor's calendar is updated and the interpreter "
                         "is asked again.", where=where) if result.interpreter_asked else
                       _("The session is moved to %(where)s. The counsellor's calendar is updated.", where=where)),
                      "success")
            if published and result.outside:  # nobody in Veiled tells an interpreter arranged outside it
                kind, who = result.outside
                flash(_("Tell %(name)s the new time and place: they were arranged outside Veiled, which does not "
                        "tell them.", name=who) if kind == "moved" else
                      _("%(name)s, arranged outside Veiled, is no longer the session's interpreter: tell them.",
                        name=who), "warning")
            if published and not result.handed_over:
                from guidance.services.notices import referrers_of

                _warn_untold([sp.referral for sp in result.session.participants if not referrers_of(sp.referral)])
            return redirect(_came_from(form, _after_edit(planning_run, published, start.date())))
    elif published and form.start_time.errors and not form.day.errors and form.day.data is not None:
        # The time could not be read: a day that has passed is said now too, not after the time is mended.
        form.day.errors = list(form.day.errors) + plan_edits.day_passed(form.day.data)
    status = 400 if request.method == "POST" else 200
    wish_form = WishForm.from_query()
    wish = wish_form.wish()
    from guidance.services.cannot_come import waiting

    # The county's instance from today, built once for the engine's suggestions and the colleagues' check.
    instance = plan_edits.instance_today(planning_run.county) if published else None
    suggested = plan_edits.move_options(session, wish=wish, instance=instance) if published else None
    cannot_come = waiting(planning_run.county_id, session_id=session.id) if published else []
    # A participant who cannot come needs another time: neither a colleague at this time nor this
    # time with other staff (the engine's first suggestions) helps.
    colleagues = plan_edits.colleagues_for([session], instance, refused=True).get(session.id, []) \
        if published and not cannot_come else []
    if suggested and colleagues:
        # The same time is the colleague list's: the suggestions keep the other times.
        suggested = suggested._replace(options=[o for o in suggested.options if o["start"] != session.start])
    return render_template("planning/edit_session.html", form=form, session=session, run=planning_run,
                           published=published, colleagues=colleagues, cannot_come=cannot_come,
                           take_out_form=TakeOutForm(),
                           may_take_out=published and plan_edits.may_take_out(session),
                           options=suggested.options if suggested else [],
                           first_new=suggested.first_new if suggested else None, wish_form=wish_form,
                           wish=wish, wish_hidden={"back": form.back.data} if form.back.data else {},
                           can_come_referrals=[sp.referral for sp in session.participants]), status


@bp.post("/sessions/<int:session_id>/take-out")
@requires("planning")
def take_out(session_id: int):
    """One participant of a published group session who cannot come leaves it; the lead then finds them
    another time (the others keep theirs)."""
    from guidance.models import Referral
    from guidance.services import plan_edits

    session = get_visible(Session, session_id, "edit")
    form = TakeOutForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
        return redirect(url_for("planning.edit_session", session_id=session.id))
    try:
        plan_edits.take_out_of_group(current_user, session, form.referral_id.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("planning.edit_session", session_id=session.id))
    referral = db.session.get(Referral, form.referral_id.data)   # a member of the session: checked above
    flash(_("%(reference)s is taken out of the group session; the other participants keep their time, and the "
            "referrer is told. Choose another time for them below.", reference=referral.reference), "success")
    return redirect(url_for("book_now.options", referral_id=referral.id))


@bp.post("/sessions/<int:session_id>/pin")
@requires("planning")
def pin_session(session_id: int):
    from guidance.services import plan_edits

    session = get_visible(Session, session_id, "edit")
    form = PinForm()
    if form.validate_on_submit():
        try:
            plan_edits.set_pinned(current_user, session, bool(form.pinned.data))
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The session is pinned: later runs keep it.") if form.pinned.data
                  else _("The session is no longer pinned."), "success")
    week = planning_ids.to_local(session.start).date().isoformat()
    return redirect(url_for("planning.sessions", run_id=session.run_id, week=week))


# ---------------------------------------------------------------------------- cancel one session

class CancelSessionForm(FlaskForm):
    reason = SelectField(_l("Why is the session cancelled?"),
                         choices=[("", _l("Choose a reason"))] + list(CANCEL_REASON.items()),
                         validators=[DataRequired(_l("Choose why the session is cancelled."))])
    back = HiddenField()


def _after_edit(planning_run: PlanningRun, published: bool, day: dt.date) -> str:
    """Where a change lands without a page to go back to: a published session on the day plan of its (new) day,
    where the lead sees it among the day's others; a draft's on its run's sessions (an older run's page read
    "replaced by a newer plan" on every row, as if the lead had edited an old plan)."""
    if published:
        return url_for("grids.day", date=day.isoformat())
    return url_for("planning.sessions", run_id=planning_run.id, week=day.isoformat())


def _came_from(form, default: str) -> str:
    """Where the lead goes after a move or a cancellation: the page they came from (a same-site path
    in `back`, from the link's query or the form), else `default`."""
    from guidance.web.auth import _safe_next

    target = form.back.data or request.args.get("back")
    return _safe_next(target) if target else default


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@requires("planning")
def cancel_session(session_id: int):
    """Cancel one booked session after a confirmation step: the interpreter is told, the
    counsellor's calendar shows it cancelled, the participants wait in the queue again."""
    from guidance.models import SessionStatus
    from guidance.models.types import utcnow
    from guidance.services.interpreter_bookings.changes import cancel_session as cancel
    from guidance.services.interpreter_bookings.costs import late_cancellation_cost
    from guidance.services.notices import referrers_of

    session = get_visible(Session, session_id, "cancel")
    form = CancelSessionForm()
    back = _came_from(form, url_for("planning.sessions", run_id=session.run_id,
                                    week=planning_ids.to_local(session.start).date().isoformat()))
    if request.method == "GET":
        form.back.data = request.args.get("back", "")
    cancellable = session.status is SessionStatus.BOOKED and session.start > utcnow()
    # Who hears of it through Veiled: the referrers of each participant (notices.referrers_of); a
    # municipality without an account hears nothing, and the lead must phone.
    told = {sp.referral: referrers_of(sp.referral) for sp in session.participants}
    # Sooner than a letter reaches them: the lead phones every participant, told in Veiled or not (to_tell).
    too_soon = to_tell.sooner_than_a_letter(session, session.start)
    # An interpreter who accepted is paid the booked time when the cancellation is late (the county's term).
    late_cost = sum(filter(None, (late_cancellation_cost(b) for b in session.bookings)))
    if request.method == "POST" and cancellable and form.validate_on_submit():
        try:
            cancel(current_user, session, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            form.reason.errors = list(form.reason.errors) + error.field_errors.get("reason", [error.message])
        else:
            flash(_("The session is cancelled. The participants are back in the queue."), "success")
            _warn_untold([r for r, people in told.items() if not people])
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render_template("planning/cancel_session.html", form=form, session=session, cancellable=cancellable,
                           back=back, told=told, late_cost=late_cost, too_soon=too_soon,
                           late_hours=session.run.county.interpreter_late_cancel_hours), status


def _warn_untold(referrals) -> None:
    """After a change to a published session: name the participants nobody hears of it from in Veiled
    (their municipality has no referrer with an account), so the lead tells them another way."""
    if referrals:
        flash(ngettext("Nobody is told of %(references)s in Veiled: the municipality has no referrer with an "
                       "account. Tell the participant yourself.",
                       "Nobody is told of %(references)s in Veiled: their municipalities have no referrer with an "
                       "account. Tell the participants yourself.", len(referrals),
                       references=", ".join(f"{r.participant.name} ({r.reference}, {r.participant.phone})"
                                            if r.participant.phone else f"{r.participant.name} ({r.reference})"
                                            for r in referrals)), "warning")


# ---------------------------------------------------------------------------- absences and re-plan


class AbsenceForm(AbsenceTimeForm):
    user_id = SelectField(_l("Who is away"), coerce=int, validators=[DataRequired(_l("Choose who is away."))])
    reason = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


def _absence_page(form: AbsenceForm, status: int = 200):
    from guidance.models import Absence, User

    absences = db.session.scalars(
        select(Absence).join(User, User.id == Absence.user_id).where(User.county_id == current_user.county_id)
        .order_by(Absence.start_date.desc()).limit(50)).all()
    return render_template("planning/absences.html", form=form, absences=absences), status


def _fill_absence_choices(form: AbsenceForm) -> None:
    from guidance.services.absences import staff_of_county

    form.user_id.choices = [(0, _("Choose a person"))] + [
        (u.id, _("%(name)s (counsellor)", name=u.name) if u.role.value != "interpreter"
         else _("%(name)s (interpreter)", name=u.name))
        for u in staff_of_county(current_user.county_id)]


@bp.route("/absences", methods=["GET", "POST"])
@requires("planning")
def absences():
    from guidance.services.absences import register_absence

    form = AbsenceForm()
    _fill_absence_choices(form)
    if request.method == "GET":
        form.start_date.data = form.end_date.data = planning_ids.local_today()  # the usual case: ill today
    if request.method == "GET" and request.args.get("user_id", type=row_id):
        # Linked from a counsellor's or interpreter's page: that person is already chosen.
        form.user_id.data = request.args.get("user_id", type=row_id)
    if request.method == "GET" and request.args.get("day"):
        # Linked from an interpreter's decline ("ill that day"): that day is already chosen.
        try:
            form.start_date.data = form.end_date.data = dt.date.fromisoformat(request.args["day"])
        except ValueError:
            pass  # a hand-made address: today stays
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                absence = register_absence(current_user, user_id=form.user_id.data, start=form.start_date.data,
                                           end=form.end_date.data, reason=form.reason.data, hours=form.hours())
            except DomainError as error:
                show_refusal(form, error)
            else:
                flash(_("The absence is registered."), "success")
                return redirect(url_for("planning.absence", absence_id=absence.id))
        return _absence_page(form, 400)
    return _absence_page(form)


@bp.post("/absences/<int:absence_id>/end")
@requires("planning")
def end_absence(absence_id: int):
    """The lead records that the person is back earlier (the absence ends, or goes when not begun)."""
    from guidance.models import Absence
    from guidance.web.own_absence import end_from_form

    item = get_visible(Absence, absence_id, "end")
    name = item.user.name
    ended = end_from_form(item)
    if ended is not None:
        kept, back_on = ended
        if kept is None:
            flash(_("The absence of %(name)s is taken away: plans may book them as usual.", name=name), "success")
            return redirect(url_for("planning.absences"))
        flash(_("%(name)s is back on %(day)s: plans may book them again from then on.", name=name,
                day=format_date(back_on, "long")), "success")
    return redirect(url_for("planning.absence", absence_id=absence_id))


@bp.get("/absences/<int:absence_id>")
@requires("planning")
def absence(absence_id: int):
    from guidance.models import Absence
    from guidance.services.absences import affected_sessions, first_day_back

    item = get_visible(Absence, absence_id)
    form = StartRunForm()
    form.keep_until.data = _keep_until_default()
    form.scope.data = "repair"
    from guidance.services.plan_edits import colleagues_for

    sessions = affected_sessions(item)
    from guidance.web.forms import AbsenceEndForm

    today = planning_ids.local_today()
    # Empty: a day filled in once took a one-day absence away in one click. The first day it may
    # hold: the day after the absence's first (the first day would be the whole absence: its own button).
    end_form = AbsenceEndForm(formdata=None) if item.end_date >= today else None
    first_back = first_day_back(item, today)
    if item.user.interpreter is not None:
        # An interpreter away: the session keeps its counsellor and time, and needs another interpreter
        # (their bookings were given back when the absence was registered: the replacement alerts).
        from guidance.services.interpreter_bookings import replacements
        from guidance.web.interpreting import RebookForm

        hit = {s.id for s in sessions}
        from guidance.services.people import category_letter

        offers = {"interpreters": {a.booking.session_id: a for a in replacements.alerts(current_user.county_id)
                                   if a.booking.session_id in hit}, "rebook_form": RebookForm(),
                  "letter": category_letter}
    else:
        offers = {"colleagues": colleagues_for(sessions, refused=True), "edit_form": SessionEditForm()}
    return render_template("planning/absence.html", absence=item, sessions=sessions, form=form, end_form=end_form,
                           today=today, first_back=first_back,
                           published_since=planning_service.published_since(item.user.county_id, item.created_at),
                           active=planning_service.active_run(current_user.county_id), now=_utcnow(), **offers)
