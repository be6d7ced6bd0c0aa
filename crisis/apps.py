from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate, post_save


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = "Crisis platform core"

    def ready(self):
        from axes.signals import user_locked_out

        from . import audit_chain, login_audit, passwords, revocation, roles, sessions
        from .models import AuditEntry, User

        # The audit trail is chain 1; a higher layer registers its own append-only table (dispatch: the timeline).
        audit_chain.register(AuditEntry, head_id=1, fields=audit_chain.AUDIT_FIELDS)

        post_migrate.connect(roles.sync_groups_after_migrate, dispatch_uid="crisis.sync_groups")
        user_logged_out.connect(_close_sockets_on_logout, dispatch_uid="crisis.close_sockets")
        user_login_failed.connect(login_audit.on_login_failed, dispatch_uid="crisis.audit_login_failed")
        user_locked_out.connect(login_audit.on_locked_out, dispatch_uid="crisis.audit_locked_out")
        user_logged_in.connect(sessions.mark_active_on_login, dispatch_uid="crisis.session_active_on_login")
        user_logged_in.connect(passwords.note_on_login, dispatch_uid="crisis.password_change_due")
        post_save.connect(
            passwords.on_user_created,
            sender=User,
            dispatch_uid="crisis.password_first_record",
        )
        revocation.connect()


def _close_sockets_on_logout(sender, request, user, **kwargs):
    # Open websockets of this user close at once instead of at the next session check.
    if user is not None:
        from . import realtime

        realtime.publish("session.ended", {}, groups=[realtime.user_group(user.pk)])
