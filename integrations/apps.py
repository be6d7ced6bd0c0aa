from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from crisis import outbound

        from . import webhooks

        # Calls and referrals tell the outbound hook what happened; the webhooks turn it into outbox rows.
        outbound.listen(webhooks.on_event)
