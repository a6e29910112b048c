from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dailypapers.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from dailypapers.web import checks  # noqa: F401 (registers the deploy checks)
