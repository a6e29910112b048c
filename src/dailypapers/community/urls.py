"""Routes of the community app (included at the site root). Route names are ``noun.action``."""

from django.urls import re_path

from dailypapers.community import views
from dailypapers.papers.models import ARXIV_ID_PATTERN

urlpatterns = [
    re_path(rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})/vote$", views.vote, name="papers.vote"),
]
