"""The 911 diversion (programs/diversion/services.py): transfer, take, document, refer, resolve or escalate."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import AuditEntry
from dispatch.models import Call, Status, Tier
from programs.community_responders.models import Referral
from programs.diversion import services
from programs.diversion.models import Diversion, DiversionStatus
from programs.diversion.rows import ROW_KEYS, diversion_row
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def actions(d) -> list[str]:
    entries = AuditEntry.objects.filter(object_type="diversion.diversion", object_id=str(d.pk)).order_by("id")
    return list(entries.values_list("action", flat=True))


def test_a_transfer_opens_a_911_call_once_per_incident(transfer, dana, sent_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = transfer()
    again, created = services.diversion_transfer(
        by=dana, incident_id="CAD-2026-000123", address="elsewhere", nature="retry from the CAD"
    )
    assert not created and again.pk == first.pk and Diversion.objects.count() == Call.objects.count() == 1
    call = first.call
    assert (call.source, call.status, call.callback_number) == ("911", Status.RECEIVED, "312-555-0101")
    assert first.status == DiversionStatus.WAITING and actions(first) == ["diversion.diversion.transferred"]
    mine = [(e["kind"], e["group"]) for e in sent_events if e["kind"].startswith("diversion.")]
    assert mine == [("diversion.updated", "diversion")]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"incident_id": ""}, "incident_id"),
        ({"incident_id": "x\x00"}, "incident_id"),
        ({"address": ""}, "address"),
        ({"latitude": None}, "longitude"),
        ({"call_type": "pizza"}, "call_type"),
    ],
)
def test_bad_transfers_are_refused_and_nothing_is_half_saved(transfer, overrides, field):
    with pytest.raises(InvalidInput) as exc:
        transfer(**overrides)
    assert exc.value.field == field
    assert not Diversion.objects.exists() and not Call.objects.exists()


def test_only_the_call_desk_roles_transfer(oli, rita):
    for user in (oli, rita):
        with pytest.raises(PermissionDenied):
            services.diversion_transfer(by=user, incident_id="X1", address="a", nature="b")


def test_the_first_clinician_takes_it_the_second_is_told_who(transfer, cam):
    other = make_user("cleo", "clinician")
    d = services.diversion_take(diversion=transfer(), by=cam)
    with pytest.raises(Conflict, match="Cam already took this call"):
        services.diversion_take(diversion=d, by=other)
    with pytest.raises(PermissionDenied):  # and only the taker documents
        services.diversion_document(diversion=d, by=other, counselling_note="x", needs=[], safety_plan="")


@pytest.mark.parametrize("persona", ["dana", "oli", "sue", "rita"])
def test_roles_without_the_console_cannot_take(transfer, persona, request):
    with pytest.raises(PermissionDenied):
        services.diversion_take(diversion=transfer(), by=request.getfixturevalue(persona))


def test_documentation_is_saved_and_audited_without_the_clinical_text(taken, cam):
    d = services.diversion_document(
        diversion=taken,
        by=cam,
        counselling_note="Grounding; she agreed to call her sister.",
        needs=["medication", "housing", "medication"],
        safety_plan="Sister Ana 312-555-0199; crisis line if urges return.",
    )
    assert d.needs == ["housing", "medication"]  # the table's order, no repeats
    entry = AuditEntry.objects.get(action="diversion.diversion.documented")
    assert entry.detail["changed"] == ["counselling_note", "needs", "safety_plan"]
    assert "sister" not in str(entry.detail).lower()
    with pytest.raises(InvalidInput):
        services.diversion_document(diversion=d, by=cam, counselling_note="", needs=["pizza"], safety_plan="")


def test_resolved_by_phone_needs_the_note_and_a_screen_that_allows_it(taken, cam, partner):
    with pytest.raises(InvalidInput, match="counselling note"):
        services.diversion_resolve(diversion=taken, by=cam, screen={})
    services.diversion_document(diversion=taken, by=cam, counselling_note="Calmer.", needs=[], safety_plan="")
    # A plan and intent: the screen wants a team, so "resolved by phone" is refused and nothing changes.
    with pytest.raises(InvalidTransition, match="send a team"):
        services.diversion_resolve(diversion=taken, by=cam, screen={"si_intent": True, "si_plan": True})
    assert Call.objects.get().status == Status.RECEIVED

    referral = services.diversion_refer(diversion=taken, by=cam, partner=partner, service="Psychiatry intake")
    assert referral.call_id == taken.call_id and referral.owner == cam
    d = services.diversion_resolve(diversion=taken, by=cam, screen={"si_wish_dead": True}, note="Safe with sister")
    call = Call.objects.get()
    assert (d.status, d.tier) == (DiversionStatus.RESOLVED, Tier.PHONE)
    # Resolved by phone closes the call (it leaves the board), disposition "resolved by phone".
    assert (call.status, call.tier, call.disposition) == (Status.CLOSED, Tier.PHONE, "resolved_by_phone")
    assert Referral.objects.get().call == call
    assert actions(d)[-1] == "diversion.diversion.resolved"
    with pytest.raises(InvalidTransition):
        services.diversion_escalate(diversion=d, by=cam, screen={})


def test_escalation_sends_the_call_to_routing_or_back_to_911(transfer, cam):
    d = services.diversion_take(diversion=transfer(), by=cam)
    d = services.diversion_escalate(diversion=d, by=cam, screen={"intoxication": True}, note="Slurring, alone")
    call = Call.objects.get(pk=d.call_id)
    assert (d.status, d.tier, call.status) == (DiversionStatus.ESCALATED, Tier.COMMUNITY, Status.AWAITING_TEAM)
    assert AuditEntry.objects.get(action="diversion.diversion.escalated").detail["to"] == "team"

    d2 = services.diversion_take(diversion=transfer("CAD-2"), by=cam)
    d2 = services.diversion_escalate(diversion=d2, by=cam, screen={"medical": True})
    assert (d2.tier, Call.objects.get(pk=d2.call_id).status) == (Tier.LE_EMS, Status.TRIAGED)
    assert AuditEntry.objects.filter(action="diversion.diversion.escalated").order_by("id").last().detail["to"] == "911"


def test_an_unknown_screen_question_is_refused(taken, cam):
    with pytest.raises(InvalidInput):
        services.diversion_escalate(diversion=taken, by=cam, screen={"pizza": True})


def test_the_row_has_its_documented_keys(taken):
    from programs.diversion.api import DiversionRowSerializer

    assert set(diversion_row(taken)) == ROW_KEYS == set(DiversionRowSerializer().fields)
