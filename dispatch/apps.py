from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self):
        from crisis import audit_chain, people
        from programs import plugins

        from .desk import DispatchCallDesk
        from .models import Call, CallEvent

        # The call's timeline is the call's audit: hash-chained like the audit trail, by the same machinery.
        audit_chain.register(CallEvent, head_id=CallEvent.CHAIN_HEAD, fields=CallEvent.CHAIN_FIELDS)

        # Programs that take calls themselves reach live operations through this port (programs/plugins.py).
        plugins.provide_call_desk(DispatchCallDesk())
        # A supervisor's merge of duplicate people moves the duplicate's calls to the person kept.
        people.register_person_mover(
            "dispatch", lambda *, keep, merge: people.move_references(Call, "person", keep=keep, merge=merge)
        )
