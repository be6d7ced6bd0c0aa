from django.apps import AppConfig


class DiversionConfig(AppConfig):
    name = "programs.diversion"
    label = "diversion"
    verbose_name = "911 dispatch diversion"

    def ready(self):
        from programs import plugins

        from .plugin import DiversionPlugin

        plugins.register(DiversionPlugin())
