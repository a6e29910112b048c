from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, pre_delete


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        # Deleting an account, by any path, recounts the papers it had voted for (services.votes).
        from dailypapers.community.services import votes

        user_model = settings.AUTH_USER_MODEL
        pre_delete.connect(
            votes.remember_voted_papers, sender=user_model, dispatch_uid="votes-remember"
        )
        post_delete.connect(
            votes.recount_after_account_deleted, sender=user_model, dispatch_uid="votes-recount"
        )
