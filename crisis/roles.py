"""Roles and what each may do: one table a supervisor can review.

Roles are Django groups; the permissions are model permissions declared in
each app's Meta. `sync_groups` makes the database match this table after
every migrate, so a deployment can never drift from what is reviewed here.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

DISPATCHER = "dispatcher"
RESPONDER = "responder"
SUPERVISOR = "supervisor"
CLINICIAN = "clinician"
OFFICER = "officer"
ADMINISTRATOR = "administrator"
# A partner's system (a 911 CAD, a provider's EHR) calling the API with its own token: one account per partner
# (integrations.PartnerSystem). It has no pages, so it is not in ROLE_ORDER and has no home.
INTEGRATION = "integration"
INTERN = "intern"
# The privacy officer answers a person's request for an accounting of disclosures (45 CFR 164.528) and reviews
# who read their record; nothing else. Last in ROLE_ORDER: any other role a privacy officer holds decides home.
PRIVACY_OFFICER = "privacy_officer"
# Partner agencies' staff (homeless_outreach.PartnerAgencyUser names the agency): the by-name list as the person's
# consent to share with their agency allows, and their own outreach encounters; nothing else on the platform.
POLICE_LIAISON = "police_liaison"
HOUSING_NAVIGATOR = "housing_navigator"

# When a user holds several roles, the first one here decides their home page.
ROLE_ORDER = (
    ADMINISTRATOR,
    SUPERVISOR,
    DISPATCHER,
    CLINICIAN,
    RESPONDER,
    OFFICER,
    INTERN,
    POLICE_LIAISON,
    HOUSING_NAVIGATOR,
    PRIVACY_OFFICER,
)

_CALL_DESK = [
    "dispatch.view_call",
    "dispatch.add_call",
    "dispatch.triage_call",
    "dispatch.close_call",
    "dispatch.view_queue",
    "dispatch.view_premise_history",
    "dispatch.assign_call",
    # The desk's own phone (or a softphone plug-in) reports when a call was answered (dispatch/telephony.py).
    "dispatch.report_answered",
    "responders.view_team",
    # Finding the person a call is about (name, date of birth, alias, phone); every search is audited.
    "crisis.search_people",
]

# Staffing in the Django admin: teams and their members (credentials, languages, supervisors).
# Live state stays read-only there; case records are shown, written only by their services.
_STAFFING = [
    "responders.view_team",
    "responders.add_team",
    "responders.change_team",
    "responders.view_teammember",
    "responders.add_teammember",
    "responders.change_teammember",
    "responders.delete_teammember",
    "programs.view_program",
    "fact.view_enrollment",
    "fact.view_oncallshift",
    "mobile_crisis.view_followup",
    "homeless_outreach.view_outreachcontact",
    # Partner agencies' users (which agency each works for) and the consents to share with them, read-only there.
    "homeless_outreach.view_partneragencyuser",
    "homeless_outreach.view_sharingconsent",
    "community_responders.view_referral",
    "community_responders.view_partner",
    # The officer-consult on-call rota (who is the designated clinician, who the backup, when).
    "le_consult.view_oncallshift",
    "le_consult.add_oncallshift",
    "le_consult.change_oncallshift",
    "le_consult.delete_oncallshift",
    # Interns' terms (onboarding; access ends with the term by itself) and their supervision logs, read-only.
    "responders.view_internterm",
    "responders.add_internterm",
    "responders.change_internterm",
    "responders.view_supervisionnote",
]

# Partners' systems: their accounts, the webhook endpoints they are sent events at, the delivery log and replay.
_INTEGRATIONS_ADMIN = [
    "integrations.view_partnersystem",
    "integrations.add_partnersystem",
    "integrations.change_partnersystem",
    "integrations.view_webhookendpoint",
    "integrations.add_webhookendpoint",
    "integrations.change_webhookendpoint",
    "integrations.view_delivery",
    "integrations.replay_delivery",
    "integrations.exchange_eido",
    "integrations.exchange_fhir",
    "integrations.export_hmis",
]

# Consent-scoped history (crisis/history): search with a stated purpose, break the glass with a reason.
_HISTORY_LOOKUP = ["history.search_history", "history.break_glass", "history.view_part2"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    DISPATCHER: _CALL_DESK,
    # Clinicians embedded in the 911 centre take and resolve calls by phone and
    # may read a person's mental-health history; they do not assign teams.
    # They answer officers' consults and write the response plans officers may see.
    CLINICIAN: [p for p in _CALL_DESK if p != "dispatch.assign_call"]
    + ["crisis.view_person_record", "le_consult.answer_consult", "history.edit_response_plan"]
    # The diversion console: calls the 911 centre transfers to the clinician embedded there.
    + ["diversion.work_diversion"]
    + _HISTORY_LOOKUP,
    SUPERVISOR: _CALL_DESK
    + ["crisis.view_person_record", "crisis.view_reports", "responders.manage_team"]
    # Duplicate people: a supervisor merges them (crisis.people.person_merge), audited.
    + ["crisis.merge_person"]
    + ["homeless_outreach.keep_sharing_consent"]
    + ["le_consult.answer_consult", "le_consult.supervise_consult"]
    + _HISTORY_LOOKUP
    + _STAFFING,
    # Case managers on the care teams hold this role: they find their clients by name, alias or phone.
    RESPONDER: [
        "responders.respond_to_offer",
        "responders.update_own_team",
        "crisis.search_people",
        # Outreach workers record a person's consent to share with a partner agency (and its revocation).
        "homeless_outreach.keep_sharing_consent",
    ],
    # Interns from partner universities, under a supervisor, for a term (responders.InternTerm): they read
    # the call desk and look people up with a stated purpose, but never break the glass and never see Part 2
    # records; in the field they also hold the responder role, and go out only with their supervisor.
    INTERN: ["dispatch.view_call", "dispatch.view_queue", "responders.view_team", "history.search_history"],
    # Officers request a crisis team or a clinician's consult and follow their own requests; nothing else.
    OFFICER: ["dispatch.request_response", "le_consult.request_consult"],
    ADMINISTRATOR: _CALL_DESK
    + [
        "crisis.view_person_record",
        "crisis.view_reports",
        "responders.manage_team",
        "crisis.view_auditentry",
        "crisis.account_disclosures",
        "programs.add_program",
        "programs.change_program",
        # The partner directory referrals point to.
        "community_responders.add_partner",
        "community_responders.change_partner",
        # Who works for which partner agency.
        "homeless_outreach.add_partneragencyuser",
        "homeless_outreach.change_partneragencyuser",
        "homeless_outreach.delete_partneragencyuser",
    ]
    + _STAFFING
    + _INTEGRATIONS_ADMIN,
    # Exchanges incidents with the platform through the API, scoped to its own partner account.
    # A phone system's account reports calls answered (POST /api/telephony/answered).
    INTEGRATION: ["integrations.exchange_eido", "integrations.exchange_fhir", "dispatch.report_answered"],
    PRIVACY_OFFICER: ["crisis.account_disclosures"],
    POLICE_LIAISON: ["homeless_outreach.work_for_partner"],
    HOUSING_NAVIGATOR: ["homeless_outreach.work_for_partner"],
}

ROLE_HOME = {
    ADMINISTRATOR: "dispatch:board",
    SUPERVISOR: "dispatch:board",
    DISPATCHER: "dispatch:board",
    CLINICIAN: "dispatch:board",
    RESPONDER: "phone:home",
    OFFICER: "dispatch:officer_request",
    INTERN: "interns",
    PRIVACY_OFFICER: "privacy:index",
    POLICE_LIAISON: "programs:homeless_outreach:list",
    HOUSING_NAVIGATOR: "programs:homeless_outreach:list",
}


def sync_groups() -> None:
    from django.contrib.auth.models import Group, Permission

    # Custom permissions are created by post_migrate per app; make sure all
    # exist before granting them, whatever order the apps migrated in.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def sync_groups_after_migrate(sender, app_config=None, **kwargs) -> None:
    # Run once, after the last of our apps has migrated.
    if app_config is not None and app_config.label == "dispatch":
        sync_groups()
