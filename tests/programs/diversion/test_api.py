"""The diversion API: the CAD transfer (201, then 200 with the same row), the console snapshot (audited)."""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry
from programs.diversion.models import Diversion
from tests.integrations import conftest as integrations
from tests.programs.diversion.conftest import TRANSFER
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db

BASE = "/programs/diversion/api"


def test_the_transfer_is_idempotent_on_the_incident_number(client, dana):
    client.force_login(dana)
    body = {"incident_id": "CAD-77"} | TRANSFER
    first = client.post(f"{BASE}/transfers/", body, content_type="application/json")
    assert first.status_code == 201
    again = client.post(f"{BASE}/transfers/", body | {"nature": "changed"}, content_type="application/json")
    assert again.status_code == 200 and again.json() == first.json()
    assert Diversion.objects.count() == 1 and first.json()["status"] == "waiting"


@pytest.mark.parametrize(
    "body",
    [{}, {"incident_id": "A"}, {"incident_id": "A", "address": "x", "nature": "y", "call_type": "pizza"}, [1], "x"],
)
def test_bad_transfers_are_400(client, dana, body):
    client.force_login(dana)
    response = client.post(f"{BASE}/transfers/", body, content_type="application/json")
    assert response.status_code == 400 and not Diversion.objects.exists()


@pytest.mark.parametrize("persona, status", [("oli", 403), ("rita", 403), ("nora", 403)])
def test_roles_without_the_call_desk_cannot_transfer(client, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    body = {"incident_id": "CAD-77"} | TRANSFER
    assert client.post(f"{BASE}/transfers/", body, content_type="application/json").status_code == status


def test_the_snapshot_is_for_diversion_clinicians_and_audited(client, cam, dana, transfer):
    d = transfer()
    client.force_login(dana)
    assert client.get(f"{BASE}/snapshot/").status_code == 403
    client.force_login(cam)
    data = client.get(f"{BASE}/snapshot/").json()
    assert [r["id"] for r in data["diversions"]] == [d.pk] and data["epoch"] and "diversion" in data["seq"]
    assert AuditEntry.objects.get(action="diversion.queue.viewed").detail["ids"] == [d.pk]


def test_a_retried_transfer_with_its_key_gets_the_first_answer_itself(client, dana):
    """Without a key the retry is a 200 with the row; with one it is the first answer, 201 and all."""
    client.force_login(dana)
    first, _ = send_twice(client, "POST", f"{BASE}/transfers/", {"incident_id": "CAD-78"} | TRANSFER)
    assert first.status_code == 201 and Diversion.objects.count() == 1


@pytest.fixture
def cad(ada):
    return integrations.cad.__wrapped__(ada)


@pytest.fixture
def cad_client(cad):
    return integrations.cad_client.__wrapped__(cad)


def test_a_cad_partner_transfers_with_its_own_token(cad_client, cad):
    """The integration role (a 911 CAD's partner account) reaches the transfer with its token, idempotently."""
    body = {"incident_id": "CAD-901"} | TRANSFER
    first = cad_client.post(f"{BASE}/transfers/", body, format="json")
    assert first.status_code == 201, first.content
    again = cad_client.post(f"{BASE}/transfers/", body, format="json")
    assert again.status_code == 200 and again.json() == first.json()
    diversion = Diversion.objects.get()
    assert diversion.transferred_by_id == cad.user_id and diversion.call.created_by_id == cad.user_id


def test_a_deactivated_cad_partner_cannot_transfer(cad_client, cad, ada):
    from integrations.services import partner_set_active

    partner_set_active(partner=cad, active=False, by=ada)
    body = {"incident_id": "CAD-902"} | TRANSFER
    assert cad_client.post(f"{BASE}/transfers/", body, format="json").status_code in (401, 403)
    assert not Diversion.objects.exists()
