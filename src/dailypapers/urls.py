"""The one URL table. Route names are ``noun.action``."""

from django.contrib import admin
from django.urls import include, path, re_path

from dailypapers.accounts.login_limits import limit_logins
from dailypapers.api.routes import api, unknown_endpoint

urlpatterns = [
    # Before admin.site.urls, which has the same path: the admin's login gets the site login's
    # limits (per client, per account, failures only, known devices kept apart).
    path("admin/login/", limit_logins(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/", unknown_endpoint),
    path("", include("dailypapers.accounts.urls")),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.feeds.urls")),
    path("", include("dailypapers.digests.urls")),
    path("", include("dailypapers.web.urls")),
]
