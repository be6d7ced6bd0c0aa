"""Team facts kept warm per process (dispatch/warm.py): the same facts as from the rows, rebuilt on any change."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dispatch import selectors, services, warm
from dispatch.models import Assignment
from programs.models import Program
from responders.models import Team, TeamMember

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _facts(region="central"):
    return {f.team_id: f for f in warm.snapshot(region=region, now=timezone.now()).base}


def test_the_warm_facts_are_those_built_from_the_model_rows(team_a, team_b):
    now = timezone.now()
    snap = warm.snapshot(region="central", now=now)
    for team in (team_a, team_b):
        fresh = Team.objects.select_related("program").get(pk=team.pk)
        expected = selectors.team_base_facts(fresh, now=now, workload=0)
        got = next(f for f in snap.base if f.team_id == team.pk)
        assert got.location_age_seconds == pytest.approx(expected.location_age_seconds, abs=1e-3)
        assert got == expected.__class__(**(expected.__dict__ | {"location_age_seconds": got.location_age_seconds}))
    # The Team a run acts on carries the live row.
    assert snap.teams[team_a.pk].status_changed_at == Team.objects.get(pk=team_a.pk).status_changed_at


def test_a_warm_run_reads_one_statement_and_builds_nothing(team_a, team_b, django_assert_num_queries):
    _facts()
    builds = warm.builds["central"]
    with django_assert_num_queries(1):  # live team rows with their workloads and the fingerprint
        _facts()
    assert warm.builds["central"] == builds


def test_the_live_read_comes_in_binary_with_the_moments_as_epoch_seconds(team_a, team_b):
    """Issue 15: over 1,000 teams, text rows (and EXTRACT's numeric) cost the live read about a millisecond each;
    the read is one statement on a cursor that asks PostgreSQL for binary rows, seen by Django's wrappers."""
    import psycopg
    from django.db import connection

    formats = []

    def spy(execute, sql, params, many, context):
        formats.append(context["cursor"].cursor.format)
        return execute(sql, params, many, context)

    now = timezone.now()
    with connection.execute_wrapper(spy):
        rows = warm.live_team_rows(region="central", now=now)
    assert formats == [psycopg.pq.Format.BINARY]
    row = next(r for r in rows if r[0] == team_a.pk)
    fresh = Team.objects.get(pk=team_a.pk)
    assert row[3] == fresh.status and row[4] == fresh.status_changed_at.timestamp()
    assert row[7] == fresh.location_reported_at.timestamp()


def test_the_workloads_are_counted_from_an_index_not_the_whole_history(team_a, team_b):
    """Each run counts the answered offers of the last 12 hours: over a history of 300,000 offers a scan of the
    table made a 1,000-team run's live read 280-490 ms instead of 5. The plan must reach them through the index on
    offered_at (sequential scans priced out, as a large table would price them)."""
    from django.db import connection

    captured = []

    def spy(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        warm.live_team_rows(region="central", now=timezone.now())
    [(sql, params)] = captured
    with warm._binary_cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "assignment_offered_at" in plan, plan


def test_a_bulk_member_change_is_seen_without_any_signal(team_a, team_b):
    assert "lang:es" in _facts()[team_a.pk].capabilities
    builds = warm.builds["central"]
    # update() sends no signal and runs in this same transaction: the row's new place (ctid) still shows.
    TeamMember.objects.filter(team=team_a).update(languages=["en"])
    assert "lang:es" not in _facts()[team_a.pk].capabilities
    assert warm.builds["central"] == builds + 1
    TeamMember.objects.filter(team=team_a, credential="peer_specialist").update(active=False)
    assert _facts()[team_a.pk].member_count == 1
    TeamMember.objects.filter(team=team_a, credential="peer_specialist").delete()
    assert _facts()[team_a.pk].member_count == 1


def test_the_live_read_scans_no_member_or_program_rows_for_the_fingerprint(team_a, team_b):
    """Issue 15: summing xmin and ctid over a region's member rows and every program was a third of the live read
    over 1,000 teams; the fingerprint is now one row that a trigger bumps (dispatch 0017)."""
    from django.db import connection

    sqls = []

    def spy(execute, sql, params, many, context):
        sqls.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        warm.live_team_rows(region="central", now=timezone.now())
    (sql,) = sqls
    assert TeamMember._meta.db_table not in sql
    assert "dispatch_warm_version" in sql


def test_a_raw_sql_write_in_another_statement_and_a_write_elsewhere_are_seen(team_a, team_b):
    """The trigger catches what no signal sees: raw SQL, and a member write in another region."""
    from django.db import connection

    _facts()
    builds = warm.builds["central"]
    with connection.cursor() as cur:
        cur.execute("UPDATE responders_teammember SET languages = '[]' WHERE team_id = %s", [team_a.pk])
    assert "lang:es" not in _facts()[team_a.pk].capabilities
    assert warm.builds["central"] == builds + 1
    with connection.cursor() as cur:  # a statement that changes no row still invalidates (cheap, and safe)
        cur.execute("UPDATE programs_program SET name = name WHERE false")
    _facts()
    assert warm.builds["central"] == builds + 2
    _facts()
    assert warm.builds["central"] == builds + 2


def test_a_program_change_is_seen(team_a, mobile_crisis):
    assert "co_response" in _facts()[team_a.pk].tiers
    Program.objects.filter(pk=mobile_crisis.pk).update(tiers=["community"])
    assert "co_response" not in _facts()[team_a.pk].tiers
    Program.objects.filter(pk=mobile_crisis.pk).update(active=False)
    assert team_a.pk not in _facts()


def test_a_team_busy_since_the_cache_was_built_is_never_offered(new_call, dana, team_a, team_b, monkeypatch):
    from dispatch import jobs

    _facts()  # warm, with Team A free
    # Status is not part of what is kept warm: a change written behind the services' back still counts.
    Team.objects.filter(pk=team_a.pk).update(status="on_scene")
    call = new_call()
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: None)
    services.call_triage(call=call, screen={}, by=dana)
    offers = services.calls_route_waiting(region="central")
    assert [o.team_id for o in offers] == [team_b.pk]
    assert not Assignment.objects.filter(team=team_a).exists()
