"""crisis/geo/geocoder.py: the embedded table and the HTTP services behind one interface.

The HTTP geocoder is tested against a real HTTP server on a local socket, answering as Nominatim and Pelias do.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest

from crisis.geo import geocoder
from crisis.geo.services import addresses_load

HEADER = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"
ROWS = [
    "-87.6580,41.8857,1200,W Lake St,,Chicago,,IL,60607,,a",
    "-87.6590,41.8857,1210,W Lake St,,Chicago,,IL,60607,,b",
    "-87.6580,41.8840,1200,W Randolph St,,Chicago,,IL,60607,,c",
    "-87.6500,41.9000,12,Rue de l'Église,,Montréal,,QC,,,d",
    "-87.6400,41.8900,1200,W Lake St,3F,Chicago,,IL,60607,,e",
]


@pytest.fixture
def table(db):
    addresses_load(lines=StringIO(HEADER + "\n".join(ROWS) + "\n"))


@pytest.mark.parametrize(
    ("q", "labels"),
    [
        ("1200 w lake", ["1200 W Lake St, Chicago, IL 60607", "1200 W Lake St #3F, Chicago, IL 60607"]),
        ("1200 WEST LAKE STREET", ["1200 W Lake St, Chicago, IL 60607", "1200 W Lake St #3F, Chicago, IL 60607"]),
        ("121", ["1210 W Lake St, Chicago, IL 60607"]),
        ("12 rue de l'eglise", ["12 Rue de l'Église, Montréal, QC"]),
        ("rue de l ÉG", ["12 Rue de l'Église, Montréal, QC"]),
        ("1200 w r", ["1200 W Randolph St, Chicago, IL 60607"]),
        ("9999", []),
        ("1", []),  # one character is too little to search on
    ],
)
def test_local_search_by_number_and_street_prefix(table, q, labels):
    assert [p.label for p in geocoder.geocode(q)] == labels


def test_local_search_gives_coordinates_and_a_limit(table):
    place = geocoder.geocode("1210 w")[0]
    assert (place.latitude, place.longitude, place.short) == (41.8857, -87.659, "1210 W Lake St")
    assert len(geocoder.geocode("12", limit=2)) == 2


def test_local_reverse_names_the_nearest_address_within_a_kilometre(table):
    near = geocoder.reverse(41.8859, -87.6580)  # ~22 m north of 1200 W Lake St
    assert (near.short, near.distance_m) == ("1200 W Lake St", 22)
    assert geocoder.words(near) == "near 1200 W Lake St (~20 m)"
    assert geocoder.describe(41.8857, -87.6580) == "1200 W Lake St"  # on the spot: the address itself
    assert geocoder.reverse(41.95, -87.658) is None  # ~7 km away
    assert geocoder.describe(None, None) == ""


# --- a Nominatim / Pelias stand-in on a real socket ------------------------------------------------------------


class FakeService(BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, object]] = {}
    seen: list[tuple[str, dict, str]] = []
    delay = 0.0

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        type(self).seen.append((url.path, parse_qs(url.query), self.headers.get("User-Agent", "")))
        time.sleep(type(self).delay)
        status, body = type(self).answers.get(url.path, (404, {"error": "no such path"}))
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out first: what the slow-service test wants

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    FakeService.answers, FakeService.seen, FakeService.delay = {}, [], 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeService
    server.shutdown()
    server.server_close()


@pytest.fixture
def use(settings, service):
    def configure(kind, timeout=2.0):
        settings.GEOCODER_KIND, settings.GEOCODER_URL, settings.GEOCODER_TIMEOUT_SECONDS = kind, service[0], timeout
        return service[1]

    return configure


NOMINATIM_HIT = {
    "display_name": "1200, West Lake Street, West Loop, Chicago, Illinois, 60607, United States",
    "lat": "41.8857",
    "lon": "-87.6580",
    "address": {"house_number": "1200", "road": "West Lake Street"},
}


def test_nominatim_search_and_reverse(use):
    fake = use("nominatim")
    fake.answers = {"/search": (200, [NOMINATIM_HIT, {"display_name": "junk", "lat": "north"}]),
                    "/reverse": (200, NOMINATIM_HIT)}  # fmt: skip
    found = geocoder.geocode("1200 W Lake")
    assert [(p.short, p.latitude, p.longitude) for p in found] == [("1200 West Lake Street", 41.8857, -87.658)]
    path, params, agent = fake.seen[0]
    assert path == "/search" and params["q"] == ["1200 W Lake"] and params["format"] == ["jsonv2"]
    assert agent.startswith("crisis-dispatch")
    near = geocoder.reverse(41.8859, -87.6580)
    assert (near.short, near.distance_m) == ("1200 West Lake Street", 22)
    assert fake.seen[1][1]["lat"] == ["41.8859"]


def test_nominatim_nothing_near_is_no_address_not_an_outage(use):
    use("nominatim").answers = {"/reverse": (200, {"error": "Unable to geocode"})}
    assert geocoder.reverse(0.0, 0.0) is None


def test_pelias_search_and_reverse(use):
    fake = use("pelias")
    feature = {"geometry": {"coordinates": [-87.658, 41.8857]},
               "properties": {"label": "1200 W Lake St, Chicago, IL, USA", "name": "1200 W Lake St"}}  # fmt: skip
    fake.answers = {"/v1/autocomplete": (200, {"features": [feature, {"geometry": None}]}),
                    "/v1/reverse": (200, {"features": [feature]})}  # fmt: skip
    assert [p.label for p in geocoder.geocode("1200 W La")] == ["1200 W Lake St, Chicago, IL, USA"]
    assert fake.seen[0][1]["text"] == ["1200 W La"]
    assert geocoder.describe(41.8859, -87.658) == "near 1200 W Lake St (~20 m)"


@pytest.mark.parametrize(
    "answer",
    [(500, {"error": "boom"}), (200, b"<html>not json</html>")],
)
def test_a_failing_service_is_unavailable(use, answer):
    use("nominatim").answers = {"/search": answer, "/reverse": answer}
    with pytest.raises(geocoder.GeocoderUnavailable, match="did not answer"):
        geocoder.geocode("1200 W Lake")
    assert geocoder.describe(41.88, -87.65) == ""  # a screen shows coordinates instead, never an error


def test_a_slow_service_times_out(use):
    fake = use("nominatim", timeout=0.2)
    fake.answers, fake.delay = {"/search": (200, [])}, 1.0
    started = time.monotonic()
    with pytest.raises(geocoder.GeocoderUnavailable):
        geocoder.geocode("1200 W Lake")
    assert time.monotonic() - started < 0.9


def test_a_closed_port_is_unavailable(settings):
    settings.GEOCODER_KIND, settings.GEOCODER_URL = "pelias", "http://127.0.0.1:9"
    with pytest.raises(geocoder.GeocoderUnavailable):
        geocoder.reverse(41.88, -87.65)
