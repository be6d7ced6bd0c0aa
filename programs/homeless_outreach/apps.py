from django.apps import AppConfig


class HomelessOutreachConfig(AppConfig):
    name = "programs.homeless_outreach"
    label = "homeless_outreach"
    verbose_name = "Homeless outreach"

    def ready(self):
        from programs import plugins

        from .plugin import OutreachPlugin

        plugins.register(OutreachPlugin())
