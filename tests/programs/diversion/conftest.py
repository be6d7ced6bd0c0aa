import pytest

from programs.community_responders.models import Partner
from programs.diversion import services
from tests.conftest import CENTER


@pytest.fixture
def partner(db):
    return Partner.objects.create(name="Northside Clinic", services="Outpatient psychiatry", phone="312-555-0150")


TRANSFER = dict(
    address="1200 W Lake St",
    nature="Caller says she can't stop crying, alone at home",
    caller_name="Rosa",
    callback_number="312-555-0101",
    latitude=CENTER[0],
    longitude=CENTER[1],
    narrative="Transferred by 911 call-taker: no weapons, no injuries.",
)


@pytest.fixture
def transfer(dana):
    def _make(incident_id="CAD-2026-000123", **overrides):
        return services.diversion_transfer(by=dana, incident_id=incident_id, **(TRANSFER | overrides))[0]

    return _make


@pytest.fixture
def taken(transfer, cam):
    return services.diversion_take(diversion=transfer(), by=cam)
