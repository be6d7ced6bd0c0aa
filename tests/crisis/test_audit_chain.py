"""The audit hash chain (crisis/audit_chain.py, crisis migration 0004) and `manage.py verify_audit`.

Tampering is done as the test database's superuser with the triggers switched off (`session_replication_role
= replica`), the power a rogue administrator would have: the chain is what still tells.
"""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from crisis import audit, audit_chain
from crisis.models import AuditChainHead, AuditEntry
from dispatch.models import Call


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


def _verify_fails(match: str) -> None:
    result = audit_chain.verify()
    assert not result.ok
    assert any(match in p for p in result.problems), result.problems
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit")


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
    assert f"head #{head.seq} {head.hash}" in capsys.readouterr().out


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
def test_the_chain_is_sealed_at_commit_not_before(dana):
    with transaction.atomic():
        entry = audit.record(actor=dana, action="crisis.test.row")
        assert AuditEntry.objects.get(pk=entry.pk).chain_seq is None
    assert AuditEntry.objects.get(pk=entry.pk).chain_seq is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sealed_entry_cannot_be_resealed_by_the_app(dana):
    (entry_id,) = _write(dana, 1)
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE crisis_auditentry SET chain_seq = NULL, chain_hash = '' WHERE id = %s", [entry_id])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edited_entry_fails(dana):
    ids = _write(dana)
    _tamper(('UPDATE crisis_auditentry SET detail = \'{"purpose": "audit"}\'::jsonb WHERE id = %s', ids[2]))
    _verify_fails(f"entry id={ids[2]} (chain position")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_with_a_recomputed_content_hash_still_fails(dana):
    ids = _write(dana)
    entry = AuditEntry.objects.get(pk=ids[1])
    entry.action = "people.person.searched"
    forged = audit_chain.content_hash(entry)
    _tamper(
        (
            "UPDATE crisis_auditentry SET action = 'people.person.searched', content_hash = %s WHERE id = %s",
            forged,
            ids[1],
        )
    )
    _verify_fails("forged chain hash")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deleted_entry_leaves_a_gap(dana):
    ids = _write(dana)
    _tamper(("DELETE FROM crisis_auditentry WHERE id = %s", ids[2]))
    _verify_fails("gap")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deleted_tail_disagrees_with_the_head(dana):
    ids = _write(dana)
    _tamper(("DELETE FROM crisis_auditentry WHERE id = %s", ids[-1]))
    _verify_fails("removed")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reordered_entries_fail(dana):
    ids = _write(dana)
    a, b = (AuditEntry.objects.get(pk=i).chain_seq for i in ids[1:3])
    _tamper(
        ("UPDATE crisis_auditentry SET chain_seq = -1 WHERE id = %s", ids[1]),
        ("UPDATE crisis_auditentry SET chain_seq = %s WHERE id = %s", a, ids[2]),
        ("UPDATE crisis_auditentry SET chain_seq = %s WHERE id = %s", b, ids[1]),
    )
    _verify_fails("does not follow the entry before it")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_entry_written_with_the_triggers_off_is_not_on_the_chain(dana):
    _write(dana, 2)
    _tamper(
        (
            "INSERT INTO crisis_auditentry (at, actor_label, action, object_type, object_id, detail, content_hash,"
            " prev_hash, chain_hash) VALUES (now(), 'ghost', 'people.person.viewed', '', '', '{}', '', '', '')",
        )
    )
    _verify_fails("not on the chain")


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
