"""The audit trail (crisis/audit.py): every change and every view of a person's record, append-only."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from crisis import audit
from crisis.errors import InvalidTransition
from crisis.models import AuditEntry
from dispatch import services
from dispatch.models import CallEvent


@pytest.mark.django_db
def test_call_lifecycle_is_its_timeline_with_actor_and_address_and_not_audited_twice(client, dana):
    """One log per fact: the call's timeline is its audit trail; the audit table holds no copy."""
    client.force_login(dana)
    from tests.conftest import CALL_DEFAULTS

    call_id = client.post("/api/calls/", CALL_DEFAULTS, content_type="application/json", REMOTE_ADDR="10.1.2.3").json()[
        "id"
    ]
    client.post(
        f"/api/calls/{call_id}/triage/",
        {"weapons": True, "tier_override": "community", "override_reason": "Weapon secured"},
        content_type="application/json",
        REMOTE_ADDR="10.1.2.3",
    )
    client.post(f"/api/calls/{call_id}/cancel/", {"reason": "Duplicate"}, content_type="application/json")
    timeline = list(CallEvent.objects.filter(call_id=call_id).order_by("id"))
    assert [e.kind for e in timeline] == [
        "call.created",
        "call.triaged",
        "call.awaiting_team",
        "call.cancelled",
    ]
    assert timeline[1].detail["override_reason"] == "Weapon secured"
    assert (timeline[0].actor, timeline[0].actor_label, timeline[0].ip_address) == (dana, "dana", "10.1.2.3")
    assert not AuditEntry.objects.filter(object_type="dispatch.call", object_id=str(call_id)).exists()


@pytest.mark.django_db
def test_the_timeline_refuses_edits_and_deletes(new_call):
    call = new_call()
    event = CallEvent.objects.filter(call=call).first()
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        CallEvent.objects.filter(call=call).update(kind="x")
    with pytest.raises(PermissionDenied):
        CallEvent.objects.filter(call=call).delete()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/people/{pk}/", "/people/{pk}/"])
def test_viewing_a_person_record_is_audited(client, cam, person, url):
    client.force_login(cam)
    response = client.get(url.format(pk=person.pk) + "?purpose=call-7", REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="people.person.viewed")
    assert (entry.actor, entry.object_id, entry.ip_address, entry.detail["purpose"]) == (
        cam,
        str(person.pk),
        "10.9.9.9",
        "call-7",
    )


@pytest.mark.django_db
def test_refused_view_of_a_person_record_is_not_served(client, dana, person):
    client.force_login(dana)
    assert client.get(f"/api/people/{person.pk}/").status_code == 403
    assert not AuditEntry.objects.filter(action="people.person.viewed").exists()


@pytest.mark.django_db
def test_premise_history_views_are_audited(client, dana, new_call):
    old = new_call(address="12 Elm St.")
    new = new_call(address="12  elm st")
    client.force_login(dana)
    response = client.get(f"/api/calls/{new.pk}/history/")
    assert [row["id"] for row in response.json()] == [old.pk]
    assert AuditEntry.objects.filter(action="dispatch.premise_history.viewed", object_id=str(new.pk)).exists()
    client.get("/dispatch/history/?address=12+Elm+St")
    assert AuditEntry.objects.filter(action="dispatch.premise_history.viewed", object_id="").count() == 1


@pytest.mark.django_db
def test_entries_cannot_be_edited_or_deleted_through_the_app(dana, new_call):
    audit.record(actor=None, action="people.person.viewed")
    entry = AuditEntry.objects.first()
    entry.action = "tampered"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().update(action="tampered")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(action="tampered").count() == 0


@pytest.mark.django_db
def test_admin_cannot_change_audit_entries(client, ada, new_call):
    audit.record(actor=None, action="people.person.viewed")
    ada.is_staff = ada.is_superuser = True
    ada.save()
    client.force_login(ada)
    entry = AuditEntry.objects.first()
    assert client.get("/admin/crisis/auditentry/").status_code == 200
    assert client.post(f"/admin/crisis/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refuses_edits_even_in_raw_sql(new_call):
    audit.record(actor=None, action="people.person.viewed")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE crisis_auditentry SET action = 'tampered'")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM crisis_auditentry")


@pytest.mark.django_db
def test_a_failed_change_leaves_no_audit_entry(dana, new_call):
    call = new_call()
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidTransition):
        services.call_close(call=call, disposition="referred", by=dana)
    assert AuditEntry.objects.count() == before
