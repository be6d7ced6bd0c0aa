"""A FACT team's caseload: enrolling and discharging justice-involved clients."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import audit
from crisis.errors import Conflict, InvalidInput, InvalidTransition

from .models import Enrollment


def enrollment_create(*, person, team, by, enrolled_on=None) -> Enrollment:
    if team.program.kind != "fact":
        raise InvalidInput(f"{team.name} is not a FACT team.", field="team")
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                person=person, team=team, enrolled_on=enrolled_on or timezone.localdate()
            )
    except IntegrityError as exc:  # the partial unique constraint: one open enrollment per person
        raise Conflict(f"{person} is already enrolled with a FACT team.") from exc
    audit.record(actor=by, action="fact.enrollment.created", obj=enrollment, person=person.pk, team=team.pk)
    return enrollment


def enrollment_discharge(*, enrollment: Enrollment, by, discharged_on=None) -> Enrollment:
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.discharged_on is not None:
            raise InvalidTransition("This client is already discharged.")
        enrollment.discharged_on = discharged_on or timezone.localdate()
        if enrollment.discharged_on < enrollment.enrolled_on:
            raise InvalidInput("Discharge cannot be before enrolment.", field="discharged_on")
        enrollment.save(update_fields=["discharged_on"])
        audit.record(actor=by, action="fact.enrollment.discharged", obj=enrollment, person=enrollment.person_id)
    return enrollment
