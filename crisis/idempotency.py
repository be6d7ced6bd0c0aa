"""Idempotent API writes: a retried request with the same Idempotency-Key gets the first answer.

The phone's offline queue replays taps after a dropped connection, and an integration retries after a
timeout; neither can know whether the first attempt committed. Each such write carries an
`Idempotency-Key` header (any printable ASCII, at most 255 characters; a UUID per action). The first request
with a key inserts the key's row, runs the view and stores its answer (status and body) in the SAME
transaction as the change it made, so:

- a committed change always has its stored answer: a retry (same user, same key, same method, path and
  body) gets that answer back, marked `Idempotent-Replayed: true`, and nothing runs again;
- a change that rolled back (a 5xx, a lost connection before commit) left no row: the retry runs afresh;
- the same key with another method, path or body is refused (422): the client reused a key by mistake;
- two simultaneous requests with one key: the second one's INSERT waits on the unique index until the first
  commits, then replays its answer (one write).

Answers that mean "not attempted" (401, 403, 429) and server errors are not kept, so a retry after signing
in again, or after the fault, does the work. Keys expire after IDEMPOTENCY_KEY_HOURS (24 h; the hourly
`crisis.tasks.purge_idempotency_keys` deletes them). This module is the only writer of IdempotencyKey.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotencyKey

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answers that say the request was never attempted: keeping them would lock the key out of a proper retry.
NOT_KEPT = frozenset({401, 403, 429})


def key_problem(key: str) -> str | None:
    """Why a header value cannot be a key, or None."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters."
    if not all(" " <= ch <= "~" for ch in key):
        return f"{HEADER} may contain only printable ASCII characters."
    return None


def fingerprint(*, method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and the body (JSON compared as data)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(row.body, status=row.status_code, content_type=row.content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response


def _mismatch(row: IdempotencyKey) -> JsonResponse:
    return JsonResponse(
        {
            "detail": f"This {HEADER} was already used for a different request ({row.method} {row.path}). "
            "Send a new key with each new request, and the same key only to retry the same request."
        },
        status=422,
    )


def _claim(*, user, key: str, method: str, path: str, print_: str) -> tuple[IdempotencyKey, bool]:
    """Insert the key's row (ours to fill), or return the row a finished earlier request left (and False)."""
    now = timezone.now()
    for _ in range(3):
        row = IdempotencyKey(
            user=user,
            key=key,
            method=method,
            path=path[:500],  # for the mismatch message; the fingerprint holds the whole path
            fingerprint=print_,
            status_code=0,  # filled before commit; no other transaction ever sees 0
            created_at=now,
            expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
        )
        try:
            if _insert_unless_taken(row):
                return row, True
            raise IntegrityError("taken")
        except IntegrityError:
            # On PostgreSQL the INSERT waited for the other request's transaction: its row is committed now.
            row = IdempotencyKey.objects.filter(user=user, key=key).first()
            if row is None:
                continue  # it rolled back or was purged meanwhile: claim again
            if row.expires_at <= now:
                IdempotencyKey.objects.filter(pk=row.pk).delete()
                continue
            return row, False
    raise IntegrityError(f"could not claim {HEADER} {key!r}")


def _insert_unless_taken(row: IdempotencyKey) -> bool:
    """INSERT the key's row; False when the (user, key) is taken.

    On PostgreSQL one `INSERT ... ON CONFLICT DO NOTHING RETURNING id`: it waits on the unique index for a
    concurrent request's transaction exactly as a plain INSERT does, but a taken key is an empty answer
    rather than an error, so no savepoint (two more round trips on every keyed write) is needed around it.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            row.save(force_insert=True)
        return True
    meta = IdempotencyKey._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING id",
            values,
        )
        found = cur.fetchone()
    if found is None:
        return False
    row.pk, row._state.adding, row._state.db = found[0], False, connection.alias
    return True


def run_once(request: HttpRequest, *, user, key: str, respond: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    """Answer `request` as `respond` does, at most once per (user, key); see the module docstring."""
    method, path = request.method, request.path_info
    print_ = fingerprint(method=method, path=path, query=request.META.get("QUERY_STRING", ""), body=request.body)
    try:
        with transaction.atomic():
            row, ours = _claim(user=user, key=key, method=method, path=path, print_=print_)
            if not ours:
                if row.fingerprint != print_:  # it covers the method, path and query too
                    return _mismatch(row)
                return _replay(row)
            response = respond(request)
            if response.status_code >= 500:
                # Nothing half-saved: the view failed, so its writes and the key go.
                transaction.set_rollback(True)
                return response
            if response.status_code in NOT_KEPT or getattr(response, "streaming", False):
                row.delete()
                return response
            row.status_code = response.status_code
            row.content_type = response.get("Content-Type", "")[:100]
            row.body = response.content.decode(response.charset or "utf-8", errors="replace")
            row.save(update_fields=["status_code", "content_type", "body"])
    except DatabaseError:
        # The connection died around the commit: whether the change committed is unknown here, but if it did,
        # its answer is stored with it, so the same key's retry gets it. Never a bare 500.
        log.exception("idempotent %s %s: database error around commit", method, path)
        return JsonResponse(
            {"detail": f"The database did not answer. Retry the same request with the same {HEADER}."},
            status=503,
            headers={"Retry-After": "2"},
        )
    return response


def run_atomically(request: HttpRequest, *, respond: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    """An API write without a key: its answer is built inside its transaction too, so a connection lost after
    the change can no longer turn a committed change into a 500 (the answer is ready before COMMIT)."""
    try:
        with transaction.atomic():
            response = respond(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
    except DatabaseError:
        log.exception("%s %s: database error around commit", request.method, request.path_info)
        return JsonResponse(
            {
                "detail": f"The database did not answer; the change may or may not have been saved. Send an "
                f"{HEADER} with each write to retry safely."
            },
            status=503,
            headers={"Retry-After": "2"},
        )
    return response


def idempotency_keys_purge(*, now=None) -> int:
    """Delete expired keys; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
