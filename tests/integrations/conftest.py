import pytest

from integrations import services
from tests.support.receiver import Receiver


@pytest.fixture
def cad(ada):
    """A 911 centre's CAD as a partner system: its account, token and signing secret."""
    partner, credentials = services.partner_create(name="County 911 CAD", by=ada, purpose="911 incident hand-over")
    partner.credentials = credentials
    return partner


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def cad_client(cad):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {cad.credentials.token}")
    return client
