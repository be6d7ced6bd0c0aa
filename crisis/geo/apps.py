from django.apps import AppConfig


class GeoConfig(AppConfig):
    """Addresses: the embedded address table and the one geocoder interface (crisis/geo/geocoder.py)."""

    name = "crisis.geo"
    label = "geo"
    verbose_name = "Addresses (geocoding)"
