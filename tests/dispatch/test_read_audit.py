"""Audit completeness: every read of health information writes exactly one audit row, naming what was shown."""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry, User
from dispatch import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(dana, team_a, new_call):
    call = new_call(narrative="He says he has a knife.")
    services.call_triage(call=call, screen={"weapons": True}, by=dana)
    call.refresh_from_db()
    services.assignment_offer(call=call, team=team_a)
    return call


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser(username="root", password="a long admin passphrase 9")


def _reads(dana, rita, admin_user, call, other_call, person, team_a, sue):
    """(who, path, the one audit row it must write: action, object id, detail subset)."""
    return [
        (dana, f"/api/calls/{call.pk}/", ("dispatch.call.viewed", str(call.pk), {"via": "api"})),
        (dana, f"/dispatch/calls/{call.pk}/", ("dispatch.call.viewed", str(call.pk), {"via": "page"})),
        (dana, "/dispatch/", ("dispatch.queue.viewed", "", {"via": "page"})),
        (sue, "/reports/standards/breaches.csv", ("dispatch.report.exported", "", {"report": "standards"})),
        (dana, "/api/calls/", ("dispatch.calls.listed", "", {"via": "api", "calls": sorted([call.pk, other_call.pk])})),
        (dana, "/api/board/", ("dispatch.board.viewed", "", {"calls": sorted([call.pk, other_call.pk])})),
        (rita, "/api/my-team/", ("dispatch.my_team.viewed", "", {"team": team_a.pk, "calls": [call.pk]})),
        (
            admin_user,
            f"/admin/crisis/person/{person.pk}/change/",
            ("people.person.viewed", str(person.pk), {"via": "admin"}),
        ),
        (
            admin_user,
            f"/admin/dispatch/call/{call.pk}/change/",
            ("dispatch.call.viewed", str(call.pk), {"via": "admin"}),
        ),
    ]


def test_every_health_information_read_writes_one_audit_row(
    client, dana, rita, admin_user, offered, new_call, person, team_a, sue
):
    other_call = new_call(nature="elsewhere in the region")
    for user, path, (action, object_id, detail) in _reads(
        dana, rita, admin_user, offered, other_call, person, team_a, sue
    ):
        client.force_login(user)
        before = AuditEntry.objects.count()
        assert client.get(path).status_code == 200, path
        rows = list(AuditEntry.objects.order_by("-id")[: AuditEntry.objects.count() - before])
        assert len(rows) == 1, (path, [r.action for r in rows])
        row = rows[0]
        assert (row.action, row.object_id, row.actor_id) == (action, object_id, user.pk), path
        shown = {k: sorted(v) if isinstance(v, list) else v for k, v in row.detail.items()}
        assert detail.items() <= shown.items(), (path, row.detail)


def test_a_refused_read_writes_no_read_row(client, rita, offered):
    client.force_login(rita)
    assert client.get("/api/board/").status_code == 403
    assert not AuditEntry.objects.filter(action__endswith=".viewed").exists()
