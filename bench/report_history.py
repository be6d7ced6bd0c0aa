"""Grow a generated call history to a million calls and more with a few set-based statements.

`generate_history` writes a seeded base (100,000 calls in about 40 s: Python draws every call). Going from
there to 1,000,000 that way would take seven minutes, so `grow(target)` copies the base's finished calls in
SQL (INSERT ... SELECT over generate_series), each copy about its own people, moved back by whole weeks:

- whole weeks keep the hour-of-day and day-of-week pattern; a copy that would fall before the window wraps
  round to the newest part of it, and a copy whose close would lie in the future is left out, so every copied
  call is finished (the open calls of a live city are the base's few, not a million stale ones);
- a person's calls in one copy move by the same number of weeks (a hash of the person and the copy), so the
  gaps between one person's calls, which the repeat-call and phone-then-field measures read, stay as drawn;
- each copy has its own people (a copy of the pool), so a ten times larger history is a ten times larger city,
  not ten times as many calls about the same people;
- follow-ups and outreach contacts are copied with their calls; FACT enrolments are per team and stay as drawn.

It writes no timeline rows, as `generate_history` does not: the reports read the call's own timestamps (the
phone-then-field report falls back to the close time, as it does for an imported call).
"""

# ruff: noqa: S608  (table and column names come from the schema and this module; every value is a parameter)
from __future__ import annotations

import math

WEEK_SECONDS = 7 * 24 * 3600
WEEKS = 52


def _columns(cur, table: str) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return list(cur.fetchall())


def _select_list(cur, table: str, alias: str, overrides: dict[str, str], shift: str | None = None) -> tuple[str, str]:
    """The table's columns and, for each, `overrides[col]`, the column moved by `shift` (timestamps) or copied."""
    names, exprs = [], []
    for name, data_type in _columns(cur, table):
        names.append(f'"{name}"')
        if name in overrides:
            exprs.append(overrides[name])
        elif shift and data_type == "timestamp with time zone":
            exprs.append(f'{alias}."{name}" + {shift}')
        else:
            exprs.append(f'{alias}."{name}"')
    return ", ".join(names), ", ".join(exprs)


def grow(connection, target: int, *, days: int = 365) -> int:
    """Copy finished generated calls until the calls table holds `target` rows; returns how many it added."""
    from django.db import transaction

    # One transaction: the temporary tables live until its commit, and a failed grow leaves nothing half-copied.
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(max(id), 0) FROM dispatch_call")
        have, call_base = cur.fetchone()
        need = target - have
        if need <= 0:
            return 0
        # The source: generated calls (the demo's own have a caller name) that are finished.
        cur.execute(
            "CREATE TEMP TABLE grow_src ON COMMIT DROP AS"
            " SELECT id FROM dispatch_call WHERE caller_name = '' AND status IN ('closed', 'cancelled')"
        )
        cur.execute("SELECT count(*) FROM grow_src")
        (n_src,) = cur.fetchone()
        if n_src == 0:
            raise RuntimeError("grow: no finished generated calls to copy (run generate_history first)")
        # About 2% of copies fall out (their close would be in the future): draw a few more than needed.
        copies = math.ceil(need * 1.05 / n_src) + 1

        cur.execute("SELECT count(*), coalesce(max(id), 0) FROM crisis_person")
        n_people, person_base = cur.fetchone()
        cur.execute(
            "CREATE TEMP TABLE grow_person ON COMMIT DROP AS"
            " SELECT p.id AS old_id, k, %s + (k - 1) * %s + row_number() OVER (PARTITION BY k ORDER BY p.id) AS new_id"
            " FROM crisis_person p CROSS JOIN generate_series(1, %s) AS k",
            [person_base, n_people, copies],
        )
        cur.execute("CREATE INDEX ON grow_person (old_id, k)")

        # One row per new call: which call it copies, its id, and how far it moves.
        cur.execute(
            f"""
            CREATE TEMP TABLE grow_call ON COMMIT DROP AS
            WITH drawn AS (
                SELECT c.id AS old_id, k, c.person_id,
                       1 + CASE WHEN c.person_id IS NULL THEN floor(random() * {WEEKS - 1})::int
                                ELSE mod(abs(hashint8(c.person_id::bigint * 4096 + k)), {WEEKS - 1}) END AS weeks,
                       c.received_at, c.closed_at, c.status_changed_at
                FROM grow_src s JOIN dispatch_call c ON c.id = s.id CROSS JOIN generate_series(1, %(copies)s) AS k
            ), moved AS (
                SELECT old_id, k, person_id, status_changed_at,
                       CASE WHEN received_at - make_interval(weeks => weeks) < now() - make_interval(days => %(days)s)
                            THEN make_interval(weeks => {WEEKS} - weeks)
                            ELSE -make_interval(weeks => weeks) END AS shift
                FROM drawn
            ), kept AS (
                SELECT old_id, k, person_id, shift, row_number() OVER (ORDER BY k, old_id) AS seq
                FROM moved WHERE status_changed_at + shift <= now()
            )
            SELECT old_id, k, person_id, shift, %(call_base)s + seq AS new_id FROM kept WHERE seq <= %(need)s
            """,
            {"copies": copies, "days": days, "call_base": call_base, "need": need},
        )
        cur.execute("CREATE UNIQUE INDEX ON grow_call (old_id, k)")
        cur.execute("ANALYZE grow_call")

        names, exprs = _select_list(cur, "crisis_person", "p", {"id": "g.new_id"})
        cur.execute(
            f"INSERT INTO crisis_person ({names}) SELECT {exprs} FROM grow_person g JOIN crisis_person p"
            " ON p.id = g.old_id WHERE (g.old_id, g.k) IN (SELECT DISTINCT person_id, k FROM grow_call"
            " WHERE person_id IS NOT NULL)"
        )
        names, exprs = _select_list(
            cur,
            "dispatch_call",
            "c",
            {"id": "g.new_id", "person_id": "gp.new_id"},
            shift="g.shift",
        )
        cur.execute(
            f"INSERT INTO dispatch_call ({names}) SELECT {exprs} FROM grow_call g JOIN dispatch_call c"
            " ON c.id = g.old_id LEFT JOIN grow_person gp ON gp.old_id = g.person_id AND gp.k = g.k"
        )
        names, exprs = _select_list(
            cur,
            "mobile_crisis_followup",
            "f",
            {"id": "nextval(pg_get_serial_sequence('mobile_crisis_followup', 'id'))", "call_id": "g.new_id"},
            shift="g.shift",
        )
        cur.execute(
            f"INSERT INTO mobile_crisis_followup ({names}) SELECT {exprs}"
            " FROM grow_call g JOIN mobile_crisis_followup f ON f.call_id = g.old_id"
        )
        names, exprs = _select_list(
            cur,
            "homeless_outreach_outreachcontact",
            "o",
            {
                "id": "nextval(pg_get_serial_sequence('homeless_outreach_outreachcontact', 'id'))",
                "call_id": "g.new_id",
                "person_id": "gp.new_id",
            },
            shift="g.shift",
        )
        cur.execute(
            f"INSERT INTO homeless_outreach_outreachcontact ({names}) SELECT {exprs}"
            " FROM grow_call g JOIN homeless_outreach_outreachcontact o ON o.call_id = g.old_id"
            " JOIN grow_person gp ON gp.old_id = o.person_id AND gp.k = g.k"
        )
        for table in ("crisis_person", "dispatch_call"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("SELECT count(*) FROM grow_call")
        (added,) = cur.fetchone()
    return added


def arrival_order(connection) -> str:
    """Rewrite the calls table in the order the calls arrived (CLUSTER on the received_at index); returns the index.

    A live table is written as calls arrive, so a month's calls sit on a month's pages. The generated history
    is not (`generate_history` draws the calls out of time order and each grown copy is appended as a whole):
    there a 30-day range at 1,000,000 calls touched 32,638 of the table's 36,896 pages (EXPLAIN ANALYZE),
    and every 30-day report was timing a near-full table read no live table would do."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_attribute a ON a.attrelid = t.oid"
            " AND a.attnum = x.indkey[0]"
            " WHERE t.relname = 'dispatch_call' AND x.indnatts = 1 AND x.indpred IS NULL AND a.attname = 'received_at'"
        )
        (index,) = cur.fetchone()
        cur.execute(f'CLUSTER dispatch_call USING "{index}"')
    return index
