"""The audit trail's hash chain: each entry's content hash, chained in commit order, and its verification.

`crisis.audit.record` stores `content_hash`, a SHA-256 over the entry's fields in a canonical form. The chain
(`chain_seq`, `prev_hash`, `chain_hash`) is appended at COMMIT on PostgreSQL by a deferred constraint trigger
(crisis migration 0004): it locks the one chain-head row only while the transaction commits, after every row
lock the transaction's services took, so sealing cannot deadlock with them (a lock taken in `record` and held
to commit could: services record, then lock more calls). Chain order is commit order, so a reader of the chain
never sees a later entry committed before an earlier one. Elsewhere (SQLite, the embedded demo: one writer at a
time) `record` appends the chain itself.

`verify` walks the chain and reports every edit (content hash), gap or truncated tail (sequence, head),
reorder or splice (previous hash), and every entry that is not sealed at all (written around `record`, or with
the triggers disabled). HIPAA 164.312(c)(1) integrity; CJIS 5.4.6 protection of audit information.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.db.models import F

# Integral JSON numbers below this print the same as int and float; past it, both sides go through float.
_EXACT = 2**53


def _canonical(value: Any) -> Any:
    """The JSON value as PostgreSQL's jsonb gives it back: numbers normalised, tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        if float(value).is_integer() and abs(value) < _EXACT:
            return int(value)
        return repr(float(value))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def _ip(value) -> str:
    # PostgreSQL's inet column gives an address back in its own spelling (IPv6 compressed).
    try:
        return str(ipaddress.ip_address(value)) if value else ""
    except ValueError:
        return str(value)


def content_hash(entry) -> str:
    """SHA-256 over what the entry says: when, who, what, on what, from where, and its detail."""
    ip = _ip(entry.ip_address)
    fields = [
        entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        entry.actor_id,
        entry.actor_label,
        entry.action,
        entry.object_type,
        str(entry.object_id),
        ip,
        _canonical(json.loads(json.dumps(entry.detail))),
    ]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash(prev_hash: str, seq: int, content: str) -> str:
    # The same formula as the PostgreSQL trigger in crisis migration 0004: keep them together.
    return hashlib.sha256(f"{prev_hash}|{seq}|{content}".encode()).hexdigest()


def seal_in_python(entry) -> None:
    """Append the chain fields before insert where no trigger does it (not PostgreSQL). Call inside atomic()."""
    from .models import AuditChainHead

    # UPDATE first: it takes SQLite's write lock before the head is read, so two writers cannot share a head.
    if not AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + 1):
        AuditChainHead.objects.create(pk=1, seq=1, hash="")
    head = AuditChainHead.objects.get(pk=1)
    entry.chain_seq = head.seq
    entry.prev_hash = head.hash
    entry.chain_hash = chain_hash(head.hash, head.seq, entry.content_hash)
    AuditChainHead.objects.filter(pk=1).update(hash=entry.chain_hash)


@dataclass
class Verification:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, limit_problems: int = 50) -> Verification:
    from .models import AuditChainHead, AuditEntry

    result = Verification()
    problems = result.problems

    def problem(text: str) -> None:
        if len(problems) < limit_problems:
            problems.append(text)

    for entry in AuditEntry.objects.filter(chain_seq__isnull=True).order_by("id").iterator():
        problem(f"entry id={entry.id} ({entry.action}) is not on the chain: written around crisis.audit.record")
    prev_hash, expected_seq = "", 1
    rows = AuditEntry.objects.filter(chain_seq__isnull=False).order_by("chain_seq", "id")
    for entry in rows.iterator(chunk_size=2000):
        result.entries += 1
        if entry.chain_seq != expected_seq:
            if entry.chain_seq > expected_seq:
                problem(f"gap: entries {expected_seq}..{entry.chain_seq - 1} of the chain are missing")
            else:
                problem(f"entry id={entry.id} repeats chain position {entry.chain_seq}")
        if entry.content_hash != content_hash(entry):
            problem(f"entry id={entry.id} (chain position {entry.chain_seq}) was changed after it was written")
        if entry.prev_hash != prev_hash:
            problem(f"entry id={entry.id} (chain position {entry.chain_seq}) does not follow the entry before it")
        if entry.chain_hash != chain_hash(entry.prev_hash, entry.chain_seq, entry.content_hash):
            problem(f"entry id={entry.id} (chain position {entry.chain_seq}) has a forged chain hash")
        prev_hash, expected_seq = entry.chain_hash, entry.chain_seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    result.head_seq, result.head_hash = (head.seq, head.hash) if head else (0, "")
    if (result.head_seq, result.head_hash) != (expected_seq - 1, prev_hash):
        problem(
            f"the chain ends at position {expected_seq - 1} but its head says {result.head_seq}: "
            "entries at the end were removed, or the head was rewritten"
        )
    return result
