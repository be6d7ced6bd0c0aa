from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from crisis import outbound

        from . import rollup

        # Every change to a call (and to a record that stops a standard's clock) marks its day's kept counts stale.
        outbound.listen(rollup.on_event)
