"""integrations/services.py: a partner's account, its token scoped to the integration role, its secret."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from crisis import roles
from crisis.errors import InvalidInput
from crisis.models import AuditEntry
from integrations import services

pytestmark = pytest.mark.django_db


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_partner_gets_its_own_integration_account_token_and_secret(cad, ada):
    user = cad.user
    assert user.role_names == frozenset({roles.INTEGRATION})
    assert not user.has_usable_password()
    assert cad.credentials.secret == cad.secret and len(cad.secret) >= 40
    assert cad.credentials.token
    assert AuditEntry.objects.filter(action="integrations.partner.created", actor=ada).count() == 1
    with pytest.raises(InvalidInput):
        services.partner_create(name="county 911 cad", by=ada)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/calls/"),
        ("get", "/api/teams/"),
        ("get", "/api/board/"),
        ("get", "/api/integrations/deliveries/"),
        ("post", "/api/integrations/deliveries/1/replay/"),
    ],
)
def test_a_partner_token_reaches_nothing_but_its_exchange(cad, method, url):
    response = getattr(_client(cad.credentials.token), method)(url)
    assert response.status_code == 403, (url, response.status_code)


def test_a_partner_account_has_no_pages(client, cad):
    client.force_login(cad.user)
    assert client.get("/").status_code == 403
    assert client.get("/dispatch/board/").status_code == 403


def test_rotating_credentials_refuses_the_old_token_and_signs_with_a_new_secret(cad, ada):
    old_token, old_secret = cad.credentials.token, cad.secret
    new = services.partner_rotate_credentials(partner=cad, by=ada)
    cad.refresh_from_db()
    assert new.secret == cad.secret != old_secret
    assert _client(old_token).get("/api/integrations/eido/calls/1/").status_code == 401
    assert _client(new.token).get("/api/integrations/eido/calls/999999/").status_code == 404
