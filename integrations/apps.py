from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from crisis import outbound, people

        from . import webhooks
        from .models import Delivery

        # Calls and referrals tell the outbound hook what happened; the webhooks turn it into outbox rows.
        outbound.listen(webhooks.on_event)
        # A merge of duplicate people: the disclosures logged about the duplicate now read as about the one kept.
        people.register_person_mover(
            "integrations", lambda *, keep, merge: people.move_references(Delivery, "person", keep=keep, merge=merge)
        )
