"""Routes of the feeds (included at the site root). Route names are ``feeds.<list>``; every route
takes ``fmt`` (``rss`` or ``atom``), and the organization and author feeds a ``name``."""

from django.urls import re_path

from dailypapers.feeds import views

FMT = r"\.(?P<fmt>rss|atom)"

urlpatterns = [
    re_path(rf"^feeds/daily{FMT}$", views.daily, name="feeds.daily"),
    re_path(rf"^feeds/weekly{FMT}$", views.weekly, name="feeds.weekly"),
    re_path(rf"^feeds/monthly{FMT}$", views.monthly, name="feeds.monthly"),
    re_path(rf"^feeds/trending{FMT}$", views.trending, name="feeds.trending"),
    # Names may hold any character, dots and slashes included: the format is the last suffix.
    re_path(
        rf"^feeds/organizations/(?P<name>.+){FMT}$", views.organization, name="feeds.organization"
    ),
    re_path(rf"^feeds/authors/(?P<name>.+){FMT}$", views.author, name="feeds.author"),
    # The search's parameters are the query string, as on /search.
    re_path(rf"^feeds/search{FMT}$", views.search, name="feeds.search"),
]
