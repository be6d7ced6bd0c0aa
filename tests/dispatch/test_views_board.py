"""The board and phone pages are shells over the live API; libraries come from our own static files."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_board_page_serves_leaflet_from_static_with_the_configured_tiles(client, dana, settings):
    settings.MAP_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    client.force_login(dana)
    html = client.get("/dispatch/board/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html
    assert 'data-tiles="https://tiles.example.test/{z}/{x}/{y}.png"' in html
    # Every script and stylesheet is ours; a random token (CSRF) may spell "cdn", so look at the URLs only.
    assets = re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/") for url in assets), assets
    assert 'id="conn"' in html


def test_leaflet_is_in_static_files(client, dana):
    from django.contrib.staticfiles import finders

    # The icon too: without one every page load asks for /favicon.ico and logs a 404 in the console.
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/images/marker-icon.png",
        "img/favicon.svg",
    ):
        assert finders.find(path), path


def test_phone_page_for_a_responder(client, rita):
    client.force_login(rita)
    html = client.get("/responder/").content.decode()
    assert 'name="viewport"' in html and "js/responder.js" in html and 'id="sos"' in html


def test_phone_page_for_a_responder_without_a_team(client, db):
    from tests.conftest import make_user

    client.force_login(make_user("loner", "responder"))
    html = client.get("/responder/").content.decode()
    assert "not on a team" in html and "responder.js" not in html


def test_board_page_carries_the_alarm_configuration_and_the_mute_toggle(client, dana, settings):
    import json
    import re

    settings.BOARD_ALARM_EVENTS = ["sos", "p1"]
    settings.BOARD_ALARM_SOS_REPEAT_SECONDS = 30
    client.force_login(dana)
    html = client.get("/dispatch/board/").content.decode()
    config = json.loads(re.search(r'<script id="alarm-config" type="application/json">(.*?)</script>', html).group(1))
    assert config == {"events": ["sos", "p1"], "sos_repeat_seconds": 30}
    assert 'id="sound-toggle"' in html and 'id="alarm-banner"' in html
    assert html.index("js/tones.js") < html.index("js/alarm.js") < html.index("js/board.js")
