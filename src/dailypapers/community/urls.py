"""Routes of the community app (included at the site root). Route names are ``noun.action``."""

from django.urls import path, re_path

from dailypapers.community import submission_views, views
from dailypapers.papers.models import ARXIV_ID_PATTERN

urlpatterns = [
    path("papers/submit", submission_views.submit, name="papers.submit"),
    re_path(rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})/vote$", views.vote, name="papers.vote"),
]
