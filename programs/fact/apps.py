from django.apps import AppConfig


class FactConfig(AppConfig):
    name = "programs.fact"
    label = "fact"
    verbose_name = "FACT"

    def ready(self):
        from programs import plugins

        from .plugin import FactPlugin

        plugins.register(FactPlugin())
