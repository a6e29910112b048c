from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "dailypapers.feeds"
    label = "feeds"
    verbose_name = "Feeds"
