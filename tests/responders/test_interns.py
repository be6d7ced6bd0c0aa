"""Interns (responders/interns.py): the term, access that ends with it, the supervision log, never Part 2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from crisis.errors import InvalidInput, InvalidTransition
from crisis.history import services as history
from crisis.history.models import Consent, Part2Record
from crisis.models import ApiToken, AuditEntry, User
from responders import interns
from responders.models import InternTerm, SupervisionNote
from tests.conftest import make_user
from tests.factories import api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivy(sue):
    """An intern in the 911 centre, supervised by sue, whose term runs until tomorrow."""
    user = make_user("ivy", "intern")
    today = timezone.localdate()
    interns.intern_term_save(
        user=user,
        university="UIC Jane Addams College of Social Work",
        supervisor=sue,
        starts_on=today - timedelta(days=90),
        ends_on=today + timedelta(days=1),
        by=sue,
    )
    return User.objects.get(pk=user.pk)


def test_a_term_is_saved_with_its_checks_and_audited(ivy, sue):
    term = InternTerm.objects.get(user=ivy)
    assert (term.supervisor, term.ended_at) == (sue, None)
    assert AuditEntry.objects.filter(action="responders.intern_term.saved", object_id=str(term.pk)).exists()
    today = timezone.localdate()
    with pytest.raises(InvalidInput):
        interns.intern_term_save(
            user=ivy, university="U", supervisor=sue, starts_on=today, ends_on=today - timedelta(1), by=sue
        )
    with pytest.raises(InvalidInput):
        interns.intern_term_save(user=ivy, university="U", supervisor=ivy, starts_on=today, ends_on=today, by=sue)
    with pytest.raises(InvalidInput):
        interns.intern_term_save(user=ivy, university=" ", supervisor=sue, starts_on=today, ends_on=today, by=sue)


def test_access_ends_by_itself_the_day_after_the_term(ivy, sue):
    client = Client()
    client.force_login(ivy)
    assert client.get("/interns/").status_code == 200
    api_token(ivy)
    # The last day of the term still counts.
    assert interns.intern_terms_end_due(now=timezone.now() + timedelta(days=1)) == 0
    assert interns.intern_terms_end_due(now=timezone.now() + timedelta(days=2)) == 1
    ivy.refresh_from_db()
    assert not ivy.is_active and not ApiToken.objects.filter(user=ivy).exists()
    assert InternTerm.objects.get(user=ivy).ended_at is not None
    response = client.get("/interns/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    revoked = AuditEntry.objects.get(action="crisis.access.revoked", object_id=str(ivy.pk))
    assert revoked.detail["reason"] == "intern_term_ended" and revoked.detail["sessions_ended"] == 1
    # Once: a second sweep finds nothing to do.
    assert interns.intern_terms_end_due(now=timezone.now() + timedelta(days=3)) == 0
    assert AuditEntry.objects.filter(action="crisis.access.revoked").count() == 1


def test_the_beat_runs_the_end_of_terms():
    assert settings.CELERY_BEAT_SCHEDULE["intern-terms-end"]["task"] == "responders.tasks.intern_terms_end"


def test_the_supervisor_signs_the_interns_notes_once(ivy, sue, cam):
    note = interns.supervision_note_add(by=ivy, text="Took my first diverted call with Sue listening in.")
    with pytest.raises(PermissionDenied):
        interns.supervision_note_add(by=cam, text="I am not an intern")
    with pytest.raises(PermissionDenied):
        interns.supervision_note_sign(note=note, by=cam)
    with pytest.raises(PermissionDenied):
        interns.supervision_note_sign(note=note, by=ivy)
    signed = interns.supervision_note_sign(note=note, by=sue, comment="Good grounding; slow down the screen.")
    assert (signed.signed_by, signed.comment) == (sue, "Good grounding; slow down the screen.")
    with pytest.raises(InvalidTransition):
        interns.supervision_note_sign(note=note, by=sue)
    actions = AuditEntry.objects.filter(action__startswith="responders.supervision_note.").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["responders.supervision_note.added", "responders.supervision_note.signed"]


def test_an_intern_never_sees_part2_records_even_with_consent(ivy, cam, person):
    Part2Record.objects.create(person=person, on="2025-01-02", program_name="Harbor OTP", summary="Methadone")
    Consent.objects.create(person=person, scope="part2")
    seen = history.history_view(person=person, by=ivy, purpose="Diverted call, checking for a plan")
    assert seen.part2 is None and "not shown to interns" in seen.locked["part2"]
    with pytest.raises(PermissionDenied):  # and never breaks the glass
        history.history_view(person=person, by=ivy, purpose="Diverted call", break_glass_reason="Caller is in danger")
    assert history.history_view(person=person, by=cam, purpose="Diverted call, checking").part2 is not None


def test_an_intern_given_a_clinicians_role_still_never_sees_part2(ivy, person):
    from django.contrib.auth.models import Group

    ivy.groups.add(Group.objects.get(name="clinician"))
    ivy = User.objects.get(pk=ivy.pk)
    Part2Record.objects.create(person=person, on="2025-01-02", program_name="Harbor OTP", summary="Methadone")
    Consent.objects.create(person=person, scope="part2")
    assert history.history_view(person=person, by=ivy, purpose="Diverted call, checking").part2 is None


@pytest.mark.parametrize("persona, status", [("ivy", 200), ("sue", 200), ("cam", 403), ("dana", 403), ("oli", 403)])
def test_the_interns_page_is_for_interns_and_their_supervisors(client, ivy, persona, status, request):
    client.force_login(ivy if persona == "ivy" else request.getfixturevalue(persona))
    assert client.get("/interns/").status_code == status
    assert client.get("/api/interns/notes/").status_code == status


def test_the_log_through_the_page_and_the_api(client, ivy, sue):
    client.force_login(ivy)
    assert client.post("/interns/", {"text": ""}).status_code == 400
    assert client.post("/interns/", {"text": "Shadowed a welfare check."}).status_code == 302
    response = client.post("/api/interns/notes/", {"text": "Second note"}, content_type="application/json")
    assert response.status_code == 201
    note = SupervisionNote.objects.order_by("pk").first()
    assert client.post(f"/api/interns/notes/{note.pk}/sign/", {}, content_type="application/json").status_code == 403
    client.force_login(sue)
    rows = client.get("/api/interns/notes/").json()
    assert {r["text"] for r in rows} == {"Shadowed a welfare check.", "Second note"}
    assert client.post(f"/interns/notes/{note.pk}/sign/", {"comment": "ok"}).status_code == 302
    again = client.post(f"/api/interns/notes/{note.pk}/sign/", {}, content_type="application/json")
    assert again.status_code == 409
    assert "Signed off by" in client.get("/interns/").content.decode()


def test_the_staffing_roles_see_every_term_for_turnover(client, ivy, ada):
    client.force_login(ada)
    html = client.get("/interns/").content.decode()
    turnover = html[html.index('id="turnover"') :]
    assert "Ivy" in turnover and "UIC Jane Addams" in turnover and "active" in turnover
    interns.intern_terms_end_due(now=timezone.now() + timedelta(days=2))
    assert "ended " in client.get("/interns/").content.decode().split('id="turnover"')[1]
