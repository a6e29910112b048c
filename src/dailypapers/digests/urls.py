"""Routes of the digest pages (included at the site root). Route names are ``digests.*``."""

from django.urls import path

from dailypapers.digests import views

urlpatterns = [
    path("subscribe", views.subscribe, name="digests.subscribe"),
    path("subscribe/sent", views.subscribe_sent, name="digests.subscribe_sent"),
    path("subscribe/confirm/<str:token>", views.confirm, name="digests.confirm"),
    path("digest/preferences/<str:token>", views.preferences, name="digests.preferences"),
    path(
        "digest/preferences/<str:token>/new-links",
        views.new_links,
        name="digests.new_links",
    ),
    path("digest/unsubscribe/<str:token>", views.unsubscribe, name="digests.unsubscribe"),
    path(
        "digest/not-interested/<str:token>",
        views.not_interested,
        name="digests.not_interested",
    ),
]
