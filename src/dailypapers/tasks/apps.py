from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "dailypapers.tasks"
    label = "tasks"
    verbose_name = "Background jobs"
