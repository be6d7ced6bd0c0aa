"""The hash chains (crisis/audit_chain.py, crisis migrations 0004/0010, dispatch 0008) and `manage.py verify_audit`.

One implementation chains the audit trail (head 1) and the call timeline (head 2, registered by dispatch); the
tamper tests run on both. Tampering is done as the test database's superuser with the triggers switched off
(`session_replication_role = replica`), the power a rogue administrator would have: the chain is what still
tells. The app's own role cannot tamper at all (tests/crisis/test_db_roles.py).
"""

# The table names in the SQL below come from the fixture, never from input.
# ruff: noqa: S608

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from crisis import audit, audit_chain
from crisis.models import AuditChainHead, AuditEntry
from dispatch import services
from dispatch.models import Call, CallEvent


@dataclass
class Chained:
    model: Any
    table: str
    text_field: str  # a column of what a row says, to edit
    write: Any  # (n) -> ids written, each in its own transaction
    ghost: str  # an INSERT of an unsealed row

    @property
    def chain(self) -> audit_chain.Chain:
        return audit_chain.chain_for(self.model)


@pytest.fixture(params=["audit", "timeline"])
def chained(request, dana, new_call):
    if request.param == "audit":

        def write(n: int = 5) -> list[int]:
            return _write(dana, n)

        return Chained(
            AuditEntry,
            "crisis_auditentry",
            "action",
            write,
            "INSERT INTO crisis_auditentry (at, actor_label, action, object_type, object_id, detail, content_hash,"
            " prev_hash, chain_hash) VALUES (now(), 'ghost', 'people.person.viewed', '', '', '{}', '', '', '')",
        )
    call = new_call()

    def write(n: int = 5) -> list[int]:
        ids = []
        for i in range(n):
            with transaction.atomic():
                ids.append(services.call_add_note(call=call, by=dana, text=f"note {i}").pk)
        return ids

    return Chained(
        CallEvent,
        "dispatch_callevent",
        "kind",
        write,
        "INSERT INTO dispatch_callevent (call_id, at, kind, from_status, to_status, detail, content_hash,"
        f" prev_hash, chain_hash) VALUES ({call.pk}, now(), 'call.note', '', '', '{{}}', '', '', '')",
    )


def _write(actor, n: int = 5) -> list[int]:
    ids = []
    for i in range(n):
        with transaction.atomic():
            ids.append(audit.record(actor=actor, action="people.person.viewed", obj=actor, purpose=f"care {i}").pk)
    return ids


def _tamper(*statements: tuple) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        for sql, *params in statements:
            cur.execute(sql, params)


def _verify_fails(chained: Chained, match: str, capsys) -> None:
    result = audit_chain.verify(chained.chain)
    assert not result.ok
    assert any(match in p for p in result.problems), result.problems
    with pytest.raises(CommandError, match=f"does not verify: {chained.table}"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert f"{chained.table}: " in err and match in err, err
    # The other chain is reported on its own, still verified.
    others = [r for r in audit_chain.verify_all() if r.table != chained.table]
    assert others and all(r.ok for r in others), [r.problems for r in others]


@pytest.mark.django_db(transaction=True)
def test_entries_are_chained_in_order_and_verify(dana, capsys):
    ids = _write(dana)
    entries = list(AuditEntry.objects.filter(pk__in=ids).order_by("chain_seq"))
    assert [e.pk for e in entries] == ids
    assert entries[0].prev_hash == "" or entries[0].chain_seq > 1
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.chain_seq == before.chain_seq + 1
        assert after.prev_hash == before.chain_hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (entries[-1].chain_seq, entries[-1].chain_hash)
    call_command("verify_audit")
    assert f"crisis_auditentry verified: {head.seq} entries, head #{head.seq} {head.hash}" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_call_events_are_chained_in_commit_order_on_their_own_chain(dana, new_call, capsys):
    call = new_call()
    with transaction.atomic():
        services.call_add_note(call=call, by=dana, text="first")
        services.call_add_note(call=call, by=dana, text="second")
    events = list(CallEvent.objects.filter(call=call).order_by("chain_seq"))
    assert [e.kind for e in events][-2:] == ["call.note", "call.note"]
    assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))  # its own sequence, not the audit's
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.chain_hash
    assert events[-1].content_hash == audit_chain.content_hash(events[-1], CallEvent.CHAIN_FIELDS)
    head = AuditChainHead.objects.get(pk=CallEvent.CHAIN_HEAD)
    assert (head.seq, head.hash) == (events[-1].chain_seq, events[-1].chain_hash)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"dispatch_callevent verified: {len(events)} entries, head #{head.seq} {head.hash}" in out
    assert "crisis_auditentry verified" in out


def test_the_content_hash_of_an_event_covers_every_field_it_says():
    event = CallEvent(call_id=1, kind="call.note", actor_id=3, team_id=None, detail={"text": "x"}, ip_address="::1")
    before = audit_chain.content_hash(event, CallEvent.CHAIN_FIELDS)
    for field, value in [("kind", "call.cleared"), ("call_id", 2), ("actor_id", 4), ("team_id", 1), ("ip_address", "")]:
        original = getattr(event, field)
        setattr(event, field, value)
        assert audit_chain.content_hash(event, CallEvent.CHAIN_FIELDS) != before, field
        setattr(event, field, original)
    assert audit_chain.content_hash(event, CallEvent.CHAIN_FIELDS) == before


def test_a_chain_head_belongs_to_one_table():
    with pytest.raises(ValueError, match="already crisis_auditentry"):
        audit_chain.register(CallEvent, head_id=1, fields=CallEvent.CHAIN_FIELDS)


@pytest.mark.django_db(transaction=True)
def test_the_content_hash_covers_every_field(dana, cam):
    entry = audit.record(actor=dana, action="dispatch.call.viewed", obj=cam, via="api", ids=[1, 2.0, 1e20])
    entry = AuditEntry.objects.get(pk=entry.pk)  # as the database gives it back (jsonb, inet, timestamptz)
    assert entry.content_hash == audit_chain.content_hash(entry)
    for field, value in [("action", "x"), ("actor_label", "cam"), ("object_id", "9"), ("detail", {"via": "ui"})]:
        original = getattr(entry, field)
        setattr(entry, field, value)
        assert audit_chain.content_hash(entry) != entry.content_hash, field
        setattr(entry, field, original)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_chain_is_sealed_at_commit_not_before(chained):
    with transaction.atomic():
        (row_id,) = chained.write(1)
        assert chained.model.objects.get(pk=row_id).chain_seq is None
    assert chained.model.objects.get(pk=row_id).chain_seq is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sealed_entry_cannot_be_resealed_by_the_app(chained):
    (row_id,) = chained.write(1)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {chained.table} SET chain_seq = NULL, chain_hash = '' WHERE id = %s", [row_id])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_guard_lets_only_the_seal_through_on_an_unsealed_row(chained):
    """The one update the guard allows fills the chain fields; the same update changing what the row says is refused."""
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        (row_id,) = chained.write(1)
        cur.execute(
            f"UPDATE {chained.table} SET chain_seq = 999999, {chained.text_field} = 'forged' WHERE id = %s", [row_id]
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edited_entry_fails(chained, capsys):
    ids = chained.write()
    _tamper((f'UPDATE {chained.table} SET detail = \'{{"purpose": "audit"}}\'::jsonb WHERE id = %s', ids[2]))
    _verify_fails(chained, f"entry id={ids[2]} (chain position", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_with_a_recomputed_content_hash_still_fails(chained, capsys):
    ids = chained.write()
    row = chained.model.objects.get(pk=ids[1])
    setattr(row, chained.text_field, "people.person.searched")
    forged = audit_chain.content_hash(row, chained.chain.fields)
    _tamper(
        (
            f"UPDATE {chained.table} SET {chained.text_field} = 'people.person.searched', content_hash = %s"
            " WHERE id = %s",
            forged,
            ids[1],
        )
    )
    _verify_fails(chained, "forged chain hash", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deleted_entry_leaves_a_gap(chained, capsys):
    ids = chained.write()
    _tamper((f"DELETE FROM {chained.table} WHERE id = %s", ids[2]))
    _verify_fails(chained, "gap", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deleted_tail_disagrees_with_the_head(chained, capsys):
    ids = chained.write()
    _tamper((f"DELETE FROM {chained.table} WHERE id = %s", ids[-1]))
    _verify_fails(chained, "removed", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_truncated_table_disagrees_with_the_head(chained, capsys):
    chained.write(2)
    _tamper((f"TRUNCATE {chained.table}",))
    _verify_fails(chained, "removed", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reordered_entries_fail(chained, capsys):
    ids = chained.write()
    a, b = (chained.model.objects.get(pk=i).chain_seq for i in ids[1:3])
    t = chained.table
    _tamper(
        (f"UPDATE {t} SET chain_seq = -1 WHERE id = %s", ids[1]),
        (f"UPDATE {t} SET chain_seq = %s WHERE id = %s", a, ids[2]),
        (f"UPDATE {t} SET chain_seq = %s WHERE id = %s", b, ids[1]),
    )
    _verify_fails(chained, "does not follow the entry before it", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_entry_written_with_the_triggers_off_is_not_on_the_chain(chained, capsys):
    chained.write(2)
    _tamper((chained.ghost,))
    _verify_fails(chained, "not on the chain", capsys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain(dana, sue, new_call):
    """Writers that hold row locks while they audit (as services do) neither deadlock nor fork the chain."""
    calls = [new_call(), new_call()]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with transaction.atomic():
                    if n % 2:
                        # Lock call A, audit, then lock call B: deadlocks with the writer below if `record`
                        # held the chain's lock until commit.
                        Call.objects.select_for_update().get(pk=calls[0].pk)
                        audit.record(actor=dana, action="crisis.test.row", obj=calls[0], n=n, i=i)
                    Call.objects.select_for_update().get(pk=calls[1].pk)
                    audit.record(actor=sue, action="crisis.test.row", obj=calls[1], n=n, i=i)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    result = audit_chain.verify()
    assert result.ok, result.problems
    assert AuditEntry.objects.filter(action="crisis.test.row").count() == 60
    assert result.entries == AuditEntry.objects.count() == result.head_seq


_AUDIT_ROW = (
    "INSERT INTO crisis_auditentry (at, actor_label, action, object_type, object_id, detail, content_hash,"
    " prev_hash, chain_hash) VALUES (now(), 'test', 'crisis.test.row', '', '', '{}', 'x', '', '')"
)


def _event_row(call_id: int) -> str:
    return (
        "INSERT INTO dispatch_callevent (call_id, at, kind, from_status, to_status, detail, content_hash,"
        f" prev_hash, chain_hash) VALUES ({call_id}, now(), 'call.note', '', '', '{{}}', 'x', '', '')"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_chains_sealed_in_opposite_orders_do_not_deadlock(new_call):
    """A writes an audit row then a call event, B the other way round; both commit while a third transaction holds
    the audit chain's head, so A waits for head 1 and B reaches its seals with head 2 free. Sealing head 2 first
    locks head 1 (crisis 0012): without it B took head 2, A took head 1 and each waited for the other."""
    call = new_call()
    with connection.cursor() as cur:  # as after crisis 0012 (the suite's flush between tests empties the heads)
        cur.execute(
            "INSERT INTO crisis_auditchainhead (id, seq, hash) VALUES (1, 0, ''), (2, 0, '') ON CONFLICT DO NOTHING"
        )
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_head_1() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT 1 FROM crisis_auditchainhead WHERE id = 1 FOR UPDATE")
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    def writer(statements: list[str]) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)
        finally:
            connections.close_all()

    def waiting_on_locks() -> int:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cur.fetchone()[0]

    def wait_for_waiters(n: int) -> None:
        for _ in range(400):
            if waiting_on_locks() >= n:
                return
            time.sleep(0.025)
        raise AssertionError(f"{n} transactions never waited on the chain heads")

    holder = threading.Thread(target=hold_head_1)
    holder.start()
    assert holding.wait(10)
    a = threading.Thread(target=writer, args=([_AUDIT_ROW, _event_row(call.pk)],))
    a.start()
    wait_for_waiters(1)  # A waits for head 1 at its first seal
    b = threading.Thread(target=writer, args=([_event_row(call.pk), _AUDIT_ROW],))
    b.start()
    wait_for_waiters(2)  # B waits too: for head 1 now, for head 1 after taking head 2 before
    release.set()
    for t in (holder, a, b):
        t.join(30)
    assert not errors, errors
    assert AuditEntry.objects.filter(action="crisis.test.row").count() == 2
    assert AuditEntry.objects.filter(action="crisis.test.row", chain_seq__isnull=True).count() == 0
