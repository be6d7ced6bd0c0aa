import os

from celery import Celery
from celery.signals import task_prerun, worker_init, worker_process_init

from crisis import heap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisis.settings")

app = Celery("crisis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _usable_database_connections(sender=None, **_kwargs) -> None:
    """Before each task, drop a database connection that died or outlived its age, as Django does per request.

    Workers keep their connection across tasks (CELERY_DB_REUSE_MAX), so Celery closes it only every so many
    tasks; Django checks a connection's health once per request, which a worker never has. Without this, a
    connection broken by a PostgreSQL restart stayed broken: every later task failed with "the connection is
    closed" and waiting calls were never routed (the fault suite's pg_restart found it).
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # an eager task runs inside its caller's transaction (tests, the embedded mode)
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
@worker_process_init.connect
def freeze_startup_heap(**_kwargs) -> None:
    """A worker's start-up heap (Django, the models, Celery, NumPy and SciPy: ~190,000 objects) out of the garbage
    collector's sight (crisis/heap.py): a full collection inside one routing run over 1,000 teams took 275 ms
    (bench/routing_time.py, issue #15), the runs' p99; frozen, 9 ms. Run in the main process (solo pool; prefork
    children inherit it) and again in each prefork child after the fork.

    The youngest generation is collected every 20,000 net allocations instead of 700: a routing run over 1,000
    teams (a `TeamFacts` and a `Candidate` with two lists per team) ran ~7 young collections, 1.3-1.6 ms a run;
    with this threshold none ran inside a run (they run between tasks), for a few MB more of young objects.
    """
    heap.freeze_startup_heap(young_threshold=_YOUNG_THRESHOLD)


_YOUNG_THRESHOLD = 20_000
