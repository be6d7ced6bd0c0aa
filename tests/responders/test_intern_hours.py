"""Interns' hours (responders/interns.py `intern_hours_log` / `intern_hours_sign`, `intern_term_end_early`) and
the program managers' turnover view (responders/selectors.py `intern_turnover`, the page and its CSV)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import AuditEntry, User
from responders import interns, selectors
from responders.models import InternHours, InternTerm
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def term_for(name, supervisor, *, university="UIC", starts, ends, required=0):
    user = make_user(name, "intern")
    interns.intern_term_save(
        user=user, university=university, supervisor=supervisor, starts_on=starts, ends_on=ends, by=supervisor,
        required_hours=required,
    )  # fmt: skip
    return User.objects.get(pk=user.pk)


@pytest.fixture
def ivy(sue):
    return term_for("ivy", sue, starts=TODAY - timedelta(days=60), ends=TODAY + timedelta(days=10), required=120)


def test_hours_are_logged_within_the_term_and_at_most_24_a_day(ivy, sue):
    entry = interns.intern_hours_log(by=ivy, on=TODAY, hours="7.5", activity="Phones in the 911 centre")
    assert (entry.hours, entry.signed_at, entry.term.user) == (Decimal("7.50"), None, ivy)
    assert AuditEntry.objects.filter(action="responders.intern_hours.logged", object_id=str(entry.pk)).exists()
    interns.intern_hours_log(by=ivy, on=TODAY, hours=16.5, activity="A long night shift")  # 24 exactly
    for on, hours, field in [
        (TODAY, "0.25", "hours"),  # the day is full
        (TODAY - timedelta(days=1), "0", "hours"),
        (TODAY - timedelta(days=1), "24.5", "hours"),
        (TODAY - timedelta(days=1), "many", "hours"),
        (TODAY + timedelta(days=1), "2", "on"),  # not ahead
        (TODAY - timedelta(days=61), "2", "on"),  # before the term
    ]:
        with pytest.raises(InvalidInput) as exc:
            interns.intern_hours_log(by=ivy, on=on, hours=hours, activity="x")
        assert exc.value.field == field, (on, hours)
    with pytest.raises(InvalidInput):
        interns.intern_hours_log(by=ivy, on=TODAY - timedelta(days=1), hours=1, activity="  ")
    with pytest.raises(PermissionDenied):
        interns.intern_hours_log(by=sue, on=TODAY, hours=1, activity="Not an intern")
    assert InternHours.objects.count() == 2


def test_only_the_supervisor_signs_hours_once_and_only_signed_hours_count(ivy, sue, cam):
    entry = interns.intern_hours_log(by=ivy, on=TODAY, hours=3, activity="Co-response ride-along")
    interns.intern_hours_log(by=ivy, on=TODAY, hours=2, activity="Supervision meeting")
    term = InternTerm.objects.get(user=ivy)
    assert selectors.hours_signed(term) == 0
    for who in (cam, ivy):
        with pytest.raises(PermissionDenied):
            interns.intern_hours_sign(entry=entry, by=who)
    interns.intern_hours_sign(entry=entry, by=sue)
    with pytest.raises(InvalidTransition):
        interns.intern_hours_sign(entry=entry, by=sue)
    assert selectors.hours_signed(term) == Decimal(3)
    assert AuditEntry.objects.filter(action="responders.intern_hours.signed", actor=sue).count() == 1


def test_a_program_manager_ends_a_term_early_with_a_reason_and_access_ends(ivy, sue, cam):
    term = InternTerm.objects.get(user=ivy)
    with pytest.raises(PermissionDenied):
        interns.intern_term_end_early(term=term, by=cam, reason="Left")
    with pytest.raises(InvalidInput):
        interns.intern_term_end_early(term=term, by=sue, reason=" ")
    term = interns.intern_term_end_early(term=term, by=sue, reason="Placement moved to another agency")
    assert term.ended_at is not None and term.end_reason == "Placement moved to another agency"
    assert not User.objects.get(pk=ivy.pk).is_active
    assert AuditEntry.objects.filter(action="responders.intern_term.ended_early", actor=sue).count() == 1
    with pytest.raises(InvalidTransition):
        interns.intern_term_end_early(term=term, by=sue, reason="Again")


@pytest.fixture
def cohort(sue):
    """Four terms in 2026 (Jan-Jun range) at two universities; today is 2026-06-01 for these counts."""
    d = date
    a = term_for("amy", sue, starts=d(2026, 1, 5), ends=d(2026, 5, 1), required=100)  # ran out on 2 May
    b = term_for("ben", sue, starts=d(2026, 2, 2), ends=d(2026, 6, 20), required=80)  # active, ends in 19 days
    c = term_for("cal", sue, university="Loyola", starts=d(2026, 1, 12), ends=d(2026, 6, 30))  # left early
    e = term_for("eve", sue, university="Loyola", starts=d(2026, 7, 1), ends=d(2026, 12, 1))  # not yet started
    term_for("old", sue, starts=d(2025, 1, 5), ends=d(2025, 5, 1))  # outside the range
    tz = timezone.get_current_timezone()
    interns.intern_term_end(term=a.intern_term, now=datetime.combine(d(2026, 5, 2), time(0, 5), tzinfo=tz))
    interns.intern_term_end(
        term=c.intern_term, now=datetime.combine(d(2026, 3, 10), time(15), tzinfo=tz), reason="Moved away"
    )
    for user, hours, signed in [(a, 20, True), (a, 20, True), (b, 15, True), (b, 5, False)]:
        entry = InternHours.objects.create(
            term=user.intern_term, on=user.intern_term.starts_on, hours=hours, activity="x"
        )
        if signed:
            interns.intern_hours_sign(entry=entry, by=sue)
    return {"amy": a, "ben": b, "cal": c, "eve": e}


def test_turnover_by_university_with_early_departures_tenure_hours_and_upcoming_ends(cohort):
    t = selectors.intern_turnover(start=date(2026, 1, 1), end=date(2026, 6, 30), today=date(2026, 6, 1))
    assert [r.term.user.username for r in t.terms] == ["cal", "amy", "ben"]  # by university, then last day
    states = {r.term.user.username: r.state for r in t.terms}
    assert states == {"amy": "ended", "ben": "active", "cal": "ended early"}
    unis = {u.university: u for u in t.universities}
    uic, loyola = unis["UIC"], unis["Loyola"]
    assert (uic.started, uic.ended, uic.early, uic.active) == (2, 1, 0, 1)
    assert (loyola.started, loyola.ended, loyola.early, loyola.active) == (1, 1, 1, 0)
    # Tenure: amy 5 Jan - 2 May (118 days), cal 12 Jan - 10 Mar (58 days); ben is still there.
    assert (uic.average_tenure_days, loyola.average_tenure_days, t.total.average_tenure_days) == (118, 58, 88)
    assert (uic.hours_signed, uic.hours_required, t.total.hours_signed) == (Decimal(55), 180, Decimal(55))
    (ben,) = t.upcoming  # ends 20 Jun, within 30 days; eve is outside the range and not yet started
    assert ben.term.user.username == "ben" and ben.hours_short == Decimal(65) and ben.hours_pending == Decimal(5)
    assert dict(ben.checklist) == {
        "Account active": True,
        "On a team": False,
        "Supervisor on the same team": False,
        "Required hours signed off": False,
        "Log signed off": False,
    }


def test_the_turnover_page_and_its_csv_are_for_program_managers_and_audited(client, cohort, sue, ada, cam, dana):
    query = "?start=2026-01-01&end=2026-06-30"
    for who in (cam, dana, cohort["ben"]):
        client.force_login(who)
        assert client.get("/interns/turnover/" + query).status_code == 403
        assert client.get("/interns/turnover.csv" + query).status_code == 403
    client.force_login(ada)
    page = client.get("/interns/turnover/" + query)
    assert page.status_code == 200 and 'id="turnover-total"' in page.content.decode()
    assert AuditEntry.objects.filter(action="responders.intern_turnover.viewed", actor=ada).count() == 1
    assert client.get("/interns/turnover/?start=2026-06-30&end=2026-01-01").status_code == 400
    got = client.get("/interns/turnover.csv" + query)
    rows = list(csv.reader(io.StringIO(got.content.decode())))
    assert rows[0][:6] == ["Intern", "University", "Supervisor", "Starts", "Ends", "State"]
    assert [(r[0], r[5], r[7]) for r in rows[1:]] == [
        ("Cal", "ended early", "Moved away"),
        ("Amy", "ended", ""),
        ("Ben", "active", ""),
    ]
    exported = AuditEntry.objects.get(action="responders.intern_turnover.exported")
    assert exported.actor == ada and len(exported.detail["terms"]) == 3


def test_the_intern_logs_hours_on_the_page_and_the_supervisor_approves(client, ivy, sue):
    client.force_login(ivy)
    bad = client.post("/interns/hours/", {"on": str(TODAY + timedelta(days=1)), "hours": "2", "activity": "x"})
    assert bad.status_code == 400 and "not ahead" in bad.content.decode()
    ok = client.post("/interns/hours/", {"on": str(TODAY), "hours": "2.5", "activity": "Safety plans"})
    assert ok.status_code == 302
    assert "0 of 120 required signed off" in client.get("/interns/").content.decode()
    entry = InternHours.objects.get()
    client.force_login(sue)
    assert client.post(f"/interns/hours/{entry.pk}/sign/").status_code == 302
    client.force_login(ivy)
    assert "2.50 of 120 required signed off" in client.get("/interns/").content.decode()


def test_ending_early_on_the_turnover_page_needs_a_reason(client, ivy, sue):
    term = InternTerm.objects.get(user=ivy)
    client.force_login(sue)
    refused = client.post(f"/interns/terms/{term.pk}/end/", {"reason": ""})
    assert refused.status_code == 400 and InternTerm.objects.get(pk=term.pk).ended_at is None
    assert client.post(f"/interns/terms/{term.pk}/end/", {"reason": "Withdrew"}).status_code == 302
    again = client.post(f"/interns/terms/{term.pk}/end/", {"reason": "Withdrew"})
    assert again.status_code == 409 and "already ended" in again.content.decode()
