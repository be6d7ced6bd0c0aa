"""The one permission source: who may do what to which row.

Roles grant model permissions (the reviewed table in `crisis/roles.py`); the
predicates here add what depends on the row, such as "is this responder an
*active* member of this team". Services, views, the API and the websocket
consumer all ask these predicates, so a rule exists once. They are also
registered as object permissions with django-rules (`user.has_perm(
"responders.act_for_team", team)`), which is what templates and DRF see.

This module sits in the core layer: it never imports the roster or dispatch.
A user's team membership is read through the `membership` reverse accessor
that the roster's model declares, and a team or call is anything with a
`pk` / `team_id`.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied

from . import realtime


def _perm(codename: str) -> rules.Predicate:
    return rules.predicate(lambda user: user.has_perm(codename), name=f"has_perm:{codename}")


@rules.predicate
def is_active_user(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def active_team_id(user) -> int | None:
    """The team this user is an active member of, or None (no membership, or deactivated)."""
    membership = getattr(user, "membership", None)
    if membership is None or not membership.active:
        return None
    return membership.team_id


# A dispatch desk (or a team manager) may act for any team; this is the
# "dispatcher override" that moves a team when its phone is dead.
is_dispatch_desk = _perm("dispatch.assign_call") | _perm("responders.manage_team")
is_responder = _perm("responders.update_own_team")


@rules.predicate
def is_active_member_of_team(user, team) -> bool:
    team_id = getattr(team, "pk", team)
    return team_id is not None and active_team_id(user) == team_id


@rules.predicate
def is_on_calls_team(user, call) -> bool:
    return call.team_id is not None and active_team_id(user) == call.team_id


# The desk's own moves on a call's teams (withdraw an offer, pull a team back).
may_dispatch = is_active_user & _perm("dispatch.assign_call")
may_act_for_team = is_active_user & (is_dispatch_desk | (is_responder & is_active_member_of_team))
may_answer_offer = is_active_user & (
    is_dispatch_desk | (_perm("responders.respond_to_offer") & is_active_member_of_team)
)
may_raise_sos = is_active_user & is_responder & is_active_member_of_team
may_work_call = is_active_user & (is_dispatch_desk | (is_responder & is_on_calls_team))
may_clear_call = is_active_user & (_perm("dispatch.close_call") | (is_responder & is_on_calls_team))
may_note_call = is_active_user & (_perm("dispatch.view_call") | (is_responder & is_on_calls_team))

# Care after the call (follow-ups): the team that went out owns the record, a supervisor oversees every team's.
# The dispatch desk is left out on purpose: a follow-up is clinical care, not desk work.
is_care_supervisor = _perm("responders.manage_team")


@rules.predicate
def is_on_records_team(user, record) -> bool:
    """`record` is any row with a `team_id` (a follow-up, an enrolment)."""
    return record.team_id is not None and active_team_id(user) == record.team_id


@rules.predicate
def is_on_a_team(user) -> bool:
    return active_team_id(user) is not None


may_work_follow_up = is_active_user & (is_care_supervisor | (is_responder & is_on_records_team))
# The list itself: a supervisor sees every team's, a responder on an active team their own team's.
may_list_follow_ups = is_active_user & (is_care_supervisor | (is_responder & is_on_a_team))


@rules.predicate
def is_records_owner(user, record) -> bool:
    return record.owner_id is not None and record.owner_id == getattr(user, "pk", None)


@rules.predicate
def may_note_records_call(user, record) -> bool:
    return may_note_call.test(user, record.call)


# A referral is worked by whoever may note its call (the desk, the call's team) and by its owner.
@rules.predicate
def is_referrals_partner_account(user, record) -> bool:
    """A partner's own API account (integrations.PartnerSystem) for a referral made to that partner."""
    system = getattr(user, "partner_system", None)
    partner_id = getattr(system, "directory_partner_id", None)
    return bool(system and system.active and partner_id and partner_id == getattr(record, "partner_id", None))


may_work_referral = is_active_user & (is_records_owner | may_note_records_call | is_referrals_partner_account)


# Web Push of offers (dispatch/push.py): a responder on a team registers their own browsers and only
# ever removes their own (`obj` is the subscription, or None when registering a new one).
@rules.predicate
def is_subscription_owner(user, subscription) -> bool:
    return subscription is None or subscription.user_id == getattr(user, "pk", None)


may_manage_push_subscription = is_active_user & is_responder & is_subscription_owner

# A team's caseload (FACT clients, their goals, contacts and outcomes): the same rule as a follow-up, the team that
# carries the client and a supervisor; the dispatch desk is left out (a caseload is clinical care).
may_work_enrollment = may_work_follow_up
may_list_caseload = may_list_follow_ups
# Enrolling a client onto a team: that team's responders or a supervisor.
may_enrol_on_team = is_active_user & (is_care_supervisor | (is_responder & is_active_member_of_team))
# The team's on-call rota is kept by supervisors (who carries the phone at 3 a.m. is a staffing decision).
may_keep_on_call_rota = is_active_user & is_care_supervisor


@rules.predicate
def is_on_enrolled_team(user, enrollment) -> bool:
    return enrollment is not None and is_on_records_team.test(user, enrollment)


# On a call about an enrolled client: the client's own team (on its phone) and supervisors see the care-plan essentials.
may_see_care_brief = is_active_user & (is_care_supervisor | (is_responder & is_on_enrolled_team))

# A crisis stabilization episode: its owner, the team that carries it, and supervisors. Opening one on a team follows
# the enrolment rule (that team's responders or a supervisor).
may_work_episode = is_active_user & (is_care_supervisor | is_records_owner | (is_responder & is_on_records_team))
may_open_episode_on_team = may_enrol_on_team


# A stalled hand-off's escalation (programs.Escalation): the owner's alert is the owner's (or, with no owner,
# the owning team's); the supervisors' alert is the care supervisors'. Supervisors may acknowledge both.
@rules.predicate
def is_escalations_recipient(user, escalation) -> bool:
    if escalation.level != "owner":
        return False
    if escalation.owner_id is not None:
        return escalation.owner_id == getattr(user, "pk", None)
    return is_responder.test(user) and escalation.team_id is not None and active_team_id(user) == escalation.team_id


may_acknowledge_escalation = is_active_user & (is_care_supervisor | is_escalations_recipient)
# "My caseload today": a responder on a team (case managers, clinicians in the field), and care supervisors.
may_see_care_caseload = may_list_caseload

rules.add_perm("responders.act_for_team", may_act_for_team)
rules.add_perm("responders.answer_offer_for_team", may_answer_offer)
rules.add_perm("responders.raise_sos_for_team", may_raise_sos)
rules.add_perm("dispatch.work_call", may_work_call)
rules.add_perm("dispatch.clear_call", may_clear_call)
rules.add_perm("dispatch.note_call", may_note_call)
rules.add_perm("mobile_crisis.work_follow_up", may_work_follow_up)
rules.add_perm("community_responders.work_referral", may_work_referral)
rules.add_perm("fact.work_enrollment", may_work_enrollment)
rules.add_perm("crisis_stabilization.work_episode", may_work_episode)


# --- Officer consults (programs/le_consult) --------------------------------------
# A consult is anything with officer_id, clinician_id (the designated on-call clinician), backup_id,
# assigned_to_id (who accepted it) and escalated_at (set once the backup and supervisors were called in).
is_consult_supervisor = _perm("le_consult.supervise_consult")
may_request_consult = is_active_user & _perm("le_consult.request_consult")


@rules.predicate
def is_consult_officer(user, consult) -> bool:
    return consult is not None and consult.officer_id == user.pk


@rules.predicate
def is_called_to_consult(user, consult) -> bool:
    """The designated clinician, whoever accepted it, or (once escalated) the backup."""
    if consult is None:
        return False
    if user.pk in (consult.clinician_id, consult.assigned_to_id):
        return True
    return consult.escalated_at is not None and user.pk == consult.backup_id


@rules.predicate
def is_consult_handler(user, consult) -> bool:
    return consult is not None and consult.assigned_to_id is not None and consult.assigned_to_id == user.pk


_answers_consults = _perm("le_consult.answer_consult")
may_follow_consult = is_active_user & (
    (may_request_consult & is_consult_officer) | (_answers_consults & is_called_to_consult) | is_consult_supervisor
)
may_accept_consult = is_active_user & _answers_consults & (is_called_to_consult | is_consult_supervisor)
may_message_consult = is_active_user & (
    (may_request_consult & is_consult_officer) | (_answers_consults & is_consult_handler) | is_consult_supervisor
)
may_close_consult = is_active_user & ((_answers_consults & is_consult_handler) | is_consult_supervisor)
may_cancel_consult = is_active_user & may_request_consult & is_consult_officer

# Video from the field is between two people only: the officer who asked and the clinician handling it (not
# supervisors, not the backup): a third browser in a peer-to-peer call would be an unseen listener.
may_join_consult_video = is_active_user & (
    (may_request_consult & is_consult_officer) | (_answers_consults & is_consult_handler)
)

# The person's consent before the video and the note after it: the clinician handling the consult only.
may_document_consult_video = is_active_user & _answers_consults & is_consult_handler

rules.add_perm("le_consult.follow_consult", may_follow_consult)
rules.add_perm("le_consult.accept_consult", may_accept_consult)
rules.add_perm("le_consult.message_consult", may_message_consult)
rules.add_perm("le_consult.close_consult", may_close_consult)

# --- 911 dispatch diversion (programs/diversion) ---------------------------------------
# The 911 CAD transfers a call (may_transfer_diversion, below with the partner accounts); a diversion clinician
# takes it (first one wins), and from then on only that clinician documents, refers, resolves or escalates it.
may_work_diversion = is_active_user & _perm("diversion.work_diversion")


@rules.predicate
def is_diversion_clinician(user, diversion) -> bool:
    return diversion is not None and diversion.clinician_id is not None and diversion.clinician_id == user.pk


may_handle_diversion = may_work_diversion & is_diversion_clinician


# --- Interns (responders/interns.py) ------------------------------------------------------
@rules.predicate
def has_open_intern_term(user) -> bool:
    term = getattr(user, "intern_term", None) if getattr(user, "pk", None) else None
    return term is not None and term.ended_at is None


@rules.predicate
def is_notes_supervisor(user, note) -> bool:
    return note is not None and note.term.supervisor_id == user.pk


may_write_supervision_note = is_active_user & has_open_intern_term
may_sign_supervision_note = is_active_user & is_notes_supervisor
# Hours are logged and signed as the supervision log's notes are (the row's term names the supervisor).
may_log_intern_hours = may_write_supervision_note
may_sign_intern_hours = may_sign_supervision_note
# Program managers (the staffing roles: supervisors, administrators) keep the terms and see turnover.
may_manage_intern_terms = is_active_user & _perm("responders.change_internterm")
may_view_intern_turnover = is_active_user & _perm("responders.view_internterm")


# --- Consent-scoped history (crisis/history) ----------------------------------------
# Searching and reading a person's history needs the role and a stated purpose (the service refuses an empty
# one); clinical history beyond the response plan needs the person's consent or break-the-glass; Part 2
# records need the person's Part 2 consent, always. Officers hold none of these: they see only the plan's
# officer view, through a consult (`may_see_officer_plan`).
# People search (crisis.people): the desk, clinicians, case managers; the merge of duplicates, supervisors.
may_search_people = is_active_user & _perm("crisis.search_people")
may_merge_people = is_active_user & _perm("crisis.merge_person")
# Tying a call to a known person record is for the roles that find people; an officer's request describes the
# person instead (who is on file is not an officer's to learn, not even as "that id does not exist").
may_link_call_person = may_search_people
LINK_PERSON_REFUSED = "Your role cannot tie a call to a person record: describe the person instead."


@rules.predicate
def is_with_active_partner_agency(user) -> bool:
    # homeless_outreach.PartnerAgencyUser, read by its reverse accessor (the core never imports a program).
    link = getattr(user, "partner_agency", None) if getattr(user, "pk", None) else None
    return link is not None and link.partner.active


# Partner-agency users (police homeless liaison, housing navigator): their role, for an agency still active in the
# partner directory. What they see of a person on the by-name list is what the person's consent allows.
is_partner_agency_user = _perm("homeless_outreach.work_for_partner") & is_with_active_partner_agency
# The homeless outreach by-name list: the desk, supervisors, responders on a team (outreach workers) and partners.
may_see_by_name_list = is_active_user & (
    _perm("dispatch.view_call") | is_care_supervisor | (is_responder & is_on_a_team) | is_partner_agency_user
)
# Recording an outreach contact: the desk for any team, a responder for their own (the service checks which team),
# a partner agency's user for their agency.
may_record_outreach = is_active_user & (is_dispatch_desk | (is_responder & is_on_a_team) | is_partner_agency_user)
# Consent to share with a partner agency: recorded and revoked by outreach staff (never by the partner itself).
may_keep_sharing_consent = is_active_user & _perm("homeless_outreach.keep_sharing_consent") & ~is_partner_agency_user
may_search_history = is_active_user & _perm("history.search_history")
may_break_glass = may_search_history & _perm("history.break_glass")


@rules.predicate
def is_intern(user) -> bool:
    # Any intern term, ended or not: an intern never reads Part 2 records, whatever roles they were given.
    return getattr(user, "pk", None) is not None and hasattr(user, "intern_term")


# 42 CFR Part 2 records: with the person's Part 2 consent, to roles that hold the permission, never to interns.
may_see_part2 = may_search_history & _perm("history.view_part2") & ~is_intern
may_edit_response_plan = is_active_user & _perm("history.edit_response_plan")


@rules.predicate
def plan_allows_officer_view(user, plan) -> bool:
    return plan is not None and plan.officer_view


may_see_officer_plan = is_active_user & may_request_consult & plan_allows_officer_view


# Partners' systems (integrations/): an administrator replays webhook deliveries; a partner's own API account
# (the integration role) exchanges 911 incidents, and only while its partner is active.
may_replay_delivery = is_active_user & _perm("integrations.replay_delivery")


@rules.predicate
def is_active_partner_account(user) -> bool:
    partner = getattr(user, "partner_system", None)
    return partner is not None and partner.active


may_export_hmis = is_active_user & _perm("integrations.export_hmis")
# A call transferred to the 911 diversion clinicians: the call desk's token, or a CAD partner's own API account
# (it exchanges 911 incidents), only while its partner is active.
may_transfer_diversion = is_active_user & (
    _perm("dispatch.add_call") | (_perm("integrations.exchange_eido") & is_active_partner_account)
)
may_exchange_eido = (
    is_active_user & _perm("integrations.exchange_eido") & (is_active_partner_account | _perm("dispatch.view_call"))
)


# Address lookup (crisis/geo): the call desk taking a call, and officers placing their own requests. Addresses are
# places, not person data; responders read the addresses of their calls and need no lookup.
may_look_up_addresses = is_active_user & (
    _perm("dispatch.view_queue")
    | _perm("dispatch.add_call")
    | _perm("dispatch.request_response")
    | _perm("le_consult.request_consult")
)


def require(predicate: rules.Predicate, user, obj: Any, message: str) -> None:
    """Refuse with PermissionDenied (403) unless `predicate(user, obj)`. `user=None` is the system itself."""
    if user is None:
        return
    if not predicate.test(user, obj):
        raise PermissionDenied(message)


def dispatch_region(user) -> str | None:
    """The region whose open calls a dispatch desk follows (queue, board, their socket); None: every region.

    Supervisors follow every region; a dispatch desk its own. One rule, so the queue page, the board's snapshot
    and the socket's groups cannot show a desk different calls.
    """
    return None if user.has_perm("crisis.view_reports") else user.region


def stream_groups_for(user) -> list[str] | None:
    """The realtime groups a user's websocket joins; None when the role may not listen at all.

    Supervisors follow every region through the supervisors group; dispatch
    desks their own region; a responder only the team they actively belong to.
    """
    if not is_active_user.test(user):
        return None
    if user.has_perm("dispatch.view_queue"):
        region = dispatch_region(user)
        if region is None:
            return [realtime.SUPERVISORS_GROUP, realtime.user_group(user.pk)]
        return [realtime.dispatch_group(region), realtime.user_group(user.pk)]
    if is_responder.test(user):
        team_id = active_team_id(user)
        if team_id is None:
            return None
        return [realtime.team_group(team_id), realtime.user_group(user.pk)]
    return None


def consult_stream_groups_for(user) -> list[str] | None:
    """The groups of the consult socket: one's own inbox, and supervisors' oversight; None: may not listen."""
    if not is_active_user.test(user):
        return None
    groups = []
    if may_request_consult.test(user) or _answers_consults.test(user):
        groups.append(realtime.inbox_group(user.pk))
    if is_consult_supervisor.test(user):
        groups.append(realtime.OVERSIGHT_GROUP)
    return [*groups, realtime.user_group(user.pk)] if groups else None


def care_stream_groups_for(user) -> list[str] | None:
    """The groups of the caseload socket: one's own inbox, one's team's unowned hand-offs, and the care
    supervisors' escalations; None: no caseload."""
    if not may_see_care_caseload.test(user):
        return None
    groups = [realtime.inbox_group(user.pk)]
    team_id = active_team_id(user)
    if team_id is not None:
        groups.append(realtime.care_team_group(team_id))
    if is_care_supervisor.test(user):
        groups.append(realtime.CARE_SUPERVISORS_GROUP)
    return [*groups, realtime.user_group(user.pk)]
