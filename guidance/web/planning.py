"""Planning for leads: start a run in the background, watch it, cancel it, download its files."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField
from wtforms.validators import DataRequired, NumberRange, Optional

from guidance.extensions import db
from guidance.models import PlanningRun, RunStatus
from guidance.services import planning as planning_service
from guidance.services.errors import DomainError
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
}


class StartRunForm(FlaskForm):
    time_limit = IntegerField(
        _l("Time budget (seconds)"), default=planning_service.DEFAULT_SECONDS,
        validators=[DataRequired(_l("Enter a time budget in seconds.")),
                    NumberRange(min=planning_service.MIN_SECONDS, max=planning_service.MAX_SECONDS,
                                message=_l("Choose a time budget between %(min)s and %(max)s seconds."))])
    keep_until = DateField(_l("Keep published sessions up to and including"), validators=[Optional()])


class CancelForm(FlaskForm):
    pass


def run_message(run: PlanningRun) -> tuple[str | None, str | None]:
    """(translated explanation, technical detail) of a run's message."""
    if not run.message:
        return None, None
    code, _sep, detail = run.message.partition(": ")
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
        "elapsed_seconds": progress.get("elapsed_seconds"),
        "time_limit_seconds": run.time_limit_seconds,
        "message": explanation,
        "detail": detail,
        "url": url_for("planning.run", run_id=run.id),
    }


@bp.get("/")
@requires("planning")
def index():
    runs = db.session.scalars(
        select(PlanningRun).where(PlanningRun.county_id == current_user.county_id).order_by(PlanningRun.id.desc()).limit(20)
    ).all()
    active = planning_service.active_run(current_user.county_id)
    return render_template("planning/index.html", form=StartRunForm(), runs=runs, active=active,
                           run_status=RUN_STATUS)


@bp.post("/runs")
@requires("planning")
def start():
    form = StartRunForm()
    if form.validate_on_submit():
        try:
            run = planning_service.start_run(current_user, time_limit=form.time_limit.data,
                                             keep_until=form.keep_until.data)
        except DomainError as error:
            db.session.rollback()
            if error.field_errors:
                for name, messages in error.field_errors.items():
                    getattr(form, name).errors = list(getattr(form, name).errors) + messages
            else:
                flash(error.message, "error")
        else:
            flash(_("The planning run has started."), "success")
            return redirect(url_for("planning.run", run_id=run.id))
    runs = db.session.scalars(
        select(PlanningRun).where(PlanningRun.county_id == current_user.county_id).order_by(PlanningRun.id.desc()).limit(20)
    ).all()
    active = planning_service.active_run(current_user.county_id)
    return render_template("planning/index.html", form=form, runs=runs, active=active, run_status=RUN_STATUS), 400


@bp.get("/runs/<int:run_id>")
@requires("planning")
def run(run_id: int):
    planning_run = get_visible(PlanningRun, run_id)
    explanation, detail = run_message(planning_run)
    return render_template("planning/run.html", run=planning_run, progress=progress_payload(planning_run),
                           explanation=explanation, detail=detail, cancel_form=CancelForm(),
                           run_status=RUN_STATUS, active=planning_run.status in planning_service.ACTIVE)


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
