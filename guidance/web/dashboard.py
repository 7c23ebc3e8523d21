"""The lead's dashboard: referral statistics, deadline compliance, at-risk list, interpreter
cost against budget, counsellor load; charts as accessible SVG with the numbers beside, CSV export."""
from __future__ import annotations

import datetime as dt

from babel import numbers
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Regexp

from guidance.labels import money
from guidance.planning.ids import local_today
from guidance.services import queue, setup, sheets, statistics
from guidance.web.charts import bar_chart
from guidance.web.forms import WholeKronerField
from guidance.web.guards import requires

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


class BudgetForm(FlaskForm):
    month = StringField(_l("Month"), validators=[DataRequired(_l("Enter the month.")),
                                                 Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Enter the month as YYYY-MM, for example 2027-03."))])
    amount = WholeKronerField(_l("Interpreter budget (NOK)"), validators=[
        InputRequired(_l("Enter the budget in NOK.")),
        NumberRange(min=0, max=100_000_000, message=_l("Enter an amount of 0 NOK or more."))])


def _choices():
    dimension = request.args.get("dimension", "municipality")
    granularity = request.args.get("period", "month")
    return (dimension if dimension in statistics.DIMENSIONS else "municipality",
            granularity if granularity in ("month", "quarter") else "month")


def _figures():
    today = local_today()
    dimension, granularity = _choices()
    facts = statistics.referral_facts(current_user.county_id, today)
    rows = statistics.referral_counts(facts, dimension, granularity)
    return {
        "today": today, "dimension": dimension, "granularity": granularity, "rows": rows,
        "totals": statistics.period_totals(rows),
        "compliance": statistics.deadline_compliance(facts, today),
        "waiting": statistics.waiting_time(facts, today),
        "at_risk": statistics.at_risk(facts, today, queue.closure_days_of(current_user)),
        "interpreters": statistics.interpreter_months(current_user.county_id),
        "load": statistics.counsellor_load(current_user.county_id),
        "attendance": statistics.attendance(current_user.county_id),
        "idle": statistics.idle_counsellors(current_user.county_id),
    }


def _group_label(dimension: str, value: str) -> str:
    from guidance.labels import LEGAL_BASIS, LanguageNames

    if dimension == "language":
        return LanguageNames().get(value, value)
    if dimension == "legal_basis":
        return str(LEGAL_BASIS.get(value, value))
    return value


def period_label(period: str, full: bool = False) -> str:
    """A period as people say it, in the page's language: "jan. 2027" for 2027-01 and "K1 2027" for 2027-Q1
    on a chart's axis; with ``full`` (tables), "januar 2027" and "1. kvartal 2027"."""
    from babel.dates import format_skeleton
    from flask_babel import format_date, get_locale

    try:
        year, _sep, part = period.partition("-")
        if part.startswith("Q"):
            return format_date(dt.date(int(year), 3 * int(part[1:]) - 2, 1), "QQQQ y" if full else "QQQ y")
        return format_skeleton("yMMMM" if full else "yMMM", dt.date(int(year), int(part), 1), locale=get_locale())
    except (ValueError, TypeError):
        return period


@bp.get("/")
@requires("dashboard")
def index():
    # This month's budget as it stands, to change (the field was empty and read as "no budget yet").
    this_month = local_today()
    amount = statistics.budget_of(current_user.county_id, this_month) if current_user.county_id else None
    return _page(BudgetForm(month=this_month.strftime("%Y-%m"), amount=round(amount) if amount is not None else None))


def _page(form: BudgetForm, status: int = 200):
    figures = _figures()
    totals = figures["totals"]
    referral_chart = bar_chart(
        "referrals-chart", _("Referrals per period"),
        _("Bars per period: received, booked and completed referrals. The numbers are in the table beside."),
        [period_label(t["period"]) for t in totals],
        [(_("Received"), [t["received"] for t in totals]), (_("Booked"), [t["booked"] for t in totals]),
         (_("Completed"), [t["completed"] for t in totals])], y_label=_("Referrals"))
    months = figures["interpreters"]
    cost_chart = bar_chart(
        "interpreter-chart", _("Interpreter cost and budget per month (NOK)"),
        _("Bars per month: booked interpreter cost; a dashed line across a month marks its budget. The numbers are in "
          "the table beside."),
        [period_label(m["month"]) for m in months],
        [(_("Cost"), [m["cost_nok"] for m in months])], y_label="NOK",
        target=(_("Budget"), [m["budget_nok"] for m in months]))
    return render_template("dashboard/index.html", form=form, referral_chart=referral_chart, cost_chart=cost_chart,
                           group_label=_group_label, period=lambda value: period_label(value, full=True),
                           grouped="dimension" in request.args, **figures), status


def warn_if_over(county_id: int, month: dt.date) -> None:
    """After a month's budget is saved: say so when what is booked for it is already more (the save said only
    "saved", and the lead learnt it on the home page later)."""
    over = statistics.over_budget(county_id, month)
    if over is not None:
        cost, budget = over
        name = format_date(month, "LLLL y")
        flash(_("%(month)s already has %(cost)s of interpreters booked, more than this budget of %(budget)s. Publishing a "
                "plan asks before it adds more.", month=name[:1].upper() + name[1:], cost=money(round(cost * 100)),
                budget=money(round(budget * 100))), "warning")


@bp.post("/budget")
@requires("dashboard")
def budget():
    form = BudgetForm()
    if form.validate_on_submit():
        month = dt.date.fromisoformat(form.month.data + "-01")
        if problem := setup.budget_month_problem(month):
            form.month.errors = [problem]
            return _page(form, 400)
        statistics.set_budget(current_user, month, float(form.amount.data))
        flash(_("The budget for %(month)s is saved.", month=format_date(month, "LLLL y")), "success")
        warn_if_over(current_user.county_id, month)
        return redirect(url_for("dashboard.index"))
    return _page(form, 400)


# The column a CSV of referral figures names its group by, as the page's "Group by" list names it.
_DIMENSIONS = {"municipality": _l("Municipality"), "language": _l("Language"), "legal_basis": _l("Legal basis")}


@bp.get("/export.csv")
@requires("dashboard")
def export():
    """The dashboard's tables as CSV (references only, no names)."""
    table = request.args.get("table", "referrals")
    figures = _figures()
    # "12,5" whatever the page's language: the file is opened by a Norwegian Excel (semicolons), which
    # read the English page's "254.5" as a date or text.
    decimal = lambda value: numbers.format_decimal(value or 0, "0.##", locale="nb")   # noqa: E731
    if table == "interpreters":
        header = [_("Month"), _("Hours of interpreting"), _("Cost (NOK)"), _("Budget (NOK)")]
        rows = [[m["month"], decimal(m["hours"]), decimal(m["cost_nok"]), decimal(m["budget_nok"]) if m["budget_nok"]
                 is not None else ""] for m in figures["interpreters"]]
    elif table == "load":
        header = [_("Counsellor"), _("Month"), _("Guidance sessions")]
        rows = [[r["counsellor"], r["month"], r["sessions"]] for r in figures["load"]]
    elif table == "attendance":
        header = [_("Month"), _("Came"), _("Did not come"), _("Cancelled late"), _("Outcome not recorded yet")]
        rows = [[r["month"], r["attended"], r["no_show"], r["cancelled_late"], r["awaiting"]]
                for r in figures["attendance"]]
    elif table == "late":
        header = [_("Reference"), _("Municipality"), _("Deadline"), _("First session held"), _("Days late"),
                  _("First session booked for"), _("Outcome recorded")]
        rows = [[r["referral"].reference, r["referral"].municipality_name, r["deadline"], r["first_held"] or "",
                 "" if r["days_late"] is None else r["days_late"], r["booked_for"] or "",
                 (_("No") if r["awaiting_outcome"] else _("Yes")) if r["first_held"] else ""]
                for r in figures["compliance"]["late"]]
    elif table == "at_risk":
        header = [_("Reference"), _("Municipality"), _("Deadline"), _("Working days left"), _("First session")]
        rows = [[r["referral"].reference, r["referral"].municipality_name, r["deadline"],
                 _("passed") if r["working_days_left"] < 0 else r["working_days_left"], r["first_session"] or ""]
                for r in figures["at_risk"]]
    else:
        table = "referrals"
        header = [_("Period"), _DIMENSIONS.get(figures["dimension"], _("Group")), _("Received"), _("Booked"), _("Completed")]
        # The group as the page names it (Arabisk, Integreringsloven), as the queue's export does.
        rows = [[r["period"], _group_label(figures["dimension"], r["group"]), r["received"], r["booked"], r["completed"]]
                for r in figures["rows"]]
    # Semicolons and a BOM: a Norwegian Excel opened the comma file as one column (the review).
    # Named in the page's language, with the day (plain letters: a header's file name is ASCII).
    name = f"{_FILE_NAMES[table]}-{figures['today'].isoformat()}.csv"
    return Response(sheets.csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


_FILE_NAMES = {"referrals": _l("referrals"), "interpreters": _l("interpreter-cost"), "load": _l("counsellor-sessions"),
               "late": _l("after-the-deadline"), "at_risk": _l("deadlines-at-risk"), "attendance": _l("attendance")}
