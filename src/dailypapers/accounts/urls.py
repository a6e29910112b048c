"""Routes of the accounts pages (included at the site root). Route names are ``accounts.*``."""

from django.urls import path

from dailypapers.accounts import views

urlpatterns = [
    path("accounts/signup", views.signup, name="accounts.signup"),
    path("accounts/signup/sent", views.signup_sent, name="accounts.signup_sent"),
    path("accounts/verify/resend", views.resend_verification, name="accounts.verify_resend"),
    path("accounts/verify/<str:token>", views.verify_email, name="accounts.verify"),
    path("accounts/login", views.login, name="accounts.login"),
    path("accounts/logout", views.logout, name="accounts.logout"),
    path("accounts/password/reset", views.password_reset, name="accounts.password_reset"),
    path(
        "accounts/password/reset/sent",
        views.password_reset_sent,
        name="accounts.password_reset_sent",
    ),
    path(
        "accounts/password/reset/done",
        views.password_reset_complete,
        name="accounts.password_reset_complete",
    ),
    path(
        "accounts/password/reset/<str:uidb64>/<str:token>",
        views.password_reset_confirm,
        name="accounts.password_reset_confirm",
    ),
    path("accounts/password/change", views.password_change, name="accounts.password_change"),
    path("accounts/settings", views.account_settings, name="accounts.settings"),
    path("accounts/tokens", views.api_tokens, name="accounts.tokens"),
    path(
        "accounts/tokens/revoke-all",
        views.revoke_all_api_tokens,
        name="accounts.tokens_revoke_all",
    ),
    path(
        "accounts/tokens/<int:token_id>/revoke",
        views.revoke_api_token,
        name="accounts.token_revoke",
    ),
    path("users/<str:username>", views.profile, name="accounts.profile"),
]
