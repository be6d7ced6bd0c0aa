from django.apps import AppConfig


class TenthProgramConfig(AppConfig):
    """A program that exists only in the tests: proof that a program plugs in with no edit outside its app."""

    name = "tests.support.tenth_program"
    label = "tenth_program"
    verbose_name = "Peer respite (test-only program)"

    def ready(self):
        from programs import plugins

        from .plugin import PeerRespitePlugin

        plugins.register(PeerRespitePlugin())
