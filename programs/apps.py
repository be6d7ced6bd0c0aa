from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs"

    def ready(self):
        from crisis import people

        from . import plugins

        # A supervisor's merge of duplicate people moves every program's own rows through its plug-in.
        people.register_person_mover("programs", plugins.person_merge)
        self._schedule()

    def _schedule(self):
        from crisis.celery import app as celery_app

        from .tasks import ESCALATE_EVERY_SECONDS, escalations_raise

        # Stalled hand-offs of every program, escalated live (programs/escalations.py).
        celery_app.add_periodic_task(
            ESCALATE_EVERY_SECONDS,
            escalations_raise.s(),
            name="programs-escalations-raise",
            # A run queued during an outage is replaced by the next one, which sees everything still stalled.
            expires=ESCALATE_EVERY_SECONDS,
        )
