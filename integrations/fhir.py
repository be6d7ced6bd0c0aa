"""HL7 FHIR R4 for referrals: each referral is a ServiceRequest and a Task, in the shape of the Gravity Project's
SDOH Clinical Care IG (SDOHCC-ServiceRequest, SDOHCC-TaskForReferralManagement, STU 2.x).

A partner's system reads both and moves the Task's status (requested → accepted → in-progress → completed /
rejected / cancelled / failed); a status change goes through the referral service (its TRANSITIONS, audit and
events), nothing here writes a referral. fhir.resources (R4B models, which read and write R4's Task and
ServiceRequest unchanged for these elements) validates what goes out and what comes in.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from crisis import permissions
from crisis.errors import InvalidInput
from crisis.models import User
from programs.community_responders import services as referrals
from programs.community_responders.models import FHIR_TASK_STATUS, Referral, ReferralStatus

from . import disclosures

MEDIA_TYPE = "application/fhir+json"
PROFILE_SERVICE_REQUEST = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-ServiceRequest"
PROFILE_TASK = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
# R4 Task.status (https://hl7.org/fhir/R4/valueset-task-status.html): the referral status each one moves to.
REFERRAL_STATUS_FOR_TASK = {fhir: ours for ours, fhir in FHIR_TASK_STATUS.items()}
TASK_STATUSES = (
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)
# ServiceRequest.status follows the loop: open while the Task is, then completed or revoked.
SERVICE_REQUEST_STATUS = {
    ReferralStatus.SENT: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.APPOINTMENT: "active",
    ReferralStatus.ATTENDED: "completed",
    ReferralStatus.NO_SHOW: "completed",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.CANCELLED: "revoked",
}


def _subject(referral: Referral) -> dict[str, Any]:
    person = referral.call.person
    if person is None:
        return {"display": f"Person on call #{referral.call_id} (not identified)"}
    return {"reference": f"Patient/{person.pk}", "display": str(person)}


def _requester(referral: Referral) -> dict[str, Any]:
    owner = referral.owner
    name = (owner.get_full_name() or owner.get_username()) if owner else "Crisis hub"
    return {"display": name}


def service_request(referral: Referral) -> dict[str, Any]:
    resource = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": {"profile": [PROFILE_SERVICE_REQUEST], "lastUpdated": referral.status_changed_at.isoformat()},
        "status": SERVICE_REQUEST_STATUS[referral.status],
        "intent": "order",
        "category": [{"text": "Social determinants of health / behavioral-health follow-up"}],
        "code": {"text": referral.service},
        "subject": _subject(referral),
        "authoredOn": referral.at.isoformat(),
        "requester": _requester(referral),
        "performer": [{"display": referral.agency}],
        "supportingInfo": [{"display": f"Crisis call #{referral.call_id}"}],
    }
    ServiceRequest.model_validate(resource)
    return resource


def task(referral: Referral) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "meta": {"profile": [PROFILE_TASK], "lastUpdated": referral.status_changed_at.isoformat()},
        "status": referral.fhir_status,
        "businessStatus": {"text": referral.get_status_display()},
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                    "display": "Fulfill the focal request",
                }
            ]
        },
        "focus": {"reference": f"ServiceRequest/{referral.pk}"},
        "for": _subject(referral),
        "authoredOn": referral.at.isoformat(),
        "lastModified": referral.status_changed_at.isoformat(),
        "requester": _requester(referral),
        "owner": {"display": referral.agency},
    }
    if referral.due_at is not None:
        resource["restriction"] = {"period": {"end": referral.due_at.isoformat()}}
    Task.model_validate(resource)
    return resource


def transaction_bundle(referral: Referral) -> dict[str, Any]:
    """Both resources as a FHIR transaction, for a partner's FHIR server (POST [base]): create or update each."""
    referral = _load(referral.pk)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
            for resource in (service_request(referral), task(referral))
        ],
    }
    Bundle.model_validate(bundle)
    return bundle


def _load(referral_id: int) -> Referral:
    return Referral.objects.select_related("call__person", "owner", "partner").get(pk=referral_id)


def _disclose(referral: Referral, *, by: User | None, kind: str) -> None:
    disclosures.record(
        actor=by,
        kind="fhir",
        person=referral.call.person,
        about=referral,
        records=[f"{kind}/{referral.pk}"],
    )


def referral_read(*, referral: Referral, by: User | None, resource: str) -> dict[str, Any]:
    """A ServiceRequest or Task read: checked with the referral's own rule, and a disclosure when it is a partner."""
    permissions.require(permissions.may_work_referral, by, referral, "You may not read this referral.")
    referral = _load(referral.pk)
    out = service_request(referral) if resource == "ServiceRequest" else task(referral)
    _disclose(referral, by=by, kind=resource)
    return out


def task_for_patch(*, referral: Referral, by: User | None) -> dict[str, Any]:
    """The Task a JSON Patch applies to. Nothing is sent, so no disclosure: the update's answer is the one."""
    permissions.require(permissions.may_work_referral, by, referral, "You may not update this referral.")
    return task(_load(referral.pk))


def _validation_field(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error.get("loc", ())) or "Task"
    return field, error.get("msg", "invalid")


def task_update(*, referral: Referral, resource: Any, by: User | None) -> dict[str, Any]:
    """A partner's new Task (PUT, or the current Task with a JSON Patch applied): its status moves the referral."""
    permissions.require(permissions.may_work_referral, by, referral, "You may not update this referral.")
    if not isinstance(resource, dict) or resource.get("resourceType") != "Task":
        raise InvalidInput("Send a FHIR Task resource (resourceType Task).", field="resourceType")
    if str(resource.get("id", referral.pk)) != str(referral.pk):
        raise InvalidInput("The Task's id is not the one in the URL.", field="id")
    try:
        Task.model_validate(resource)
    except ValidationError as exc:
        field, message = _validation_field(exc)
        raise InvalidInput(f"{field}: {message}", field=field) from exc
    status = resource["status"]
    if status not in TASK_STATUSES:
        raise InvalidInput(f"status: {status!r} is not a FHIR R4 Task status.", field="status")
    if status not in REFERRAL_STATUS_FOR_TASK:
        raise InvalidInput(f"status: a referral's Task cannot become {status!r}.", field="status")
    target = REFERRAL_STATUS_FOR_TASK[status]
    if target != referral.status:
        note = ""
        for item in resource.get("note") or []:
            note = (item.get("text") or "").strip() or note
        referrals.referral_set_status(referral=referral, status=target, by=by, note=note[:2000])
    referral = _load(referral.pk)
    _disclose(referral, by=by, kind="Task")  # the answer is the updated Task: sent out like a read
    return task(referral)


def apply_json_patch(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902, the subset a Task status update needs: replace/add/remove/test of top-level members."""
    if not isinstance(operations, list) or not operations:
        raise InvalidInput("A PATCH body is a JSON Patch: a list of operations.", field="patch")
    out = dict(document)
    for n, op in enumerate(operations):
        field = f"patch[{n}]"
        if (
            not isinstance(op, dict)
            or not isinstance(op.get("path"), str)
            or op.get("op")
            not in (
                "replace",
                "add",
                "remove",
                "test",
            )
        ):
            raise InvalidInput(f"{field}: op must be replace, add, remove or test, with a path.", field=field)
        parts = op["path"].split("/")
        if len(parts) != 2 or parts[0] != "" or not parts[1]:
            raise InvalidInput(f"{field}: only top-level paths such as /status are supported.", field=field)
        key = parts[1].replace("~1", "/").replace("~0", "~")
        if key in ("resourceType", "id"):
            raise InvalidInput(f"{field}: {key} cannot change.", field=field)
        if op["op"] == "test":
            if out.get(key) != op.get("value"):
                raise InvalidInput(f"{field}: test failed for /{key}.", field=field)
        elif op["op"] == "remove":
            out.pop(key, None)
        else:
            if "value" not in op:
                raise InvalidInput(f"{field}: needs a value.", field=field)
            out[key] = op["value"]
    return out
