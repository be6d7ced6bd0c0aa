"""crisis/geo/api.py: /api/geocode/ and /api/geocode/reverse/ for the desk and officers; 400 on bad input."""

from __future__ import annotations

from io import StringIO

import pytest

from crisis.geo.services import addresses_load
from crisis.models import AuditEntry

pytestmark = pytest.mark.django_db

HEADER = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"


@pytest.fixture
def table(db):
    addresses_load(lines=StringIO(HEADER + "-87.6580,41.8857,1200,W Lake St,,Chicago,,IL,60607,,a\n"))


@pytest.mark.parametrize("persona", ["dana", "oli"])
def test_the_desk_and_officers_search_and_reverse(client, request, table, persona):
    client.force_login(request.getfixturevalue(persona))
    r = client.get("/api/geocode/", {"q": "1200 west la"})
    assert r.status_code == 200
    assert r.json() == {
        "results": [
            {
                "label": "1200 W Lake St, Chicago, IL 60607",
                "short": "1200 W Lake St",
                "latitude": 41.8857,
                "longitude": -87.658,
                "distance_m": None,
            }  # fmt: skip
        ],
        "source": "local",
    }
    r = client.get("/api/geocode/reverse/", {"lat": "41.8861", "lon": "-87.6580"})
    assert r.status_code == 200
    assert r.json()["words"] == "near 1200 W Lake St (~40 m)"
    assert r.json()["place"]["distance_m"] == 44
    assert not AuditEntry.objects.exists()  # places, not people


def test_a_point_with_no_address_near(client, dana, table):
    client.force_login(dana)
    assert client.get("/api/geocode/reverse/", {"lat": 0, "lon": 0}).json() == {
        "place": None,
        "words": "",
        "source": "local",
    }


@pytest.mark.parametrize("persona", ["rita", "nora"])
def test_other_roles_are_refused(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/api/geocode/", {"q": "1200"}).status_code == 403
    assert client.get("/api/geocode/reverse/", {"lat": 41.88, "lon": -87.65}).status_code == 403


def test_signed_out_is_refused(client):
    assert client.get("/api/geocode/", {"q": "1200"}).status_code in (401, 403)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/geocode/", {}, "q"),
        ("/api/geocode/", {"q": "x" * 201}, "q"),
        ("/api/geocode/", {"q": "1200", "limit": "0"}, "limit"),
        ("/api/geocode/reverse/", {"lat": "91", "lon": "0"}, "lat"),
        ("/api/geocode/reverse/", {"lat": "nan", "lon": "0"}, "lat"),
        ("/api/geocode/reverse/", {"lat": "0", "lon": "inf"}, "lon"),
        ("/api/geocode/reverse/", {"lat": "north", "lon": "0"}, "lat"),
        ("/api/geocode/reverse/", {"lat": "0"}, "lon"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, dana, path, params, field):
    client.force_login(dana)
    r = client.get(path, params)
    assert r.status_code == 400
    assert field in r.json()


def test_a_geocoder_that_is_down_is_a_503_saying_what_to_do(client, dana, settings):
    settings.GEOCODER_KIND, settings.GEOCODER_URL, settings.GEOCODER_TIMEOUT_SECONDS = (
        "nominatim",
        "http://127.0.0.1:9",
        0.5,
    )
    client.force_login(dana)
    for r in (client.get("/api/geocode/", {"q": "1200 w"}), client.get("/api/geocode/reverse/", {"lat": 1, "lon": 1})):
        assert r.status_code == 503
        assert r.json() == {"available": False, "detail": pytest.approx(r.json()["detail"])}
        assert "click the map" in r.json()["detail"]
