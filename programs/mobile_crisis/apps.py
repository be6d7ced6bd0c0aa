from django.apps import AppConfig


class MobileCrisisConfig(AppConfig):
    name = "programs.mobile_crisis"
    label = "mobile_crisis"
    verbose_name = "Mobile crisis"

    def ready(self):
        from programs import plugins

        from .plugin import MobileCrisisPlugin

        plugins.register(MobileCrisisPlugin())
