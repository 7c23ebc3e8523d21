"""The shipped reference data's file (Norway's counties and municipalities, 2024 structure), read without the app:
the services load it into the database (services.reference_data), and the sign-in set-up checks its role map's
numbers against it when the configuration is read (oidc), below every layer."""
from __future__ import annotations

import csv
from pathlib import Path

MUNICIPALITIES_CSV = Path(__file__).resolve().parent.parent / "solver" / "data" / "municipalities.csv"


def read_municipalities(path: Path = MUNICIPALITIES_CSV) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
