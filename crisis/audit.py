"""The one door to the audit trail.

Every create or change of a call and every view of a person's record goes
through `record`. Entries are append-only: the model refuses updates and
deletes, and on PostgreSQL a trigger refuses them too. Each entry carries a
hash of its content, chained in commit order (crisis/audit_chain.py;
`manage.py verify_audit` checks it).
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db import models

from . import audit_chain
from .models import AuditEntry, User

# The address of the request being served, set by AuditContextMiddleware so
# that services need not thread it through every call. Empty for tasks.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)
# The request being served, for code that learns of a change without being told who made it (signal receivers:
# crisis.revocation). DRF sets the token's user on the underlying request, so both kinds of sign-in are seen.
current_request: contextvars.ContextVar[Any] = contextvars.ContextVar("audit_request", default=None)


def current_actor() -> User | None:
    """The signed-in user of the request being served, or None (a task, a shell, a signed-out request)."""
    user = getattr(current_request.get(), "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    **detail: Any,
) -> AuditEntry:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        actor=actor,
        actor_label=actor.get_username() if actor else "system",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=current_ip.get(),
        detail=detail,
    )
    audit_chain.append(entry, lambda: entry.save(force_insert=True))
    return entry
