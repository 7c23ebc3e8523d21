"""Travel time between places: the one formula everything calls (PROBLEM.md "Travel")."""

from __future__ import annotations

import math
from typing import Any

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """Great-circle distance in km on a sphere of radius 6371 km."""
    phi_a, phi_b = math.radians(lat_a), math.radians(lat_b)
    d_phi = phi_b - phi_a
    d_lambda = math.radians(lon_b - lon_a)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _coords(place: Any) -> tuple[Any, float, float]:
    """(id or None, lat, lon) of a Place-like object, a dict or a (lat, lon) pair."""
    if isinstance(place, (tuple, list)):
        return None, float(place[0]), float(place[1])
    if isinstance(place, dict):
        return place.get("id"), float(place["lat"]), float(place["lon"])
    return getattr(place, "id", None), float(place.lat), float(place.lon)


def travel_minutes(place_a: Any, place_b: Any, road_factor: float, speed_kmh: float) -> int:
    """Minutes between two places = ceil(haversine_km * road_factor / speed_kmh * 60); 0 for the same place.

    Places may be formats.Place objects, dicts with lat/lon, or (lat, lon) pairs.
    """
    id_a, lat_a, lon_a = _coords(place_a)
    id_b, lat_b, lon_b = _coords(place_b)
    if (id_a is not None and id_a == id_b) or (lat_a == lat_b and lon_a == lon_b):
        return 0
    km = haversine_km(lat_a, lon_a, lat_b, lon_b)
    return math.ceil(km * road_factor / speed_kmh * 60)


def known_minutes(overrides) -> dict[tuple[str, str], int]:
    """The instance's known travel times (``travel.overrides``: [place, place, minutes]) by sorted place pair."""
    return {(a, b) if a <= b else (b, a): int(minutes) for a, b, minutes in overrides or ()}


class TravelTable:
    """Memoised travel_minutes between place ids of one instance; a known travel time (a ferry the straight
    line does not see, solver/README.md) replaces the formula for its pair."""

    def __init__(self, instance: Any):
        self._places = {p.id: p for p in instance.places}
        self._road_factor = instance.travel.road_factor
        self._speed_kmh = instance.travel.speed_kmh
        self._cache: dict[tuple[str, str], int] = known_minutes(instance.travel.overrides)

    def minutes(self, place_a: str, place_b: str) -> int:
        """Travel minutes between two place ids (symmetric)."""
        key = (place_a, place_b) if place_a <= place_b else (place_b, place_a)
        value = self._cache.get(key)
        if value is None:
            value = travel_minutes(self._places[key[0]], self._places[key[1]],
                                   self._road_factor, self._speed_kmh)
            self._cache[key] = value
        return value
