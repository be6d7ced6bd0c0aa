"""One small interface for addresses: `geocode(q)` and `reverse(lat, lon)`.

GEOCODER_KIND picks the backend: `local` (the default) searches the embedded address table and works offline;
`nominatim` and `pelias` ask the service at GEOCODER_URL, with GEOCODER_TIMEOUT_SECONDS. A service that does
not answer, answers an error, or answers nonsense raises `GeocoderUnavailable`: the desk says so and the
dispatcher types the address and clicks the map instead. Nothing here writes.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection

from .models import Address, fold

# A reverse lookup names an address only this close to the point; further away the point has no address in words.
REVERSE_MAX_METRES = 1000
MAX_RESULTS = 10


class GeocoderUnavailable(Exception):
    """The configured geocoding service did not give a usable answer."""


@dataclass(frozen=True)
class Place:
    label: str
    latitude: float
    longitude: float
    # Metres from the point asked about (reverse lookups only).
    distance_m: float | None = None
    # Number and street only ("1200 W Lake St"): what a busy screen shows; the label has city and postcode.
    short: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


def _prefix(qs, field: str, prefix: str):
    if connection.vendor == "sqlite":
        # SQLite's LIKE ignores case and so cannot use a plain index; keys hold only [a-z0-9 ], so the byte
        # range [prefix, prefix + "~") is exactly the prefix, and the index serves it.
        return qs.filter(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "~"})
    return qs.filter(**{f"{field}__startswith": prefix})


class LocalGeocoder:
    """The embedded address table (crisis.geo.models.Address), loaded with `manage.py load_addresses`."""

    kind = "local"

    def geocode(self, q: str, *, limit: int = MAX_RESULTS) -> list[Place]:
        key = fold(q)
        if len(key) < 2:
            return []
        # "1200 w lake" starts with the number: the whole key; "lake st" has none: the street.
        field = "key" if key[0].isdigit() else "street_key"
        rows = _prefix(Address.objects.all(), field, key).order_by(field, "id")[:limit]
        return [Place(a.label, a.latitude, a.longitude, short=a.line) for a in rows]

    def reverse(self, latitude: float, longitude: float) -> Place | None:
        dlat = REVERSE_MAX_METRES / 111_000
        dlon = dlat / max(0.2, math.cos(math.radians(latitude)))
        rows = Address.objects.filter(
            latitude__range=(latitude - dlat, latitude + dlat),
            longitude__range=(longitude - dlon, longitude + dlon),
        )[:2000]
        best = min(((distance_m(latitude, longitude, a.latitude, a.longitude), a) for a in rows), default=None,
                   key=lambda pair: pair[0])  # fmt: skip
        if best is None or best[0] > REVERSE_MAX_METRES:
            return None
        metres, a = best
        return Place(a.label, a.latitude, a.longitude, round(metres), short=a.line)


class HttpGeocoder:
    """A Nominatim- or Pelias-style service: JSON over HTTP, with a timeout; never trusted beyond its shape."""

    def __init__(self, kind: str, url: str, timeout: float):
        self.kind, self.url, self.timeout = kind, url.rstrip("/"), timeout

    def _get(self, path: str, params: dict) -> object:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"User-Agent": settings.GEOCODER_USER_AGENT})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (our setting)
                return json.loads(response.read(2_000_000))
        except (OSError, ValueError, urllib.error.URLError) as exc:  # timeouts are OSError
            raise GeocoderUnavailable(f"The address service ({self.kind}) did not answer: {exc}") from exc

    @staticmethod
    def _place(label, lat, lon, origin=None, short="") -> Place | None:
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            return None
        if not (isinstance(label, str) and label and -90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        dist = round(distance_m(origin[0], origin[1], lat, lon)) if origin else None
        short = short if isinstance(short, str) and short else label.split(",")[0]
        return Place(label[:300], lat, lon, dist, short=short[:120])

    def _nominatim(self, items, origin=None) -> list[Place]:
        items = items if isinstance(items, list) else [items]
        places = []
        for i in items:
            if not isinstance(i, dict):
                continue
            parts = i.get("address") if isinstance(i.get("address"), dict) else {}
            short = " ".join(str(parts[k]) for k in ("house_number", "road") if isinstance(parts.get(k), str))
            places.append(self._place(i.get("display_name"), i.get("lat"), i.get("lon"), origin, short))
        return [p for p in places if p]

    def _pelias(self, body, origin=None) -> list[Place]:
        features = body.get("features") if isinstance(body, dict) else None
        out = []
        for f in features if isinstance(features, list) else []:
            try:
                lon, lat = f["geometry"]["coordinates"][:2]
                label = f["properties"]["label"]
                short = f["properties"].get("name", "")
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            place = self._place(label, lat, lon, origin, short)
            if place:
                out.append(place)
        return out

    def geocode(self, q: str, *, limit: int = MAX_RESULTS) -> list[Place]:
        if len(q.strip()) < 2:
            return []
        if self.kind == "pelias":
            return self._pelias(self._get("/v1/autocomplete", {"text": q, "size": limit}))[:limit]
        return self._nominatim(self._get("/search", {"q": q, "format": "jsonv2", "addressdetails": 1, "limit": limit}))[
            :limit
        ]

    def reverse(self, latitude: float, longitude: float) -> Place | None:
        origin = (latitude, longitude)
        if self.kind == "pelias":
            params = {"point.lat": latitude, "point.lon": longitude, "size": 1}
            found = self._pelias(self._get("/v1/reverse", params), origin)
        else:
            body = self._get("/reverse", {"lat": latitude, "lon": longitude, "format": "jsonv2", "addressdetails": 1})
            # Nominatim answers {"error": "Unable to geocode"} for a point with nothing near: no address, not down.
            found = [] if isinstance(body, dict) and "error" in body else self._nominatim(body, origin)
        return found[0] if found else None


def get_geocoder() -> LocalGeocoder | HttpGeocoder:
    if settings.GEOCODER_KIND == "local":
        return LocalGeocoder()
    return HttpGeocoder(settings.GEOCODER_KIND, settings.GEOCODER_URL, settings.GEOCODER_TIMEOUT_SECONDS)


def geocode(q: str, *, limit: int = MAX_RESULTS) -> list[Place]:
    return get_geocoder().geocode(q, limit=limit)


def reverse(latitude: float, longitude: float) -> Place | None:
    return get_geocoder().reverse(latitude, longitude)


def describe(latitude: float | None, longitude: float | None) -> str:
    """A position in words for a screen ("near 1200 W Lake St, Chicago (~40 m)"), or "" when none is known.

    Never raises: a geocoding service that is down leaves the words out, and the screen shows coordinates.
    """
    if latitude is None or longitude is None:
        return ""
    try:
        place = reverse(latitude, longitude)
    except GeocoderUnavailable:
        return ""
    return words(place)


def words(place: Place | None) -> str:
    if place is None:
        return ""
    name = place.short or place.label
    if place.distance_m is None or place.distance_m < 15:
        return name
    return f"near {name} (~{max(10, round(place.distance_m, -1)):.0f} m)"
