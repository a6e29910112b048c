"""The one URL table. Route names are ``noun.action``."""

from django.contrib import admin
from django.urls import include, path

from dailypapers.api.routes import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("dailypapers.accounts.urls")),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.feeds.urls")),
    path("", include("dailypapers.digests.urls")),
    path("", include("dailypapers.web.urls")),
]
