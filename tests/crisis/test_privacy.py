"""crisis/privacy.py and crisis/privacy_views.py: a person's accounting of disclosures and reads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from crisis import audit
from crisis.models import AuditEntry
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pia(db):
    return make_user("pia", "privacy_officer")


@pytest.fixture
def trail(person, cam, dana, monkeypatch):
    """A FHIR disclosure last month, a history view with its purpose, a person-page read today; noise about others."""
    with monkeypatch.context() as m:
        month_ago = timezone.now() - timedelta(days=30)
        m.setattr(AuditEntry._meta.get_field("at"), "_get_default", lambda: month_ago)
        audit.record(
            actor=None,
            action="disclosure.fhir",
            obj=person,
            recipient="County EHR",
            purpose="Care coordination",
            records=["Referral/7", "Patient/3"],
        )
    audit.record(
        actor=cam, action="history.person.viewed", obj=person, purpose="Consult #4: on a bridge", shown=["plan"]
    )
    audit.record(actor=dana, action="people.person.viewed", obj=person, via="api")
    audit.record(actor=dana, action="dispatch.call.viewed", obj=dana)  # not about the person
    other = type(person).objects.create(first_name="Other", last_name="Person")
    audit.record(actor=None, action="disclosure.hmis", obj=other, recipient="HMIS", purpose="x", records=["1"])
    return person


def test_the_privacy_officer_sees_every_disclosure_and_read_of_the_person(client, pia, trail):
    client.force_login(pia)
    response = client.get(f"/privacy/people/{trail.pk}/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.label for r in rows] == ["Read: person page", "Read: history lookup", "Disclosure: FHIR"]
    fhir = rows[-1]
    assert (fhir.recipient, fhir.purpose, fhir.records) == ("County EHR", "Care coordination", "Referral/7, Patient/3")
    assert rows[1].who == "cam" and rows[1].purpose == "Consult #4: on a bridge"
    assert b"County EHR" in response.content and b"HMIS" not in response.content
    viewed = AuditEntry.objects.get(action="crisis.disclosures.viewed")
    assert viewed.actor == pia and viewed.object_id == str(trail.pk) and viewed.detail["rows"] == 3


def test_the_period_filters_and_a_reversed_period_is_a_400(client, pia, trail):
    client.force_login(pia)
    today = timezone.localdate()
    response = client.get(f"/privacy/people/{trail.pk}/", {"start": (today - timedelta(days=2)).isoformat()})
    assert [r.kind for r in response.context["rows"]] == ["read", "read"]
    response = client.get(f"/privacy/people/{trail.pk}/", {"end": (today - timedelta(days=20)).isoformat()})
    assert [r.kind for r in response.context["rows"]] == ["disclosure"]
    bad = client.get(f"/privacy/people/{trail.pk}/", {"start": today.isoformat(), "end": "2020-01-01"})
    assert bad.status_code == 400 and b"must be on or before" in bad.content
    assert client.get(f"/privacy/people/{trail.pk}/", {"start": "not a date"}).status_code == 400


def test_the_csv_export_holds_the_rows_and_is_audited(client, pia, trail):
    audit.record(
        actor=None, action="disclosure.webhook", obj=trail, recipient="=HYPERLINK(1)", purpose="p", records=["Call/1"]
    )
    client.force_login(pia)
    response = client.get(f"/privacy/people/{trail.pk}/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:5] == ["when", "kind", "what", "who", "recipient"]
    assert len(table) == 1 + 4
    assert table[1][4] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet
    exported = AuditEntry.objects.get(action="crisis.disclosures.exported")
    assert exported.actor == pia and exported.detail["rows"] == 4


def test_finding_a_person_is_audited(client, pia, trail):
    client.force_login(pia)
    response = client.get("/privacy/", {"name": trail.last_name})
    assert response.status_code == 200 and trail in response.context["people"]
    assert AuditEntry.objects.get(action="crisis.privacy.people_searched").detail["result_ids"] == [trail.pk]
    assert client.get("/privacy/", {"name": ""}).status_code == 400


@pytest.mark.parametrize(
    "persona, allowed", [("pia", True), ("ada", True), ("sue", False), ("cam", False), ("dana", False), ("oli", False)]
)
def test_only_the_privacy_officer_and_administrators(client, request, persona, allowed, person):
    client.force_login(request.getfixturevalue(persona))
    for url in ("/privacy/", f"/privacy/people/{person.pk}/", f"/privacy/people/{person.pk}/?format=csv"):
        assert client.get(url).status_code == (200 if allowed else 403), url
