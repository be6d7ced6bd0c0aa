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
