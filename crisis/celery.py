import os

from celery import Celery
from celery.signals import task_prerun

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
