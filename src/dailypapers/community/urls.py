"""Routes of the community app (included at the site root). Route names are ``noun.action``."""

from django.urls import path, re_path

from dailypapers.community import submission_views, views
from dailypapers.community.comment_views import (
    comment_create,
    comment_delete,
    comment_edit,
    comment_hide,
)
from dailypapers.papers.models import ARXIV_ID_PATTERN

urlpatterns = [
    path("papers/submit", submission_views.submit, name="papers.submit"),
    re_path(rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})/vote$", views.vote, name="papers.vote"),
    re_path(
        rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})/comments$",
        comment_create,
        name="comments.create",
    ),
    re_path(r"^comments/(?P<comment_id>[0-9]{1,18})/edit$", comment_edit, name="comments.edit"),
    re_path(
        r"^comments/(?P<comment_id>[0-9]{1,18})/delete$", comment_delete, name="comments.delete"
    ),
    re_path(r"^comments/(?P<comment_id>[0-9]{1,18})/hide$", comment_hide, name="comments.hide"),
]
