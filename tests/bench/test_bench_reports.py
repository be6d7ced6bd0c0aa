"""bench/reports.py is importable by `make bench` and says why it skips without PostgreSQL."""

from bench import reports as bench_reports


def test_skips_without_postgres(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "")
    results: dict = {}
    bench_reports.run(results)
    assert "needs PostgreSQL" in results["reports"]["skipped"]
    assert "skipped" in capsys.readouterr().out


def test_bench_database_is_its_own():
    url = bench_reports._bench_url("postgres://postgres@127.0.0.1:5432/crisis_h4?sslmode=disable")
    assert url == "postgres://postgres@127.0.0.1:5432/crisis_bench_reports?sslmode=disable"


def test_the_history_is_rewritten_in_arrival_order_on_the_received_at_index(db):
    """A live calls table lies in arrival order; the generated one did not (32,638 of 36,896 pages read for 30
    days at 1,000,000 calls), so the bench rewrote what it measured."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from bench.report_history import arrival_order
    from dispatch.models import Call

    now = timezone.now()
    for days in (3, 1, 2):
        Call.objects.create(
            source="911", address="1 Main St", call_type="mental_health", nature="x", received_at=now - timedelta(days)
        )
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction: CLUSTER refuses pending FK checks
    index = arrival_order(connection)
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
        (definition,) = cur.fetchone()
        cur.execute("SELECT received_at FROM dispatch_call")  # heap order: no ORDER BY on purpose
        order = [r[0] for r in cur.fetchall()]
    assert definition.endswith("(received_at)")
    assert order == sorted(order)
