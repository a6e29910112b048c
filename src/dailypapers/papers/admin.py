"""Django admin for the catalogue: browse, search and correct papers, authors and organizations."""

from __future__ import annotations

from django.contrib import admin

from dailypapers.papers.models import (
    Author,
    DailyEntry,
    HarvestState,
    Organization,
    Paper,
    PaperAuthor,
)


class PaperAuthorInline(admin.TabularInline):
    model = PaperAuthor
    extra = 0
    raw_id_fields = ("author",)
    ordering = ("position",)


class DailyEntryInline(admin.StackedInline):
    model = DailyEntry
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "title", "upvotes", "primary_category", "published_at", "withdrawn")
    list_filter = ("withdrawn", "primary_category")
    search_fields = ("arxiv_id", "title")
    raw_id_fields = ("organization",)
    readonly_fields = (
        "imported_upvotes",
        "local_upvotes",
        "upvotes",
        "sources",
        "created",
        "modified",
    )
    inlines = [PaperAuthorInline, DailyEntryInline]
    list_per_page = 50
    show_full_result_count = False


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    list_per_page = 100
    show_full_result_count = False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "fullname")
    search_fields = ("name", "fullname")


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "paper", "submitter_name")
    date_hierarchy = "date"
    search_fields = ("paper__arxiv_id", "paper__title", "submitter_name")
    raw_id_fields = ("paper",)


@admin.register(HarvestState)
class HarvestStateAdmin(admin.ModelAdmin):
    list_display = ("key", "from_date", "last_completed", "pages_done", "records_seen", "updated")
