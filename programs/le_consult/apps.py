from django.apps import AppConfig


class LeConsultConfig(AppConfig):
    name = "programs.le_consult"
    label = "le_consult"
    verbose_name = "Officer consults"

    def ready(self):
        from programs import plugins

        from .plugin import LeConsultPlugin

        plugins.register(LeConsultPlugin())
