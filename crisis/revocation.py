"""Access that ends when it should: one service, `user_access_revoke`, and the receivers that call it.

Any change that removes access (deactivation, a role taken away, a new password, a deleted API token, and in the
roster layer a team membership ended) ends every session of that user, closes their open websockets within
seconds (`session.ended` to their own group, as logout does) and is audited as `crisis.access.revoked` with the
reason. A new password or a deactivation also deletes the user's API tokens.

Finding a user's sessions: the session table (crisis.sessions, DB-backed) has no user column, so the service
decodes the unexpired sessions and deletes those whose `_auth_user_id` is the user. That is one read of the
live sessions, a few hundred on a dispatch floor, and only on a revocation (rare); a user-id column would need
a custom session model, a migration of the session table and a write on every sign-in for no gain at this size.

The receivers only notice the change; they hold no rule. A queryset `.update()` sends no signal: `access_sweep`,
a beat task every ACCESS_SWEEP_SECONDS, compares every live session with its user as the database has it now
and revokes what such an update left standing (a deactivated user, a changed password, a deleted user).
"""

from __future__ import annotations

import contextvars
from collections import defaultdict

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model, user_logged_in
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.utils import timezone

from . import audit, permissions, realtime
from .models import ApiToken
from .sessions import SessionStore

# Set while the service deletes tokens itself, so that their post_delete does not revoke a second time.
_revoking: contextvars.ContextVar[bool] = contextvars.ContextVar("crisis_revoking", default=False)


def user_sessions_end(*, user_id: int) -> int:
    """Delete every unexpired session of the user; the number deleted."""
    model = SessionStore.get_model_class()
    store = SessionStore()
    doomed = [
        s.session_key
        for s in model.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
        if str(store.decode(s.session_data).get(SESSION_KEY)) == str(user_id)
    ]
    if doomed:
        model.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def user_access_revoke(*, user, reason: str, tokens: bool = False, **detail) -> None:
    """End the user's sessions (and API tokens when asked), close their sockets after commit, audit it."""
    sessions = user_sessions_end(user_id=user.pk)
    deleted_tokens = 0
    if tokens:
        marker = _revoking.set(True)
        try:
            deleted_tokens, _ = ApiToken.objects.filter(user_id=user.pk).delete()
        finally:
            _revoking.reset(marker)
    audit.record(
        actor=audit.current_actor(),  # who made the change, when it came through a request
        action="crisis.access.revoked",
        obj=user,
        reason=reason,
        user=user.get_username(),
        sessions_ended=sessions,
        tokens_deleted=deleted_tokens,
        **detail,
    )
    realtime.publish("session.ended", {"reason": reason}, groups=[realtime.user_group(user.pk)])


# The team a session was signed in for (crisis.permissions.active_team_id at sign-in): its socket streams that
# team's group. A membership ended or moved by a queryset .update() sends no signal; the sweep compares this with
# the membership as stored now. Read through crisis.permissions, so the core layer never imports the roster.
SESSION_TEAM_KEY = "_crisis_team_id"
_NOT_STAMPED = object()


def access_sweep() -> int:
    """Revoke the sessions (and tokens) of users whose access ended without a signal; the users revoked.

    A request with such a session is refused already (Django checks is_active and the password hash on every
    request), but an open websocket only checks that its session still exists, and tokens stay: this ends both.
    """
    from django.utils.crypto import constant_time_compare

    model = SessionStore.get_model_class()
    store = SessionStore()
    hashes: dict[str, list[str]] = defaultdict(list)
    teams: dict[str, list] = defaultdict(list)
    for row in model.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data"):
        data = store.decode(row.session_data)
        if data.get(SESSION_KEY) is not None:
            hashes[str(data[SESSION_KEY])].append(str(data.get(HASH_SESSION_KEY) or ""))
            teams[str(data[SESSION_KEY])].append(data.get(SESSION_TEAM_KEY, _NOT_STAMPED))
    users = get_user_model().objects.select_related("membership").in_bulk([int(uid) for uid in hashes if uid.isdigit()])
    revoked = 0
    for uid, session_hashes in hashes.items():
        user = users.get(int(uid)) if uid.isdigit() else None
        if user is None:
            user_sessions_end(user_id=uid)
            continue
        if not user.is_active:
            reason = "deactivated"
        elif any(not constant_time_compare(h, user.get_session_auth_hash()) for h in session_hashes):
            reason = "password_changed"
        elif _team_left(user, teams[uid]):
            user_access_revoke(user=user, reason="team_membership_ended", via="sweep")
            revoked += 1
            continue
        else:
            continue
        user_access_revoke(user=user, reason=reason, tokens=True, via="sweep")
        revoked += 1
    return revoked


def _team_left(user, stamped: list) -> bool:
    """A session signed in for a team its user is no longer an active member of (joining one later is not)."""
    now = permissions.active_team_id(user)
    return any(t is not _NOT_STAMPED and t is not None and t != now for t in stamped)


# --- receivers: notice the change, call the service ----------------------------------------------


def _remember_user(sender, instance, **kwargs):
    instance._crisis_was_active = instance.is_active


def _user_saved(sender, instance, created, raw=False, **kwargs):
    if created or raw:
        return
    # Django's set_password() keeps the raw password in `_password` until save() has run; the transparent
    # rehash at sign-in (check_password) clears it first, so an upgraded hash is not mistaken for a new password.
    if getattr(instance, "_password", None) is not None:
        user_access_revoke(user=instance, reason="password_changed", tokens=True)
    elif getattr(instance, "_crisis_was_active", False) and not instance.is_active:
        user_access_revoke(user=instance, reason="deactivated", tokens=True)
    instance._crisis_was_active = instance.is_active


def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    User = get_user_model()
    if not reverse:  # user.groups.remove(...) / .clear() / .set(...)
        if action == "pre_clear":
            instance._crisis_cleared_roles = list(instance.groups.values_list("name", flat=True))
        elif action == "post_remove" and pk_set:
            roles = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
            user_access_revoke(user=instance, reason="role_removed", roles=roles)
        elif action == "post_clear" and getattr(instance, "_crisis_cleared_roles", None):
            user_access_revoke(user=instance, reason="role_removed", roles=sorted(instance._crisis_cleared_roles))
        return
    # group.user_set.remove(...) / .clear()
    if action == "pre_clear":
        instance._crisis_cleared_users = list(instance.user_set.values_list("pk", flat=True))
        return
    if action == "post_remove":
        user_ids = pk_set or ()
    elif action == "post_clear":
        user_ids = getattr(instance, "_crisis_cleared_users", ())
    else:
        return
    for user in User.objects.filter(pk__in=user_ids):
        user_access_revoke(user=user, reason="role_removed", roles=[instance.name])


def _token_deleted(sender, instance, **kwargs):
    if _revoking.get():
        return
    User = get_user_model()
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        user_access_revoke(user=user, reason="token_revoked")


def _stamp_team(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        # Read as stored now: the instance signed in may hold a membership cached before a change.
        fresh = type(user).objects.select_related("membership").filter(pk=user.pk).first()
        session[SESSION_TEAM_KEY] = permissions.active_team_id(fresh) if fresh is not None else None


def connect() -> None:
    User = get_user_model()
    user_logged_in.connect(_stamp_team, dispatch_uid="crisis.revocation.stamp_team")
    post_init.connect(_remember_user, sender=User, dispatch_uid="crisis.revocation.remember_user")
    post_save.connect(_user_saved, sender=User, dispatch_uid="crisis.revocation.user_saved")
    m2m_changed.connect(_roles_changed, sender=User.groups.through, dispatch_uid="crisis.revocation.roles")
    post_delete.connect(_token_deleted, sender=ApiToken, dispatch_uid="crisis.revocation.token_deleted")
