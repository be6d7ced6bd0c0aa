from django.apps import AppConfig


class CrisisStabilizationConfig(AppConfig):
    name = "programs.crisis_stabilization"
    label = "crisis_stabilization"
    verbose_name = "Crisis stabilization"

    def ready(self):
        from programs import plugins

        from .plugin import StabilizationPlugin

        plugins.register(StabilizationPlugin())
