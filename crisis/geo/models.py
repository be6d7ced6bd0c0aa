"""The embedded address table: an OpenAddresses-style extract, searched by number and street prefix.

Addresses are places, not person data: reading them is not audited. Rows are written only by
`crisis.geo.services.addresses_load` (the `load_addresses` command).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import models

# Whole words an address is written with either way ("West Lake Street" == "W Lake St"). Folded on both sides
# (stored key and query), so a dispatcher may type either.
ABBREVIATIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "drive": "dr",
    "road": "rd",
    "place": "pl",
    "court": "ct",
    "lane": "ln",
    "parkway": "pkwy",
    "terrace": "ter",
    "square": "sq",
    "highway": "hwy",
}


def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, common words abbreviated: the key prefix search runs on.

    A word still being typed stays as typed ("1200 w lak" is a prefix of "1200 w lake st"); it is abbreviated
    only once it is a whole word of the table ("street", "west").
    """
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(ABBREVIATIONS.get(w, w) for w in re.sub(r"[^a-z0-9]+", " ", text).split())


class Address(models.Model):
    number = models.CharField(max_length=20)
    street = models.CharField(max_length=120)
    unit = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=80, blank=True)
    district = models.CharField(max_length=80, blank=True)
    region = models.CharField(max_length=40, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    # OpenAddresses' ID (often empty) and HASH (a digest of the row); the hash makes a reload skip what it has.
    source_id = models.CharField(max_length=64, blank=True)
    source_hash = models.CharField(max_length=64, unique=True)
    # fold("number street unit"): typed "1200 w lake" is a prefix of it. Street first for "lake st" alone.
    key = models.CharField(max_length=255)
    street_key = models.CharField(max_length=160)

    class Meta:
        indexes = [
            # On PostgreSQL a pattern-ops B-tree serves `LIKE 'prefix%'` whatever the database collation; on
            # SQLite the opclass is ignored and the lookup uses a byte range instead (crisis/geo/geocoder.py).
            models.Index(fields=["key"], name="geo_address_key_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["street_key"], name="geo_address_street_prefix", opclasses=["varchar_pattern_ops"]),
            # Reverse geocoding: a latitude band first, the longitude filtered in it.
            models.Index(fields=["latitude", "longitude"], name="geo_address_position"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def line(self) -> str:
        return " ".join(p for p in (self.number, self.street, f"#{self.unit}" if self.unit else "") if p)

    @property
    def label(self) -> str:
        place = " ".join(p for p in (self.region, self.postcode) if p)
        return ", ".join(p for p in (self.line, self.city or self.district, place) if p)
