"""Django app configuration of the search feature."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        # Connects the papers_changed receiver that queues indexing (in every process).
        from dailypapers.search import receivers  # noqa: F401
