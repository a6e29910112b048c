"""Django admin for the community's moderation: comments (hide and show them again), and who
submitted which paper (read-only: a submission is a record of what someone sent).

Moderators see every comment, can search and filter them, and hide or show them with the actions
(``services.comments.set_comments_hidden``, which keeps the papers' comment counts right). Nobody
edits someone else's words here: every field is read-only, and comments are never added here.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dailypapers.accounts.permissions import is_moderator
from dailypapers.community.models import Comment, Submission
from dailypapers.community.services.comments import set_comments_hidden


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("pk", "paper", "author", "created", "excerpt", "hidden", "deleted")
    list_filter = ("hidden", "deleted")
    search_fields = ("body", "author__username", "paper__arxiv_id")
    list_select_related = ("paper", "author")
    readonly_fields = (
        "paper",
        "author",
        "parent",
        "body",
        "body_html",
        "created",
        "edited_at",
        "deleted",
        "hidden",
    )
    date_hierarchy = "created"
    list_per_page = 50
    show_full_result_count = False
    actions = ["hide_comments", "show_comments"]

    @admin.display(description="Comment")
    def excerpt(self, comment: Comment) -> str:
        return comment.body[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request.user)

    @admin.action(permissions=["moderate"], description="Hide the selected comments")
    def hide_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        changed = set_comments_hidden(request.user, queryset.values_list("pk", flat=True), True)
        self.message_user(request, f"Hid {changed} comment(s).")

    @admin.action(permissions=["moderate"], description="Show the selected comments again")
    def show_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        changed = set_comments_hidden(request.user, queryset.values_list("pk", flat=True), False)
        self.message_user(request, f"{changed} comment(s) shown again.")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("pk", "paper", "user", "created", "organization", "github_repo")
    search_fields = ("user__username", "paper__arxiv_id", "paper__title")
    list_select_related = ("paper", "user")
    readonly_fields = (
        "paper",
        "user",
        "created",
        "organization",
        "github_repo",
        "project_page",
    )
    date_hierarchy = "created"
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # read-only; a wrong link is mended on the paper

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_moderator(request.user) or super().has_view_permission(request, obj)
