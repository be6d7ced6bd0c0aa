from django.apps import AppConfig
from django.db.models.signals import post_delete, post_init, post_save


class RespondersConfig(AppConfig):
    name = "responders"
    verbose_name = "Responders and teams"

    def ready(self):
        from .models import TeamMember

        post_init.connect(_remember_membership, sender=TeamMember, dispatch_uid="responders.remember_membership")
        post_save.connect(_membership_saved, sender=TeamMember, dispatch_uid="responders.membership_saved")
        post_delete.connect(_membership_deleted, sender=TeamMember, dispatch_uid="responders.membership_deleted")


# A member's socket streams their team's group and their sessions act for it: ending the membership, deactivating
# it or moving the member to another team ends both (crisis.revocation.user_access_revoke).


def _remember_membership(sender, instance, **kwargs):
    instance._crisis_was = (instance.team_id, instance.active)


def _membership_saved(sender, instance, created, raw=False, **kwargs):
    was_team, was_active = getattr(instance, "_crisis_was", (None, False))
    instance._crisis_was = (instance.team_id, instance.active)
    if created or raw or not was_active:
        return
    if not instance.active:
        _revoke(instance, "team_membership_deactivated", was_team)
    elif instance.team_id != was_team:
        _revoke(instance, "team_changed", was_team)


def _membership_deleted(sender, instance, **kwargs):
    _revoke(instance, "team_membership_removed", instance.team_id)


def _revoke(member, reason: str, team_id) -> None:
    from django.contrib.auth import get_user_model

    from crisis.revocation import user_access_revoke

    # The member's user may be going too (a cascade from the user's deletion): nothing left to revoke then.
    user = get_user_model().objects.filter(pk=member.user_id).first()
    if user is not None:
        user_access_revoke(user=user, reason=reason, team=team_id)
