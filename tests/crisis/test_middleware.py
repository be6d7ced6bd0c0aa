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
