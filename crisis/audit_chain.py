"""The hash chains over the append-only tables: each row's content hash, chained in commit order, and verification.

One implementation for every chained table. A table is registered with `register(model, head_id=, fields=)`: the
audit trail here (head 1), the call timeline by dispatch in its `AppConfig.ready()` (head 2), so the core never
names a table of a higher layer. Each chained model has the columns `content_hash`, `chain_seq`, `prev_hash`,
`chain_hash`; its writer calls `append(row, insert)`.

`append` stores `content_hash`, a SHA-256 over the row's registered fields in a canonical form. The chain
(`chain_seq`, `prev_hash`, `chain_hash`) is appended at COMMIT on PostgreSQL by a deferred constraint trigger,
`crisis_chain_seal(head_id)` (crisis migration 0010; no statement from the app): it locks the table's one
chain-head row only while the transaction commits, after every row lock the transaction's services took, so
sealing cannot deadlock with them (a lock taken while writing and held to commit could: services record, then
lock more calls). Chain order is commit order, so a reader of the chain never sees a later row committed before
an earlier one. Elsewhere (SQLite, the embedded demo: one writer at a time) `append` seals the row itself.

`verify` walks one chain and reports every edit (content hash), gap or truncated tail (sequence, head), reorder
or splice (previous hash), and every row that is not sealed at all (written around the writer, or with the
triggers disabled); `verify_all` walks every registered chain. HIPAA 164.312(c)(1) integrity; CJIS 5.4.6
protection of audit information.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F

# Integral JSON numbers below this print the same as int and float; past it, both sides go through float.
_EXACT = 2**53


@dataclass(frozen=True)
class Chain:
    model: type[models.Model]
    head_id: int  # the table's row in crisis.AuditChainHead; the trigger's argument
    fields: tuple[str, ...]  # what a row says, hashed in this order; keep it stable (old rows were hashed so)

    @property
    def table(self) -> str:
        return self.model._meta.db_table


_chains: dict[str, Chain] = {}


def register(model: type[models.Model], *, head_id: int, fields: tuple[str, ...]) -> Chain:
    chain = Chain(model=model, head_id=head_id, fields=fields)
    for other in _chains.values():
        if other.head_id == head_id and other.table != chain.table:
            raise ValueError(f"chain head {head_id} is already {other.table}'s")
    _chains[chain.table] = chain
    return chain


def chains() -> list[Chain]:
    return sorted(_chains.values(), key=lambda c: c.head_id)


def chain_for(model: type[models.Model]) -> Chain:
    return _chains[model._meta.db_table]


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


# What an audit entry says: when, who, what, on what, from where, and its detail.
AUDIT_FIELDS = ("at", "actor", "actor_label", "action", "object_type", "object_id", "ip_address", "detail")


def _field_value(row, name: str) -> Any:
    f = row._meta.get_field(name)
    value = getattr(row, f.attname)
    if isinstance(f, models.DateTimeField):
        return value.astimezone(UTC).isoformat(timespec="microseconds") if isinstance(value, datetime) else None
    if isinstance(f, models.GenericIPAddressField):
        return _ip(value)
    if isinstance(f, models.JSONField):
        return _canonical(json.loads(json.dumps(value)))
    if isinstance(f, models.CharField | models.TextField):
        return "" if value is None else str(value)
    return value


def content_hash(row, fields: tuple[str, ...] = AUDIT_FIELDS) -> str:
    """SHA-256 over what the row says, in a form the database gives back unchanged (jsonb, inet, timestamptz)."""
    text = json.dumps(
        [_field_value(row, name) for name in fields], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash(prev_hash: str, seq: int, content: str) -> str:
    # The same formula as the PostgreSQL trigger crisis_chain_seal (crisis migration 0010): keep them together.
    return hashlib.sha256(f"{prev_hash}|{seq}|{content}".encode()).hexdigest()


def seal_in_python(row, head_id: int = 1) -> None:
    """Append the chain fields before insert where no trigger does it (not PostgreSQL). Call inside atomic()."""
    from .models import AuditChainHead

    # UPDATE first: it takes SQLite's write lock before the head is read, so two writers cannot share a head.
    if not AuditChainHead.objects.filter(pk=head_id).update(seq=F("seq") + 1):
        AuditChainHead.objects.create(pk=head_id, seq=1, hash="")
    head = AuditChainHead.objects.get(pk=head_id)
    row.chain_seq = head.seq
    row.prev_hash = head.hash
    row.chain_hash = chain_hash(head.hash, head.seq, row.content_hash)
    AuditChainHead.objects.filter(pk=head_id).update(hash=row.chain_hash)


def append(row: models.Model, insert: Callable[[], None]) -> None:
    """Hash a new row of a chained table and insert it with `insert()`; the chain is appended at commit."""
    chain = chain_for(type(row))
    row.content_hash = content_hash(row, chain.fields)
    if connection.vendor == "postgresql":
        # The deferred trigger seals it at commit (the module's docstring says why not here): no extra statement.
        insert()
        return
    with transaction.atomic():
        seal_in_python(row, chain.head_id)
        insert()


@dataclass
class Verification:
    table: str = ""
    entries: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(chain: Chain | None = None, *, limit_problems: int = 50) -> Verification:
    """Walk one chain (the audit trail's by default) from its first row to its head."""
    from .models import AuditChainHead, AuditEntry

    chain = chain or chain_for(AuditEntry)
    result = Verification(table=chain.table)
    problems = result.problems

    def problem(text: str) -> None:
        if len(problems) < limit_problems:
            problems.append(text)

    rows = chain.model._base_manager.order_by()
    for row_id in rows.filter(chain_seq__isnull=True).order_by("id").values_list("id", flat=True).iterator():
        problem(f"entry id={row_id} is not on the chain: written around its writer, or with the triggers off")
    prev_hash, expected_seq = "", 1
    for row in rows.filter(chain_seq__isnull=False).order_by("chain_seq", "id").iterator(chunk_size=2000):
        result.entries += 1
        if row.chain_seq != expected_seq:
            if row.chain_seq > expected_seq:
                problem(f"gap: entries {expected_seq}..{row.chain_seq - 1} of the chain are missing")
            else:
                problem(f"entry id={row.id} repeats chain position {row.chain_seq}")
        if row.content_hash != content_hash(row, chain.fields):
            problem(f"entry id={row.id} (chain position {row.chain_seq}) was changed after it was written")
        if row.prev_hash != prev_hash:
            problem(f"entry id={row.id} (chain position {row.chain_seq}) does not follow the entry before it")
        if row.chain_hash != chain_hash(row.prev_hash, row.chain_seq, row.content_hash):
            problem(f"entry id={row.id} (chain position {row.chain_seq}) has a forged chain hash")
        prev_hash, expected_seq = row.chain_hash, row.chain_seq + 1
    head = AuditChainHead.objects.filter(pk=chain.head_id).first()
    result.head_seq, result.head_hash = (head.seq, head.hash) if head else (0, "")
    if (result.head_seq, result.head_hash) != (expected_seq - 1, prev_hash):
        problem(
            f"the chain ends at position {expected_seq - 1} but its head says {result.head_seq}: "
            "entries at the end were removed, or the head was rewritten"
        )
    return result


def verify_all(*, limit_problems: int = 50) -> list[Verification]:
    return [verify(chain, limit_problems=limit_problems) for chain in chains()]
