"""Officer consults (programs/le_consult/services.py): rota, escalation, the thread, the outcome, who may what."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from crisis import permissions, realtime
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import AuditEntry
from programs.le_consult import services, tasks
from programs.le_consult.models import Consult, ConsultStatus, OnCallShift
from programs.le_consult.rows import ROW_KEYS, consult_row

pytestmark = pytest.mark.django_db


def audit_actions(consult) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="le_consult.consult", object_id=str(consult.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_request_goes_to_the_designated_clinician_live_after_commit(
    request_consult, cam, kit, oli, sent_events, django_capture_on_commit_callbacks, settings
):
    settings.CONSULT_ESCALATE_SECONDS = 90
    with django_capture_on_commit_callbacks(execute=True):
        consult = request_consult()
    assert (consult.clinician, consult.backup, consult.status) == (cam, kit, ConsultStatus.REQUESTED)
    assert consult.escalate_at == consult.requested_at + timedelta(seconds=90)
    groups = {m["group"] for m in sent_events if m["kind"] == "consult.updated"}
    # The backup hears nothing until it escalates; supervisors always follow.
    assert groups == {realtime.inbox_group(oli.pk), realtime.inbox_group(cam.pk), realtime.OVERSIGHT_GROUP}
    assert audit_actions(consult) == ["le_consult.consult.requested"]


def test_no_clinician_on_call_is_a_conflict_and_saves_nothing(oli, on_call):
    OnCallShift.objects.filter(pk=on_call.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict, match="No clinician is on call"):
        services.consult_request(by=oli, need="advice", address="100 N State St")
    assert not Consult.objects.exists()


@pytest.mark.parametrize(
    "values, field",
    [
        ({"need": "lunch"}, "need"),
        ({"latitude": None, "longitude": None, "address": " "}, "address"),
        ({"latitude": 41.9, "longitude": None}, "longitude"),
        ({"description": "x" * 501}, "description"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_bad_requests_say_which_field_and_save_nothing(request_consult, values, field):
    with pytest.raises(InvalidInput) as caught:
        request_consult(**values)
    assert caught.value.field == field
    assert not Consult.objects.exists() and not AuditEntry.objects.filter(action__startswith="le_consult").exists()


def test_an_address_alone_is_enough(request_consult):
    consult = request_consult(latitude=None, longitude=None, accuracy_m=None, address="Lake St bridge")
    assert consult.address == "Lake St bridge" and consult.latitude is None


def test_unanswered_it_escalates_to_the_backup_and_supervisors_once(
    request_consult, kit, sent_events, django_capture_on_commit_callbacks
):
    consult = request_consult()
    assert services.consults_escalate_due() == 0  # not due yet (the eager countdown task did nothing either)
    later = consult.escalate_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.consults_escalate_due(now=later) == 1
    assert services.consults_escalate_due(now=later) == 0  # safe to run twice
    consult.refresh_from_db()
    assert consult.status == ConsultStatus.ESCALATED and consult.escalated_at == later
    last = [m for m in sent_events if m["kind"] == "consult.updated"]
    assert realtime.inbox_group(kit.pk) in {m["group"] for m in last}
    assert audit_actions(consult) == ["le_consult.consult.requested", "le_consult.consult.escalated"]
    # Now the backup may take it.
    assert permissions.may_accept_consult.test(kit, consult)


def test_the_task_escalates_only_when_due(request_consult):
    consult = request_consult()
    assert tasks.escalate_consult(consult.pk) is False
    Consult.objects.filter(pk=consult.pk).update(escalate_at=timezone.now() - timedelta(seconds=1))
    assert tasks.escalate_consult(consult.pk) is True
    assert tasks.escalate_due() == 0


def test_an_accepted_consult_never_escalates(request_consult, cam):
    consult = request_consult()
    services.consult_accept(consult=consult, by=cam)
    assert services.consults_escalate_due(now=consult.escalate_at + timedelta(minutes=5)) == 0


def test_the_whole_consult_the_officer_sees_who_handles_it_and_the_outcome(request_consult, cam, oli):
    consult = request_consult()
    consult = services.consult_accept(consult=consult, by=cam)
    services.consult_message(consult=consult, by=oli, text="He is calmer now, asks for his sister.")
    services.consult_message(consult=consult, by=cam, text="Ask him her name; I will call her.")
    consult = services.consult_close(consult=consult, by=cam, outcome="arrest_avoided", note="Sister picked him up.")
    row = consult_row(Consult.objects.get(pk=consult.pk))
    assert row["assigned_to"]["id"] == cam.pk and row["status"] == "closed"
    assert (row["outcome"], row["outcome_label"]) == ("arrest_avoided", "Arrest avoided")
    assert [m["author"]["id"] for m in row["messages"]] == [oli.pk, cam.pk]
    assert row["actions"] == {
        "accept": False,
        "message": False,
        "close": False,
        "cancel": False,
        "link_person": False,
        "video": False,
        "send_team": False,
    }
    assert audit_actions(consult) == [
        "le_consult.consult.requested",
        "le_consult.consult.accepted",
        "le_consult.consult.message",
        "le_consult.consult.message",
        "le_consult.consult.closed",
    ]
    with pytest.raises(InvalidTransition):
        services.consult_message(consult=consult, by=oli, text="one more")


def test_the_row_has_exactly_its_schema_and_nothing_clinical(request_consult, person):
    row = consult_row(request_consult())
    assert set(row) == ROW_KEYS
    assert "mental_health_history" not in repr(row) and person.mental_health_history not in repr(row)


def test_the_row_matches_the_documented_serializer(request_consult):
    from programs.le_consult.api import ConsultRowSerializer

    assert set(ConsultRowSerializer().fields) == ROW_KEYS


def test_a_second_accept_loses_with_a_conflict(request_consult, cam, sue):
    consult = request_consult()
    services.consult_accept(consult=consult, by=cam)
    with pytest.raises(Conflict, match="already took"):
        services.consult_accept(consult=consult, by=sue)


def test_closing_needs_a_known_outcome_and_changes_nothing_otherwise(request_consult, cam):
    consult = services.consult_accept(consult=request_consult(), by=cam)
    with pytest.raises(InvalidInput):
        services.consult_close(consult=consult, by=cam, outcome="shrug")
    consult.refresh_from_db()
    assert consult.status == ConsultStatus.ACCEPTED and consult.outcome == ""


def test_the_officer_may_cancel_before_it_is_taken_not_after(request_consult, oli, cam):
    consult = services.consult_cancel(consult=request_consult(), by=oli)
    assert consult.status == ConsultStatus.CANCELLED
    taken = services.consult_accept(consult=request_consult(), by=cam)
    with pytest.raises(InvalidTransition):
        services.consult_cancel(consult=taken, by=oli)


# persona -> may follow, accept, message (after accept by cam), close (after accept by cam) a consult oli requested
CONSULT_TABLE = {
    "oli": (True, False, True, False),
    "cam": (True, True, True, True),
    "kit": (False, False, False, False),  # the backup, before escalation
    "sue": (True, True, True, True),
    "dana": (False, False, False, False),
    "ada": (False, False, False, False),
    "rita": (False, False, False, False),
    "nora": (False, False, False, False),
}


@pytest.mark.parametrize("persona", list(CONSULT_TABLE))
def test_consult_rules_table(request, request_consult, cam, persona):
    user = request.getfixturevalue(persona)
    consult = request_consult()
    may_follow, may_accept = permissions.may_follow_consult.test(user, consult), None
    may_accept = permissions.may_accept_consult.test(user, consult)
    accepted = services.consult_accept(consult=consult, by=cam)
    got = (
        may_follow,
        may_accept,
        permissions.may_message_consult.test(user, accepted),
        permissions.may_close_consult.test(user, accepted),
    )
    assert got == CONSULT_TABLE[persona]


def test_another_officer_cannot_touch_the_consult(request_consult, cam):
    from tests.conftest import make_user

    other = make_user("olga", "officer")
    consult = request_consult()
    for call in (
        lambda: services.consult_cancel(consult=consult, by=other),
        lambda: services.consult_message(consult=consult, by=other, text="hi"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert not permissions.may_follow_consult.test(other, consult)


def test_a_deactivated_clinician_may_not_accept(request_consult, cam):
    consult = request_consult()
    type(cam).objects.filter(pk=cam.pk).update(is_active=False)
    cam.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.consult_accept(consult=consult, by=cam)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clinicians_accepting_at_once_one_wins(oli, cam, sue, on_call):
    consult = services.consult_request(by=oli, need="team", address="Lake St bridge")
    Consult.objects.filter(pk=consult.pk).update(escalated_at=timezone.now(), status=ConsultStatus.ESCALATED)
    barrier = threading.Barrier(2)
    results = []

    def accept(user):
        try:
            barrier.wait(timeout=5)
            services.consult_accept(consult=consult, by=user)
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (cam, sue)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(results) == ["conflict", "ok"]
    assert AuditEntry.objects.filter(action="le_consult.consult.accepted").count() == 1


def test_the_demo_has_someone_on_call_and_seeding_twice_adds_no_second_shift():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    shift = services.on_call_now()
    assert shift is not None and shift.clinician.username == "clinician"
    assert OnCallShift.objects.count() == 1
