"""HTML routes, in Hugging Face's URL scheme (``/papers/date/2025-03-14``, ``/papers/week/2025-W11``,
``/papers/month/2025-03``, ``/papers/2405.15738``). Route names are ``noun.action``.

Paper ids may hold a slash (old style ``hep-th/9901001``) and author names any character, so those
routes use the arXiv id pattern and ``<path:...>``; ``reverse()`` quotes what needs quoting.
"""

from django.urls import path, re_path

from dailypapers.papers.models import ARXIV_ID_PATTERN
from dailypapers.web import search_views, views

urlpatterns = [
    path("", views.feed_latest, name="site.home"),
    path("papers", views.feed_latest, name="papers.feed"),
    path("papers/week", views.feed_latest, {"kind": "week"}, name="papers.latest_week"),
    path("papers/month", views.feed_latest, {"kind": "month"}, name="papers.latest_month"),
    path("papers/trending", views.trending, name="papers.trending"),
    path("search", search_views.search_page, name="papers.search"),
    path("papers/trending/formula", views.trending_formula, name="papers.trending_formula"),
    path("papers/date/<str:value>", views.feed_day, name="papers.day"),
    path("papers/week/<str:value>", views.feed_week, name="papers.week"),
    path("papers/month/<str:value>", views.feed_month, name="papers.month"),
    re_path(
        rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})$", views.paper_detail, name="papers.detail"
    ),
    re_path(rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})v(?P<version>\d+)$", views.paper_detail),
    path("organizations/<path:name>", views.organization_detail, name="orgs.detail"),
    path("authors/<path:name>", views.author_detail, name="authors.detail"),
]
