"""The county workbook (issue 21): download the county as one spreadsheet, a template, and upload one
back (all rows or none). For the county's lead and administrators, from the centre set-up page."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import format_date, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FileField

from guidance.clock import today
from guidance.extensions import db
from guidance.models import County
from guidance.services import mail
from guidance.services import workbook as service
from guidance.web.guards import get_visible, requires

bp = Blueprint("workbook", __name__, url_prefix="/setup")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField(_l("Workbook (.xlsx), CSV file or zip of CSV files"))


@bp.route("/counties/<int:county_id>/workbook", methods=["GET", "POST"])
@requires("setup")
def page(county_id: int):
    county = get_visible(County, county_id)
    form = UploadForm()
    if request.method == "GET":
        return _page(county, form)
    upload = request.files.get(form.file.name)
    if not form.validate_on_submit() or upload is None or not upload.filename:
        form.file.errors = [_("Choose a file to upload.")]
        return _page(county, form, status=400)
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    try:
        if len(raw) > MAX_UPLOAD_BYTES:
            raise service.WorkbookRejected([service.Problem("", 1, "", _("The file is larger than 5 MB."))])
        result = service.import_workbook(current_user, county, service.read_upload(raw, upload.filename))
    except service.WorkbookRejected as error:
        db.session.rollback()
        return _page(county, form, problems=error.problems, status=400)
    flash(_("The workbook was imported. New entries: %(created)d; changed: %(updated)d.",
            created=sum(result.created.values()), updated=sum(result.updated.values())), "success")
    if result.closure_days_removed:
        flash(ngettext("The closure days are now the workbook's: %(days)s is no longer a closure day.",
                       "The closure days are now the workbook's: %(days)s are no longer closure days.",
                       len(result.closure_days_removed),
                       days=", ".join(format_date(dt.date.fromisoformat(d))
                                      for d in result.closure_days_removed)), "info")
    if result.known_travel_removed:
        flash(ngettext("The known travel times are now the workbook's: %(journeys)s is no longer among them.",
                       "The known travel times are now the workbook's: %(journeys)s are no longer among them.",
                       len(result.known_travel_removed), journeys=", ".join(result.known_travel_removed)), "info")
    if result.invited and mail.leaves():
        flash(ngettext("%(num)d new person was e-mailed an invitation to choose a password or log in.",
                       "%(num)d new people were e-mailed an invitation to choose a password or log in.",
                       result.invited), "info")
    elif result.invited:
        flash(ngettext("%(num)d new person has an invitation waiting, but no e-mail leaves Veiled yet (no mail server "
                       "is set up). The administrator can show each link on the person's user page.",
                       "%(num)d new people have an invitation waiting, but no e-mail leaves Veiled yet (no mail server "
                       "is set up). The administrator can show each link on the person's user page.",
                       result.invited), "info")
    return redirect(url_for("setup.county", county_id=county.id))


def _page(county: County, form: UploadForm, problems=None, status: int = 200):
    return render_template("setup/workbook.html", county=county, form=form, problems=problems,
                           sheets=service.COLUMNS), status


@bp.get("/counties/<int:county_id>/workbook/export.xlsx")
@requires("setup")
def export(county_id: int):
    county = get_visible(County, county_id)
    content = service.export_xlsx(current_user, county)
    name = f"county-{county.number}-{today().isoformat()}.xlsx"
    return Response(content, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "no-store"})


@bp.get("/counties/<int:county_id>/workbook/template.xlsx")
@requires("setup")
def template(county_id: int):
    county = get_visible(County, county_id)
    return Response(service.template_xlsx(county), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="county-{county.number}-template.xlsx"'})
