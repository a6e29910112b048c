"""Django admin for accounts: users, profiles and API tokens (token secrets are never stored).

Users: superusers get Django's full user admin. Moderators (staff in the ``Moderators`` group, not
superusers) see accounts read-only and may only suspend or unsuspend them with the actions
(``community.services.moderation``), which also end the account's sessions; they cannot change
passwords, groups, permissions or the staff and superuser flags, nor suspend or unsuspend staff,
nor lift a suspension a superuser made. A superuser unticking *Active* in the user form suspends
the account as the actions do (recorded as theirs, sessions ended); ticking it lifts the record.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.accounts.permissions import is_moderator


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "email_verified_at", "suspended_at", "suspended_by")
    search_fields = ("user__username", "user__email", "display_name")
    raw_id_fields = ("user",)
    # Suspensions are made and lifted with the user admin's actions, which check rank.
    readonly_fields = ("suspended_at", "suspended_by")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")
    raw_id_fields = ("user",)
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False  # a token made here would have no way to show its secret


User = get_user_model()
MODERATOR_USER_FIELDS = ("username", "email", "is_active", "is_staff", "last_login", "date_joined")


class ModeratedUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    actions = ["suspend", "unsuspend"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return ((None, {"fields": MODERATOR_USER_FIELDS}),)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return MODERATOR_USER_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request.user)

    def user_change_password(self, request: HttpRequest, id, form_url=""):
        # change_user alone must not let a moderator set anyone's password (a superuser's).
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            from dailypapers.community.services.moderation import (
                clear_suspension,
                end_sessions,
                record_suspension,
            )

            if obj.is_active:
                clear_suspension([obj.pk])
            else:
                record_suspension(request.user, [obj.pk])
                end_sessions([obj.pk])

    @admin.action(permissions=["moderate"], description="Suspend the selected accounts")
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        from dailypapers.community.services.moderation import SuspensionRefused, suspend_users

        try:
            changed = suspend_users(request.user, queryset.values_list("pk", flat=True))
        except SuspensionRefused as refusal:
            self.message_user(request, str(refusal), level=messages.ERROR)
            return
        self.message_user(
            request, f"Suspended {changed} account(s): logged out, and their API tokens refused."
        )

    @admin.action(permissions=["moderate"], description="Unsuspend the selected accounts")
    def unsuspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        from dailypapers.community.services.moderation import SuspensionRefused, unsuspend_users

        try:
            changed = unsuspend_users(request.user, queryset.values_list("pk", flat=True))
        except SuspensionRefused as refusal:
            self.message_user(request, str(refusal), level=messages.ERROR)
            return
        self.message_user(request, f"{changed} account(s) active again.")


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, ModeratedUserAdmin)
