"""HTML views of the accounts pages: thin, calling ``services`` and ``queries``.

Every state change is a POST with a CSRF token; the email confirmation link opens a page with a
button (GET changes nothing, so a mail scanner that follows links cannot confirm an account).
Log-in attempts are limited per client and per account, failures only, with a browser that signed
in to the account before kept apart (``login_limits``); sign-up and confirmation resends per
client, and password resets per client and per address (``dailypapers.ratelimit``, answered with
429 and ``Retry-After``).
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.accounts import queries, services
from dailypapers.accounts.forms import (
    ApiTokenForm,
    EmailPasswordResetForm,
    LoginForm,
    ProfileForm,
    ResendVerificationForm,
    SignupForm,
)
from dailypapers.accounts.login_limits import limit_logins, remember_device
from dailypapers.ratelimit import client_key, rate_limited

# Keys for rate limits. Posted values are cut short: a 1 MB address is one key like any other.


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` in a ``login_required`` view: never anonymous there."""
    return cast(User, request.user)


def email_key(request: HttpRequest) -> str:
    return "email:" + request.POST.get("email", "").strip().lower()[:254]


@require_http_methods(["GET", "POST"])
@rate_limited("signup", key=client_key)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts.profile", request.user.get_username())
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.sign_up(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
            )
        except services.UsernameTaken:
            form.add_error("username", "This username is taken.")
        else:
            return redirect("accounts.signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    check = services.check_verification_token(token)
    if check.user is None or check.problem in {"invalid", "expired"}:
        status = 410 if check.problem == "expired" else 400
        return render(
            request, "accounts/verify_problem.html", {"problem": check.problem}, status=status
        )
    if check.problem == "used" or (
        request.method == "POST" and not services.confirm_email(check.user)
    ):
        # 410 Gone, like an expired link: the link was good once and is spent.
        return render(request, "accounts/verify_problem.html", {"problem": "used"}, status=410)
    if request.method == "POST":
        messages.success(request, "Your email address is confirmed. Log in to start.")
        return redirect("accounts.login")
    return render(request, "accounts/verify.html", {"username": check.user.get_username()})


@require_http_methods(["GET", "POST"])
@rate_limited("signup", key=client_key)
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.resend_verification(form.cleaned_data["email"])
        return redirect("accounts.signup_sent")
    return render(request, "accounts/verify_resend.html", {"form": form})


login = limit_logins(
    auth_views.LoginView.as_view(
        form_class=LoginForm,
        template_name="accounts/login.html",
        redirect_authenticated_user=True,
    )
)

# Django's LogoutView answers POST only (GET is 405): a link cannot log anyone out.
logout = auth_views.LogoutView.as_view()

password_reset = rate_limited("password_reset", key=client_key)(
    rate_limited("password_reset", key=email_key)(
        auth_views.PasswordResetView.as_view(
            form_class=EmailPasswordResetForm,
            template_name="accounts/password_reset.html",
            success_url=reverse_lazy("accounts.password_reset_sent"),
        )
    )
)

password_reset_sent = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_sent.html"
)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts.password_reset_complete")

    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        # Django answers a tampered, expired or spent link with its "invalid link" page and a
        # 200; the page stays, the status says the link was refused.
        if not self.validlink and response.status_code == 200:
            response.status_code = 400
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        services.complete_password_reset(form.user)  # revokes the API tokens, emails the owner
        # The link proved the address: this browser may log in past other people's failures.
        remember_device(self.request, response, form.user)
        return response


password_reset_confirm = PasswordResetConfirmView.as_view()

password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts.settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.notify_password_changed(form.user)
        messages.success(
            self.request,
            "Your password was changed and your other sessions logged out. Your API tokens still "
            "work: revoke them on the API tokens page if one may have leaked.",
        )
        # The new password unties every device; this one, where it was changed, stays known.
        remember_device(self.request, response, form.user)
        return response


password_change = PasswordChangeView.as_view()


def profile(request: HttpRequest, username: str) -> HttpResponse:
    page = queries.get_profile_page(username)
    is_owner = request.user.is_authenticated and request.user.pk == page.user.pk
    return render(request, "accounts/profile.html", {"page": page, "is_owner": is_owner})


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = services.profile_of(user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.update_display_name(user, form.cleaned_data["display_name"])
            messages.success(request, "Your profile was saved.")
            return redirect("accounts.settings")
    else:
        form = ProfileForm(initial={"display_name": profile.display_name})
    return render(request, "accounts/settings.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    created = None
    if form.is_valid():
        try:
            token, secret = services.create_api_token(user, form.cleaned_data["name"])
        except services.TooManyTokens:
            form.add_error(
                None,
                f"You have {services.MAX_TOKENS_PER_USER} tokens already: revoke one first.",
            )
        else:
            # The secret is shown in this answer only; it is not stored and cannot be shown again.
            created = {"token": token, "secret": secret}
            form = ApiTokenForm()
    context = {"form": form, "created": created, "tokens": queries.list_api_tokens(user)}
    return render(request, "accounts/tokens.html", context, status=201 if created else 200)


@login_required
@require_POST
def revoke_all_api_tokens(request: HttpRequest) -> HttpResponse:
    revoked = services.revoke_all_api_tokens(signed_in_user(request))
    if revoked:
        messages.success(
            request, f"All {revoked} token(s) were revoked: requests using them are now refused."
        )
    else:
        messages.info(request, "You had no tokens to revoke.")
    return redirect("accounts.tokens")


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    if not services.revoke_api_token(signed_in_user(request), token_id):
        raise Http404("No such token.")
    messages.success(request, "The token was revoked: requests using it are now refused.")
    return redirect("accounts.tokens")
