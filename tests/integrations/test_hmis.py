"""integrations/hmis.py: the FY2024 HMIS CSV export, checked file by file against integrations/hmis_spec.py."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.history.models import Consent
from crisis.models import AuditEntry, Person
from dispatch.models import Call
from integrations import hmis, hmis_spec
from programs.homeless_outreach.services import outreach_contact_record
from programs.models import Program
from tests.conftest import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(dana, new_call):
    outreach = Program.objects.create(name="Street Outreach", kind="homeless_outreach", tiers=["community"])
    stabilization = Program.objects.create(name="Stabilization", kind="crisis_stabilization", tiers=["community"])
    street_team, _ = make_team("Outreach 1", outreach, members=[])
    consenting = Person.objects.create(first_name="Ann", last_name="Lee", experiencing_homelessness=True)
    private = Person.objects.create(first_name="Bo", last_name="Secret", experiencing_homelessness=True)
    Consent.objects.create(person=consenting, scope="hmis")
    Consent.objects.create(person=private, scope="clinical_history")  # another scope: no HMIS sharing
    for person, outcome in [(consenting, "declined"), (consenting, "shelter"), (private, "engaged")]:
        outreach_contact_record(person=person, team=street_team, by=dana, outcome=outcome)
    call = new_call(person=private, program=stabilization)
    Call.objects.filter(pk=call.pk).update(closed_at=timezone.now(), status="closed")
    return {"consenting": consenting, "private": private, "call": call, "programs": (outreach, stabilization)}


def _files(content: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: list(csv.reader(io.StringIO(archive.read(name).decode()))) for name in archive.namelist()}


def _export(ada) -> dict[str, list[list[str]]]:
    today = timezone.localdate()
    return _files(hmis.hmis_export(start=today - timedelta(days=1), end=today, by=ada))


def test_every_file_has_the_spec_header_and_every_code_is_in_its_list(seeded, ada):
    files = _export(ada)
    assert sorted(files) == sorted(hmis_spec.COLUMNS)
    for name, (header, *rows) in files.items():
        assert tuple(header) == hmis_spec.COLUMNS[name], name
        for row in rows:
            assert len(row) == len(header), name
            record = dict(zip(header, row, strict=True))
            assert record["ExportID"] == files["Export.csv"][1][0], name
            for column, allowed in hmis_spec.CODES[name].items():
                if record[column] != "":
                    assert int(record[column]) in allowed, (name, column, record[column])
    # Seeded data is there, not just headers.
    counts = {name: len(rows) - 1 for name, rows in files.items()}
    assert counts == {
        "Export.csv": 1,
        "Organization.csv": 1,
        "Project.csv": 2,
        "Client.csv": 2,
        "Enrollment.csv": 3,
        "Exit.csv": 1,
        "Services.csv": 4,
        "CurrentLivingSituation.csv": 3,
    }


def test_a_person_without_hmis_consent_is_de_identified_and_not_disclosed(seeded, ada):
    files = _export(ada)
    header, *rows = files["Client.csv"]
    clients = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    ann = clients[str(seeded["consenting"].pk)]
    assert (ann["FirstName"], ann["LastName"], ann["NameDataQuality"]) == ("Ann", "Lee", "1")
    [private] = [c for pid, c in clients.items() if pid != str(seeded["consenting"].pk)]
    assert private["PersonalID"] == hmis.pseudonym(seeded["private"].pk) != str(seeded["private"].pk)
    assert (private["FirstName"], private["LastName"], private["DOB"]) == ("", "", "")
    assert "Secret" not in "".join("".join(",".join(r) for r in f) for f in files.values())
    rows = AuditEntry.objects.filter(action="disclosure.hmis")
    assert [(r.object_type, r.object_id) for r in rows] == [("crisis.person", str(seeded["consenting"].pk))]
    assert rows[0].detail["recipient"] == "Continuum of Care HMIS lead"


def test_outreach_contacts_are_living_situations_and_engagement(seeded, ada):
    files = _export(ada)
    header, *rows = files["Enrollment.csv"]
    ann = [dict(zip(header, r, strict=True)) for r in rows if r[1] == str(seeded["consenting"].pk)][0]
    assert ann["ProjectID"] == str(seeded["programs"][0].pk)
    assert ann["DateOfEngagement"] == timezone.localdate().isoformat()  # the shelter contact, not the decline
    header, *rows = files["CurrentLivingSituation.csv"]
    assert sorted(r[header.index("CurrentLivingSituation")] for r in rows) == ["101", "101", "116"]


def test_the_api_serves_the_zip_to_administrators_only(seeded, client, ada, sue, dana):
    today = timezone.localdate().isoformat()
    url = f"/api/integrations/hmis/export/?start={today}&end={today}"
    client.force_login(dana)
    assert client.get(url).status_code == 403
    client.force_login(sue)
    assert client.get(url).status_code == 403
    client.force_login(ada)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "Client.csv" in _files(response.content)
    assert client.get("/api/integrations/hmis/export/?start=2026-02-30&end=x").status_code == 400
    assert client.get(f"/api/integrations/hmis/export/?start={today}&end=2000-01-01").status_code == 400
