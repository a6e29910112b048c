"""Django app configuration of the accounts feature."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dailypapers.accounts"
    label = "accounts"
    verbose_name = "Accounts"
