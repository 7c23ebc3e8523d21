"""`flask` commands: reference data, demo data."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from guidance.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(load_reference_data_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_code_command)
    app.cli.add_command(anonymise_command)
    app.cli.add_command(expire_bookings_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(send_digests_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(api_token_group)
    app.cli.add_command(county_group)


BAD_INPUT = 2  # the exit code for refused input (like click's usage errors); nothing is written


def _refuse(message: str):
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(BAD_INPUT)


@click.command("load-reference-data")
def load_reference_data_command():
    """Load or update Norway's counties and municipalities (2024 structure)."""
    from guidance.services.reference_data import load_reference_data

    counties, municipalities = load_reference_data()
    click.echo(f"{counties} counties and {municipalities} municipalities loaded.")


@click.command("seed-demo")
@click.option("--county", default="46", show_default=True, help="County number, e.g. 46 Vestland, 18 Nordland.")
@click.option("--referrals", default=200, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data already exists.")
def seed_demo_command(county: str, referrals: int, if_empty: bool):
    """Build a realistic demo county with one user per role, and print their credentials."""
    from sqlalchemy import select

    from guidance.models import User
    from guidance.services.demo import seed_demo

    credentials_file = Path(current_app.instance_path) / "demo-credentials.txt"
    if if_empty and db.session.scalar(select(User).limit(1)) is not None:
        if credentials_file.exists():
            click.echo(credentials_file.read_text())
        return
    try:
        result = seed_demo(county_number=county, referrals=referrals)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    from guidance.services import demo_quarter
    from guidance.services.errors import DomainError

    lines = [f"Demo data for {result.county.name}: {result.referrals} referrals."]
    try:
        quarter = demo_quarter.build(result.county)  # plans published weeks ago and last week, sessions held since
    except (RuntimeError, ValueError, DomainError) as error:  # the county is usable without its past quarter
        db.session.rollback()
        lines.append(f"No quarter in progress: {getattr(error, 'message', error)}")
    else:
        lines.append(f"A quarter in progress: {quarter.sessions} sessions published, {quarter.held} held.")
        if quarter.busiest_counsellor_email:  # a counsellor whose week and home have sessions on them
            result.credentials["counsellor"] = (quarter.busiest_counsellor_email, result.credentials["counsellor"][1])
        if quarter.busiest_interpreter_email:
            result.credentials["interpreter"] = (quarter.busiest_interpreter_email, result.credentials["interpreter"][1])
    lines.append("Demo users (e-mail / password):")
    lines += [f"  {role:<12} {email} / {password}" for role, (email, password) in result.credentials.items()]
    lines += ["The lead and the administrator also enter a code from an authenticator app: add these to the app,",
              "or print the current code with `flask demo-code EMAIL`:"]
    lines += [f"  {role:<12} {uri}" for role, uri in result.second_factor.items()]
    lines.append("Their recovery codes (each works once, instead of a code from the app):")
    lines += [f"  {role:<12} {' '.join(codes)}" for role, codes in result.recovery_codes.items()]
    text = "\n".join(lines) + "\n"
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text(text)
    credentials_file.chmod(0o600)
    click.echo(text)


@click.command("demo-code")
@click.argument("email")
def demo_code_command(email: str):
    """Print the current second-factor code of a demo user (addresses ending in .demo.no only)."""
    from guidance.services import second_factor
    from guidance.services.accounts import find_by_email

    user = find_by_email(email)
    if user is None or not user.email.endswith(".demo.no"):
        raise click.ClickException("no demo user with this e-mail address")
    code = second_factor.current_code(user)
    if code is None:
        raise click.ClickException("this demo user has no second factor")
    click.echo(code)


SHORTEST_RETENTION_MONTHS = 12   # below it a typo ("--months 1" for 12) anonymised a year of cases: --force


@click.command("anonymise")
@click.option("--months", type=click.IntRange(min=1), required=True,
              help="Anonymise participants whose referrals all closed more than this many months ago.")
@click.option("--dry-run", is_flag=True, help="Only count who would be anonymised; nothing is changed.")
@click.option("--force", is_flag=True, help=f"Allow a period shorter than {SHORTEST_RETENTION_MONTHS} months.")
def anonymise_command(months: int, dry_run: bool, force: bool):
    """Retention: anonymise participants of long-closed referrals and delete their attachments."""
    import datetime as dt

    from guidance.services.retention import anonymise, due_participants

    if months < SHORTEST_RETENTION_MONTHS and not force and not dry_run:
        _refuse(f"--months {months} is shorter than {SHORTEST_RETENTION_MONTHS}: anonymising cannot be undone. "
                f"Check the county's retention period; add --force if {months} is right, or --dry-run to count first.")
    if dry_run:
        due = due_participants(months, dt.datetime.now(dt.timezone.utc))
        click.echo(f"{len(due)} participants would be anonymised (referrals all closed more than {months} months "
                   "ago). Nothing was changed.")
        return
    result = anonymise(months)
    click.echo(f"{result.participants} participants anonymised ({result.referrals} referrals kept for statistics), "
               f"{result.attachments} attachments deleted.")


@click.command("expire-bookings")
def expire_bookings_command():
    """Expire interpreter requests nobody answered in time (run every few minutes, e.g. from cron)."""
    from guidance.services.interpreter_bookings.state import expire_overdue

    expired = expire_overdue()
    click.echo(f"{len(expired)} booking request(s) expired.")


@click.command("send-reminders")
def send_reminders_command():
    """Queue today's reminders (run once a day from cron, e.g. 07:00; running it twice sends nothing twice)."""
    from guidance import jobs

    jobs.enqueue_reminders()
    click.echo("Reminders queued.")


@click.command("send-digests")
def send_digests_command():
    """Queue the daily summaries of notices (run once a day from cron, e.g. 16:00)."""
    from guidance import jobs

    jobs.enqueue_digests()
    click.echo("Daily summaries queued.")


@click.command("create-admin")
@click.option("--email", required=True, help="The administrator's e-mail address (their sign-in).")
@click.option("--name", default="Administrator", show_default=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of printing a generated one-time password.")
def create_admin_command(email: str, name: str, password_stdin: bool):
    """Create an administrator (for the first sign-in of a new installation)."""
    import secrets

    from email_validator import EmailNotValidError, validate_email

    from guidance.models import Role
    from guidance.services import accounts
    from guidance.services.errors import DomainError

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        _refuse(f"{email!r} is not a valid e-mail address.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 12:
            _refuse("The password must be at least 12 characters.")
    else:
        password = secrets.token_urlsafe(15)
    try:
        # The printed one-time password is replaced at the first login; one typed on standard input is the admin's own.
        accounts.create_user(None, email=email, name=name, password=password, role=Role.ADMIN,
                             temporary=not password_stdin)
    except DomainError as error:
        db.session.rollback()
        _refuse("; ".join(m for messages in error.field_errors.values() for m in messages) or error.message)
    if password_stdin:
        click.echo(f"Administrator {email.strip().lower()} created.")
    else:
        click.echo(f"Administrator {email.strip().lower()} created. One-time password (shown once, change it):")
        click.echo(password)


@click.group("api-token")
def api_token_group():
    """Bearer tokens for municipal case systems."""


@api_token_group.command("create")
@click.option("--municipality", "municipality_number", required=True, help="Municipality number, e.g. 4601 (Bergen).")
@click.option("--name", required=True, help="The system that will use the token, like the case system's name.")
def api_token_create_command(municipality_number: str, name: str):
    """Create a token for one municipality and print it once (only its hash is kept)."""
    from sqlalchemy import select

    from guidance.models import Municipality
    from guidance.services import api_tokens
    from guidance.services.errors import DomainError

    place = db.session.scalar(select(Municipality).where(Municipality.number == municipality_number.strip()))
    if place is None:
        _refuse(f"No municipality has the number {municipality_number!r} (load the reference data first?).")
    try:
        _token, plaintext = api_tokens.create_token(None, municipality_id=place.id, name=name)
    except DomainError as error:
        db.session.rollback()
        _refuse("; ".join(m for messages in error.field_errors.values() for m in messages) or error.message)
    click.echo(f"Token for {place.name} ({place.number}), shown once:")
    click.echo(plaintext)


@click.group("county")
def county_group():
    """A county's set-up as one workbook (docs/county-workbook.md)."""


def _county(number: str):
    from sqlalchemy import select

    from guidance.models import County

    county = db.session.scalar(select(County).where(County.number == number.strip().zfill(2)))
    if county is None:
        _refuse(f"No county has the number {number!r} (load the reference data first?).")
    return county


@county_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--county", "county_number", required=True, help="County number, e.g. 46 (Vestland).")
def county_export_command(path: str, county_number: str):
    """Write the county's settings, closure days, locations, rooms, counsellors and interpreters to an .xlsx file."""
    from guidance.services import workbook

    county = _county(county_number)
    Path(path).write_bytes(workbook.export_xlsx(None, county))
    click.echo(f"{county.name} written to {path}.")


@county_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--county", "county_number", required=True, help="County number, e.g. 46 (Vestland).")
def county_import_command(path: str, county_number: str):
    """Import a workbook (.xlsx, a CSV file named after its sheet, or a zip of CSV files): every row or none."""
    from guidance.services import workbook

    county = _county(county_number)
    try:
        result = workbook.import_workbook(None, county, workbook.read_upload(Path(path).read_bytes(), Path(path).name))
    except workbook.WorkbookRejected as error:
        db.session.rollback()
        for p in error.problems:
            place = ", ".join(part for part in (p.sheet, f"row {p.row}", p.column) if part)
            click.echo(f"{place}: {p.message}" + (f" (“{p.value}”)" if p.value else ""), err=True)
        _refuse(f"{len(error.problems)} problem(s); nothing was imported.")
    created = ", ".join(f"{n} {kind}" for kind, n in sorted(result.created.items())) or "nothing"
    updated = ", ".join(f"{n} {kind}" for kind, n in sorted(result.updated.items())) or "nothing"
    click.echo(f"{county.name}: created {created}; changed {updated}; invitations e-mailed to {result.invited} new account(s).")
