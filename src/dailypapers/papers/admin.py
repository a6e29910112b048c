"""Django admin for the catalogue: browse, search and correct papers, authors and organizations.

Moderators (``accounts.permissions.is_moderator``: the ``Moderators`` group, staff but not
superusers) may edit a paper's details and links and use the moderation actions: hide or show
papers, and merge two duplicates (``community.services.moderation``). Deleting stays with
superusers. Saving a paper here invalidates the cached pages that show it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from dailypapers.accounts.permissions import is_moderator
from dailypapers.papers.models import (
    Author,
    DailyEntry,
    HarvestState,
    Organization,
    Paper,
    PaperAuthor,
)
from dailypapers.papers.signals import announce_papers_changed


class PaperAuthorInline(admin.TabularInline):
    model = PaperAuthor
    extra = 0
    raw_id_fields = ("author",)
    ordering = ("position",)


class DailyEntryInline(admin.StackedInline):
    model = DailyEntry
    extra = 0


# Shown, never edited here: counts follow votes and comments, hiding has its actions.
COUNTS_AND_MODERATION = (
    "imported_upvotes",
    "local_upvotes",
    "upvotes",
    "imported_comments",
    "local_comments",
    "hidden",
    "merged_into",
    "sources",
    "created",
    "modified",
)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = (
        "arxiv_id",
        "title",
        "upvotes",
        "primary_category",
        "published_at",
        "withdrawn",
        "hidden",
    )
    list_filter = ("hidden", "withdrawn", "primary_category")
    search_fields = ("arxiv_id", "title")
    raw_id_fields = ("organization",)
    readonly_fields = COUNTS_AND_MODERATION
    fieldsets = (
        (None, {"fields": ("arxiv_id", "version", "title", "abstract", "withdrawn")}),
        ("Links", {"fields": ("github_repo", "github_stars", "project_page", "thumbnail_url")}),
        (
            "Details",
            {
                "classes": ("collapse",),
                "fields": (
                    "organization",
                    "categories",
                    "primary_category",
                    "published_at",
                    "updated_at",
                    "comment",
                    "journal_ref",
                    "doi",
                    "license",
                    "discussion_id",
                    "ai_summary",
                    "ai_keywords",
                ),
            },
        ),
        (
            "Counts and moderation",
            {"fields": COUNTS_AND_MODERATION},
        ),
    )
    inlines = [PaperAuthorInline, DailyEntryInline]
    list_per_page = 50
    show_full_result_count = False
    actions = ["hide_papers", "show_papers", "merge_duplicates"]
    # A link typed without a scheme is taken as https (Django 6's default; 5.2 warns otherwise).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request.user)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        announce_papers_changed([obj.pk])  # cached pages and the search index follow the edit

    @admin.action(permissions=["moderate"], description="Hide the selected papers")
    def hide_papers(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        from dailypapers.community.services.moderation import set_papers_hidden

        changed = set_papers_hidden(queryset.values_list("pk", flat=True), True)
        self.message_user(request, f"Hid {changed} paper(s): they are gone from every list.")

    @admin.action(permissions=["moderate"], description="Show the selected papers again")
    def show_papers(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        from dailypapers.community.services.moderation import set_papers_hidden

        changed = set_papers_hidden(queryset.values_list("pk", flat=True), False)
        self.message_user(request, f"{changed} paper(s) shown again.")

    @admin.action(permissions=["moderate"], description="Merge two duplicate papers")
    def merge_duplicates(
        self, request: HttpRequest, queryset: QuerySet[Paper]
    ) -> HttpResponse | None:
        """Two papers selected: ask which to keep, then merge the other into it."""
        from dailypapers.community.services.moderation import MergeRefused, merge_papers

        papers = list(queryset.order_by("pk")[:3])
        if len(papers) != 2:
            self.message_user(request, "Select exactly two papers to merge.", level=messages.ERROR)
            return None
        if request.POST.get("confirm") == "yes":
            keep_id = request.POST.get("keep", "")
            chosen = [p for p in papers if str(p.pk) == keep_id]
            if not chosen:
                self.message_user(request, "Choose the paper to keep.", level=messages.ERROR)
                return None
            keep = chosen[0]
            drop = papers[1] if keep is papers[0] else papers[0]
            try:
                result = merge_papers(keep.pk, drop.pk)
            except MergeRefused as refusal:
                self.message_user(request, str(refusal), level=messages.ERROR)
                return None
            self.message_user(
                request,
                f"Merged {drop.arxiv_id} into {keep.arxiv_id}: {result.votes_moved} vote(s) "
                f"moved, {result.votes_merged} double vote(s) counted once, "
                f"{result.comments_moved} comment(s) and {result.submissions_moved} "
                f"submission(s) moved. {drop.arxiv_id} is hidden and redirects to "
                f"{keep.arxiv_id}.",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate papers",
            "papers": papers,
            "default_keep": max(papers, key=lambda p: (p.upvotes, -p.pk)).pk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/papers/paper/merge_duplicates.html", context)


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
