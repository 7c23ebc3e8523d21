"""`flask` commands: reference data, demo data."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from guidance.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(load_reference_data_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(anonymise_command)
    app.cli.add_command(expire_bookings_command)


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
    lines = [f"Demo data for {result.county.name}: {result.referrals} referrals.", "Demo users (e-mail / password):"]
    lines += [f"  {role:<12} {email} / {password}" for role, (email, password) in result.credentials.items()]
    text = "\n".join(lines) + "\n"
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text(text)
    credentials_file.chmod(0o600)
    click.echo(text)


@click.command("anonymise")
@click.option("--months", type=click.IntRange(min=1), required=True,
              help="Anonymise participants whose referrals all closed more than this many months ago.")
def anonymise_command(months: int):
    """Retention: anonymise participants of long-closed referrals and delete their attachments."""
    from guidance.services.retention import anonymise

    result = anonymise(months)
    click.echo(f"{result.participants} participants anonymised ({result.referrals} referrals kept for statistics), "
               f"{result.attachments} attachments deleted.")


@click.command("expire-bookings")
def expire_bookings_command():
    """Expire interpreter requests nobody answered in time (run every few minutes, e.g. from cron)."""
    from guidance.services.bookings import expire_overdue

    expired = expire_overdue()
    click.echo(f"{len(expired)} booking request(s) expired.")
