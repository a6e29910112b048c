"""Django admin for digests: subscribers (searchable by address, status and bounces visible) and
the outbox, read-only (a digest row is the record of what was sent; editing it would make the
exactly-once guarantee a lie)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dailypapers.digests.models import Digest, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "hour", "time_zone", "bounces", "confirmed_at")
    list_filter = ("status", "frequency")
    search_fields = ("email",)
    raw_id_fields = ("user",)
    readonly_fields = ("link_version", "bounces", "last_error", "created", "confirmed_at")


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("period", "subscriber", "status", "attempts", "sent_at")
    list_filter = ("status", "period")
    search_fields = ("subscriber__email", "message_id")
    raw_id_fields = ("subscriber",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Digest | None = None) -> bool:
        return False
