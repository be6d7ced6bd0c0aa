"""Every API endpoint checks who is asking: signed out is a 401/403, a user with no role a 403, always."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from crisis.models import AuditEntry
from dispatch.models import CallEvent
from dispatch.team_state import team_raise_sos
from dispatch.units import unit_add
from responders.models import PushSubscription, SosAlert


def _operations(world) -> list[tuple[str, str]]:
    """Every operation in the API schema, with a real object's id in its path."""
    alert = team_raise_sos(team=world.team_a, by=world.users["responder"])
    subscription = PushSubscription.objects.create(
        user=world.users["responder"], endpoint="https://fcm.googleapis.com/fcm/send/fuzz", p256dh="k", auth="a"
    )
    unit = unit_add(call=world.calls["working"], agency="police", unit="4A12", by=world.users["dispatcher"])
    ids = {
        "/api/push/subscriptions/{id}/": subscription.pk,
        "/api/units/{id}/": unit.pk,
        "/api/calls/{id}/": world.calls["working"].pk,
        "/api/assignments/{id}/": world.offer.pk,
        "/api/teams/{id}/": world.team_a.pk,
        "/api/people/{id}/": world.person.pk,
        "/api/alerts/{id}/": alert.pk,
        "/programs/mobile_crisis/api/follow-ups/{id}/": world.follow_up.pk,
        "/programs/community_responders/api/referrals/{id}/": world.referral.pk,
        "/programs/le_consult/api/consults/{id}/": world.consult.pk,
        "/api/integrations/eido/calls/{id}/": world.calls["working"].pk,
        # No delivery exists: a stranger is refused before the lookup, so any id shows the check.
        "/api/integrations/deliveries/{id}/": 1,
        "/fhir/ServiceRequest/{id}": world.referral.pk,
        "/fhir/Task/{id}": world.referral.pk,
        "/api/interns/notes/{id}/": world.intern_note.pk,
        "/programs/fact/api/enrollments/{id}/": world.enrollment.pk,
        "/programs/fact/api/goals/{id}/": world.enrollment.goals.get().pk,
        "/programs/fact/api/teams/{id}/": world.enrollment.team_id,
        "/programs/crisis_stabilization/api/episodes/{id}/": world.episode.pk,
        "/programs/care/api/escalations/{id}/": world.escalation.pk,
        "/programs/homeless_outreach/api/consents/{id}/": world.sharing_consent.pk,
    }
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        if path.startswith("/api/schema") or path.startswith("/api/docs"):
            continue
        url = path
        for prefix, pk in ids.items():
            if path.startswith(prefix):
                url = path.replace("{id}", str(pk))
        url = url.replace("{name}", "intervals")
        assert "{" not in url, f"no id for {path}: add it above"
        operations += [(method.upper(), url) for method in methods]
    return operations


@pytest.mark.django_db
def test_every_operation_refuses_strangers(client, world, nora):
    operations = _operations(world)
    assert len(operations) >= 20
    before = (CallEvent.objects.count(), SosAlert.objects.count())
    for method, url in operations:
        response = client.generic(method, url, "{}", content_type="application/json")
        assert response.status_code in (401, 403), ("signed out", method, url, response.status_code)
    client.force_login(nora)
    audit_before = AuditEntry.objects.count()
    for method, url in operations:
        response = client.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 403, ("no role", method, url, response.status_code)
    assert (CallEvent.objects.count(), SosAlert.objects.count()) == before
    assert AuditEntry.objects.count() == audit_before
