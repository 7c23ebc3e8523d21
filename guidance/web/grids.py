"""Week grids: a counsellor's, room's or location's week as a calendar, for the published plan,
for a planning run under review, and for a counsellor's own week. A visual aid beside the tables."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from guidance import clock
from guidance.models import PlanningRun, Role, RunStatus, Session
from guidance.planning import review
from guidance.planning.ids import local_today
from guidance.rules import opening
from guidance.rules.week import first_week_ahead, opening_monday
from guidance.services import county_day, plan_edits, to_tell, week_grid
from guidance.web.guards import county_or_chooser, get_visible, requires
from guidance.web.planning import SessionEditForm

bp = Blueprint("grids", __name__)

# A block's status tag: the words carry the meaning, the colour only repeats it.
GRID_STATUS = {
    "draft": (_l("Draft"), "grey"),
    "booked": (_l("Booked"), "green"),
    "interpreter_asked": (_l("Interpreter asked"), "yellow"),
    "interpreter_missing": (_l("No interpreter yet"), "red"),
    "held": (_l("Held"), "blue"),
    "not_held": (_l("Not held: nobody came"), "orange"),
    "cancelled": (_l("Cancelled"), "grey"),
    "replaced": (_l("Replaced by a newer plan"), "grey"),
}

KIND_LABEL = {"counsellor": _l("Counsellors"), "room": _l("Rooms"), "location": _l("Locations")}


def _week_arg(default: dt.date) -> dt.date:
    value = request.args.get("week")
    if not value:
        return default
    monday = week_grid.parse_week(value)
    if monday is None:
        abort(404)
    return monday


def _subject(options, monday: dt.date, county_id: int, run_id: int | None) -> week_grid.Choice:
    """The counsellor, room or location asked for (another county's answers 404); by default, for the
    published plan the location with most sessions that week (the centre's week, not an arbitrary
    counsellor's), for a run the first counsellor with a session that week, or the first counsellor."""
    key = request.args.get("of")
    if key:
        chosen = week_grid.find_choice(options, key)
        if chosen is None:
            abort(404)
        return chosen
    if run_id is None:
        busiest = week_grid.busiest_location(monday, county_id=county_id)
        chosen = next((option for option in options["location"] if option.id == busiest), None)
        if chosen is not None:
            return chosen
    busy = week_grid.busy_counsellors(monday, county_id=county_id, run_id=run_id)
    for option in options["counsellor"]:
        if option.id in busy:
            return option
    if options["counsellor"]:
        return options["counsellor"][0]
    if options["location"]:
        return options["location"][0]
    abort(404)


def _names(options) -> dict[int, str]:
    return {c.id: c.name for c in options["counsellor"]}


def _render(grid, *, options, run=None, county=None, endpoint: str, url_args: dict, table_url: str | None,
            links: str, day_url: str | None = None):
    """`table_url`: the same sessions as a table elsewhere; None: this page lists them with ?layout=table.
    The published plan seen by its lead (`links` "lead", no `run`) offers to move or cancel a booked session
    ahead from its block."""
    layout = "table" if request.args.get("layout") == "table" else "grid"
    if table_url is None:
        table_url = url_for(endpoint, **url_args, week=week_grid.week_key(grid.monday), of=grid.subject.key,
                            layout="table")
    grid_url = url_for(endpoint, **url_args, week=week_grid.week_key(grid.monday), of=grid.subject.key)
    previous = grid.monday - dt.timedelta(days=7)
    following = grid.monday + dt.timedelta(days=7)
    return render_template(
        "grids/week.html", grid=grid, options=options, run=run, county=county, kind_label=KIND_LABEL,
        statuses=GRID_STATUS, table_url=table_url, grid_url=grid_url, layout=layout, session_url=session_url, links=links, week_key=week_grid.week_key,
        previous_url=url_for(endpoint, **url_args, week=week_grid.week_key(previous), of=grid.subject.key),
        next_url=url_for(endpoint, **url_args, week=week_grid.week_key(following), of=grid.subject.key),
        this_week_url=url_for(endpoint, **url_args, of=grid.subject.key),
        # The week the view opens on is the one shown: marked, not a link ("The coming week" beside "Next
        # week" read as two ways to the same week).
        showing_opening_week=grid.monday == opening_monday(clock.today()),
        form_action=url_for(endpoint, **url_args), last_day=grid.monday + dt.timedelta(days=6),
        actions=links == "lead" and run is None, day_url=day_url,
        now=clock.now())


@bp.get("/grids/")
@requires("grids")
def published():
    """The published plan's week of one counsellor, room or location of the county."""
    county, chooser = county_or_chooser(_("Week plan"))
    if chooser is not None:
        return chooser
    options = week_grid.choices(county.id)
    monday = _week_arg(opening_monday(local_today()))
    subject = _subject(options, monday, county.id, None)
    grid = week_grid.week(subject, monday, county_id=county.id, counsellor_names=_names(options))
    url_args = {"county": county.number} if current_user.county_id is None else {}
    today = local_today()
    first_day = today if monday <= today < monday + dt.timedelta(days=7) else monday
    return _render(grid, options=options, county=county, endpoint="grids.published", url_args=url_args,
                   table_url=None, links="lead" if current_user.role is Role.LEAD else "none",
                   day_url=url_for("grids.day", **url_args, date=first_day.isoformat()))


@bp.get("/grids/day")
@requires("grids")
def day():
    """The published plan's sessions of one day at every location of the county, with what to act on."""
    county, chooser = county_or_chooser(_("Day plan"))
    if chooser is not None:
        return chooser
    today = local_today()
    date = today
    if request.args.get("date"):
        try:
            date = dt.date.fromisoformat(request.args["date"])
        except ValueError:
            date = None
        if date is None or not dt.date(2000, 1, 1) <= date <= dt.date(2199, 12, 31):
            # A date typed into the address: said, and today shown ("page not found" read as a broken link).
            flash(_("%(date)s is not a date the day plan can show. Here is today.",
                    date=request.args["date"][:20]), "warning")
            return redirect(url_for("grids.day", **({"county": county.number} if current_user.county_id is None else {})))
    only_problems = request.args.get("show") == "to_act_on"
    url_args = {"county": county.number} if current_user.county_id is None else {}
    plan = county_day.day(county.id, date)
    actions = current_user.role is Role.LEAD
    # The colleagues free at the same time, for the sessions whose counsellor is away (the absence
    # page's one-click handover): reading the published plan once costs a second, so only then.
    away = [s.session for s in plan.sessions if s.changeable and "counsellor_away" in s.problems]
    colleagues = plan_edits.colleagues_for(away) if actions and away else {}
    return render_template(
        "grids/day.html", plan=plan, county=county, today=today, only_problems=only_problems,
        statuses=GRID_STATUS, actions=actions, url_args=url_args, colleagues=colleagues,
        edit_form=SessionEditForm(),
        closed=opening.closed_on(county, date),
        moved_away=to_tell.moved_away_from(county.id, date),
        # Participants the lead still tells of a change (the home's list): "nothing to act on" read as if none.
        untold=len(to_tell.waiting(county.id)) if actions else 0,
        previous_url=url_for("grids.day", **url_args, date=opening.open_day_after(county, date, -1).isoformat()),
        next_url=url_for("grids.day", **url_args, date=opening.open_day_after(county, date).isoformat()),
        week_url=url_for("grids.published", **url_args,
                         week=week_grid.week_key(date - dt.timedelta(days=date.weekday()))))


@bp.get("/planning/runs/<int:run_id>/week")
@requires("planning")
def run(run_id: int):
    """A planning run's week grid (the review's "Week" view beside its table of sessions)."""
    planning_run = get_visible(PlanningRun, run_id)
    if planning_run.status is not RunStatus.SUCCEEDED:
        abort(404)
    options = week_grid.choices(planning_run.county_id)
    weeks = review.weeks_of(planning_run)
    monday = _week_arg(first_week_ahead(weeks, local_today()) or opening_monday(local_today()))
    subject = _subject(options, monday, planning_run.county_id, planning_run.id)
    grid = week_grid.week(subject, monday, county_id=planning_run.county_id, run_id=planning_run.id,
                          counsellor_names=_names(options))
    table_args = {"week": monday.isoformat()}
    if subject.kind in ("counsellor", "location"):
        table_args[subject.kind] = subject.id
    return _render(grid, options=options, run=planning_run, endpoint="grids.run", url_args={"run_id": run_id},
                   table_url=url_for("planning.sessions", run_id=run_id, **table_args), links="lead")


@bp.get("/week/grid")
@requires("week")
def mine():
    """The counsellor's own week as a grid (the published plan)."""
    profile = current_user.counsellor
    if profile is None:
        abort(404)
    monday = _week_arg(opening_monday(local_today()))
    subject = week_grid.Choice("counsellor", profile.id, current_user.name)
    grid = week_grid.week(subject, monday, county_id=None, counsellor_names={profile.id: current_user.name},
                          closures_of=current_user.county_id)
    year, number, _day = monday.isocalendar()
    return _render(grid, options=None, endpoint="grids.mine", url_args={},
                   table_url=url_for("counsellor.week_of", year=year, week=number), links="counsellor")


def session_url(session: Session, links: str) -> str | None:
    if links == "counsellor":
        return url_for("counsellor.session", session_id=session.id)
    return None
