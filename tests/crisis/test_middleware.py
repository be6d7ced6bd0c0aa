"""crisis/middleware.py: a NUL in a query parameter is a 400 everywhere (PostgreSQL text cannot hold it)."""

import pytest

from crisis.models import AuditEntry


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/teams/?region=%00", "/api/calls/?status=a%00b", "/api/teams/?%00=1", "/dispatch/history/?address=%00"],
)
def test_a_nul_in_the_query_is_a_400(client, dana, url):
    client.force_login(dana)
    response = client.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/people/{}/?purpose=%00", "/people/{}/?purpose=x%00"])
def test_an_audited_read_with_a_nul_purpose_is_a_400_and_records_nothing(client, sue, person, url):
    client.force_login(sue)
    response = client.get(url.format(person.pk))
    assert response.status_code == 400
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_ordinary_queries_pass(client, dana):
    client.force_login(dana)
    assert client.get("/api/teams/?region=north%20side").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded", "audited"),
    [
        (0, "6.6.6.6", "10.0.0.9"),  # no trusted proxy: the header is the client's word, ignored
        (1, "6.6.6.6", "6.6.6.6"),  # our proxy appended the address it saw
        (1, "1.2.3.4, 6.6.6.6", "6.6.6.6"),  # the client's own prefix is not believed
        (2, "1.2.3.4, 6.6.6.6, 10.1.1.1", "6.6.6.6"),
        (2, "6.6.6.6", "10.0.0.9"),  # fewer hops than proxies: not from our proxies
        (1, "not-an-address", "10.0.0.9"),
    ],
)
def test_the_audited_address_believes_x_forwarded_for_only_from_trusted_proxies(
    client, cam, person, settings, proxies, forwarded, audited
):
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(cam)
    client.get(f"/api/people/{person.pk}/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert AuditEntry.objects.get(action="people.person.viewed").ip_address == audited


@pytest.mark.django_db
def test_the_login_lockout_counts_the_same_address(client, dana, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client.post(
        "/login/", {"username": "dana", "password": "x"}, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert AuditEntry.objects.get(action="crisis.login.failed").ip_address == "10.0.0.9"
