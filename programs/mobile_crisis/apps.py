from django.apps import AppConfig


class MobileCrisisConfig(AppConfig):
    name = "programs.mobile_crisis"
    label = "mobile_crisis"
    verbose_name = "Mobile crisis"

    def ready(self):
        from crisis.celery import app as celery_app
        from programs import plugins

        from .plugin import MobileCrisisPlugin
        from .tasks import ESCALATE_EVERY_SECONDS, follow_ups_escalate

        plugins.register(MobileCrisisPlugin())
        # The program schedules its own periodic check (no edit to the shared beat schedule in settings).
        celery_app.add_periodic_task(
            ESCALATE_EVERY_SECONDS,
            follow_ups_escalate.s(),
            name="mobile-crisis-follow-ups-escalate",
            # A check queued during an outage is replaced by the next one: drop it rather than run it late.
            expires=ESCALATE_EVERY_SECONDS,
        )
