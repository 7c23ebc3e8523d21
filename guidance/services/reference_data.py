"""Counties and municipalities from the shipped reference data (2024 structure)."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from guidance.config import ROOT
from guidance.extensions import db
from guidance.models import County, Municipality
from guidance.rules.language import COUNTY_DEFAULTS, MUNICIPALITY_DEFAULTS, NEUTRAL

MUNICIPALITIES_CSV = ROOT / "solver" / "data" / "municipalities.csv"


def read_municipalities(path: Path = MUNICIPALITIES_CSV) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_reference_data(path: Path = MUNICIPALITIES_CSV) -> tuple[int, int]:
    """Insert or update all counties and municipalities; idempotent. Returns (counties, municipalities).

    Language forms are set only on rows it creates: an admin's later choice is kept."""
    rows = read_municipalities(path)
    counties = {c.number: c for c in db.session.scalars(select(County))}
    municipalities = {m.number: m for m in db.session.scalars(select(Municipality))}
    for row in rows:
        county = counties.get(row["county_number"])
        if county is None:
            county = counties[row["county_number"]] = County(number=row["county_number"], name=row["county_name"],
                                                                 language_form=COUNTY_DEFAULTS.get(row["county_number"], "nb"))
            db.session.add(county)
        county.name = row["county_name"]
        municipality = municipalities.get(row["kommunenummer"])
        if municipality is None:
            municipality = municipalities[row["kommunenummer"]] = Municipality(
                number=row["kommunenummer"], county=county,
                language_form=MUNICIPALITY_DEFAULTS.get(row["kommunenummer"], NEUTRAL))
            db.session.add(municipality)
        municipality.name = row["name"]
        municipality.county = county
        municipality.lat = float(row["lat"])
        municipality.lon = float(row["lon"])
        municipality.population = int(row["population"])
    db.session.commit()
    return len(counties), len(municipalities)
