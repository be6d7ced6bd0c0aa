from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self):
        from programs import plugins

        from .desk import DispatchCallDesk

        # Programs that take calls themselves reach live operations through this port (programs/plugins.py).
        plugins.provide_call_desk(DispatchCallDesk())
