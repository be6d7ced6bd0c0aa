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
may_work_referral = is_active_user & (is_records_owner | may_note_records_call)

rules.add_perm("responders.act_for_team", may_act_for_team)
rules.add_perm("responders.answer_offer_for_team", may_answer_offer)
rules.add_perm("responders.raise_sos_for_team", may_raise_sos)
rules.add_perm("dispatch.work_call", may_work_call)
rules.add_perm("dispatch.clear_call", may_clear_call)
rules.add_perm("dispatch.note_call", may_note_call)
rules.add_perm("mobile_crisis.work_follow_up", may_work_follow_up)
rules.add_perm("community_responders.work_referral", may_work_referral)


def require(predicate: rules.Predicate, user, obj: Any, message: str) -> None:
    """Refuse with PermissionDenied (403) unless `predicate(user, obj)`. `user=None` is the system itself."""
    if user is None:
        return
    if not predicate.test(user, obj):
        raise PermissionDenied(message)


def stream_groups_for(user) -> list[str] | None:
    """The realtime groups a user's websocket joins; None when the role may not listen at all.

    Supervisors follow every region through the supervisors group; dispatch
    desks their own region; a responder only the team they actively belong to.
    """
    if not is_active_user.test(user):
        return None
    if user.has_perm("dispatch.view_queue"):
        if user.has_perm("crisis.view_reports"):
            return [realtime.SUPERVISORS_GROUP, realtime.user_group(user.pk)]
        return [realtime.dispatch_group(user.region), realtime.user_group(user.pk)]
    if is_responder.test(user):
        team_id = active_team_id(user)
        if team_id is None:
            return None
        return [realtime.team_group(team_id), realtime.user_group(user.pk)]
    return None
