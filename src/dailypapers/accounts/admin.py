"""Django admin for profiles and API tokens (token secrets are never stored, so never shown)."""

from __future__ import annotations

from django.contrib import admin

from dailypapers.accounts.models import ApiToken, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "email_verified_at")
    search_fields = ("user__username", "user__email", "display_name")
    raw_id_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")
    raw_id_fields = ("user",)
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False  # a token made here would have no way to show its secret
