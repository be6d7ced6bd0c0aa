"""GET /api/geocode/?q= and /api/geocode/reverse/?lat=&lon=: thin edges over crisis/geo/geocoder.py.

Not audited: an address table holds places, not people, and the query is not stored.
"""

from __future__ import annotations

import math

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import permissions
from ..api import require_rule
from . import geocoder

UNAVAILABLE = "Address search is not answering. Type the address as told, and click the map to set the position."


class PlaceSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The address in full: number, street, city, postcode.")
    short = serializers.CharField(help_text="Number and street only, for a busy screen.")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    distance_m = serializers.IntegerField(
        allow_null=True, help_text="Metres from the point asked about (reverse lookups only)."
    )


class SearchAnswer(serializers.Serializer):
    results = PlaceSerializer(many=True)
    source = serializers.CharField(help_text="local (the embedded table), nominatim or pelias")


class ReverseAnswer(serializers.Serializer):
    place = PlaceSerializer(allow_null=True, help_text="The nearest address within 1 km, or null.")
    words = serializers.CharField(help_text='"1200 W Lake St", "near 1200 W Lake St (~40 m)", or "" when none.')
    source = serializers.CharField()


class Unavailable(serializers.Serializer):
    detail = serializers.CharField()
    available = serializers.BooleanField()


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=200, trim_whitespace=True, help_text="Number and street, as typed so far.")
    limit = serializers.IntegerField(min_value=1, max_value=geocoder.MAX_RESULTS, default=8, required=False)


class FiniteFloat(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("A valid number is required.")
        return value


class ReverseQuery(serializers.Serializer):
    lat = FiniteFloat(min_value=-90, max_value=90)
    lon = FiniteFloat(min_value=-180, max_value=180)


def _place(place: geocoder.Place) -> dict:
    out = place.as_dict()
    out["distance_m"] = None if place.distance_m is None else round(place.distance_m)
    return out


def _unavailable() -> Response:
    return Response({"detail": UNAVAILABLE, "available": False}, status=503)


_ALLOWED = "Address lookup is for the call desk and officers."


class GeocodeSearch(APIView):
    """Addresses starting with the number and street typed (case and accents ignored); 503 when the service is down."""

    permission_classes = [require_rule(permissions.may_look_up_addresses, _ALLOWED)]

    @extend_schema(
        parameters=[SearchQuery],
        responses={200: SearchAnswer, 503: OpenApiResponse(Unavailable, description="The geocoder is down.")},
    )
    def get(self, request):
        query = SearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            found = geocoder.geocode(query.validated_data["q"], limit=query.validated_data["limit"])
        except geocoder.GeocoderUnavailable:
            return _unavailable()
        return Response({"results": [_place(p) for p in found], "source": geocoder.get_geocoder().kind})


class GeocodeReverse(APIView):
    """The nearest address to a point, in words (within 1 km); 503 when the service is down."""

    permission_classes = [require_rule(permissions.may_look_up_addresses, _ALLOWED)]

    @extend_schema(
        parameters=[ReverseQuery],
        responses={200: ReverseAnswer, 503: OpenApiResponse(Unavailable, description="The geocoder is down.")},
    )
    def get(self, request):
        query = ReverseQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            place = geocoder.reverse(query.validated_data["lat"], query.validated_data["lon"])
        except geocoder.GeocoderUnavailable:
            return _unavailable()
        return Response(
            {
                "place": _place(place) if place else None,
                "words": geocoder.words(place),
                "source": geocoder.get_geocoder().kind,
            }
        )
