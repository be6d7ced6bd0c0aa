from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_migrate


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = "Crisis platform core"

    def ready(self):
        from . import roles

        post_migrate.connect(roles.sync_groups_after_migrate, dispatch_uid="crisis.sync_groups")
        user_logged_out.connect(_close_sockets_on_logout, dispatch_uid="crisis.close_sockets")


def _close_sockets_on_logout(sender, request, user, **kwargs):
    # Open websockets of this user close at once instead of at the next session check.
    if user is not None:
        from . import realtime

        realtime.publish("session.ended", {}, groups=[realtime.user_group(user.pk)])
