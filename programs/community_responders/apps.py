from django.apps import AppConfig


class CommunityRespondersConfig(AppConfig):
    name = "programs.community_responders"
    label = "community_responders"
    verbose_name = "Community responders"

    def ready(self):
        from programs import plugins

        from .plugin import CommunityRespondersPlugin

        plugins.register(CommunityRespondersPlugin())
