"""Counties and municipalities from the shipped reference data (2024 structure)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from guidance.extensions import db
from guidance.models import County, Municipality
from guidance.reference_file import MUNICIPALITIES_CSV, read_municipalities
from guidance.rules.language import COUNTY_DEFAULTS, MUNICIPALITY_DEFAULTS, NEUTRAL

__all__ = ["MUNICIPALITIES_CSV", "read_municipalities", "load_reference_data"]


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
