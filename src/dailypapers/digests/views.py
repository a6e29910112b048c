"""HTML views of the digest pages: thin, calling ``services.subscriptions``.

No state changes on GET: the confirmation, unsubscribe and "not interested" links open a page
with a button (a mail scanner following links changes nothing). The one exception to CSRF is the
unsubscribe endpoint: RFC 8058 one-click unsubscribe is a POST from the mail client with no
cookie and no form token, so that view is ``csrf_exempt`` and its signed link is the only
credential (it can do nothing but unsubscribe the reader it names). Subscribing is rate limited
per IP and per address (``subscribe`` in ``DAILYPAPERS_RATE_LIMITS``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.digests.forms import PreferencesForm, SubscribeForm
from dailypapers.digests.models import Subscriber
from dailypapers.digests.services import subscriptions
from dailypapers.ratelimit import client_ip, rate_limited


def ip_key(request: HttpRequest) -> str:
    return f"ip:{client_ip(request)}"


def email_key(request: HttpRequest) -> str:
    return "email:" + request.POST.get("email", "").strip().lower()[:254]


def _problem(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    return render(request, "digests/link_problem.html", {"problem": problem}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("subscribe", key=ip_key)
@rate_limited("subscribe", key=email_key)
def subscribe(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    initial = {"email": user.email} if user is not None else {}
    form = SubscribeForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        subscriber = subscriptions.subscribe(form.cleaned_data["email"], user=user)
        if subscriber.status == Subscriber.Status.ACTIVE and user is not None:
            # A verified account address needs no confirmation: straight to the preferences.
            messages.success(request, "You are subscribed. Tell us what you want to read.")
            return redirect("digests.preferences", subscriptions.manage_token(subscriber))
        return redirect("digests.subscribe_sent")
    return render(request, "digests/subscribe.html", {"form": form})


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "digests/subscribe_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    check = subscriptions.check_confirmation_token(token)
    if check.subscriber is None:
        return _problem(request, check.problem, 410 if check.problem == "expired" else 400)
    if request.method == "POST":
        subscriber = subscriptions.confirm_subscription(check.subscriber)
        messages.success(request, "Subscription confirmed. Tell us what you want to read.")
        return redirect("digests.preferences", subscriptions.manage_token(subscriber))
    return render(request, "digests/confirm.html", {"subscriber": check.subscriber})


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriptions.subscriber_for_token(token)
    if subscriber is None:
        return _problem(request, "invalid", 400)
    with_account = subscriber.user_id is not None
    initial = {
        "frequency": subscriber.frequency,
        "hour": subscriber.hour,
        "time_zone": subscriber.time_zone,
        "interests": subscriber.interests,
        "authors": "\n".join(subscriber.authors),
        "organizations": "\n".join(subscriber.organizations),
        "categories": " ".join(subscriber.categories),
        "like_upvoted": subscriber.like_upvoted,
    }
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, initial=initial, with_account=with_account)
    if form.is_valid():
        values = form.cleaned_data
        subscriptions.update_preferences(
            subscriber,
            frequency=values["frequency"],
            hour=values["hour"],
            time_zone=values["time_zone"],
            interests=values["interests"],
            authors=values["authors"],
            organizations=values["organizations"],
            categories=values["categories"],
            like_upvoted=values.get("like_upvoted", False),
        )
        messages.success(request, "Preferences saved.")
        return redirect("digests.preferences", token)
    context = {"form": form, "subscriber": subscriber, "token": token}
    return render(request, "digests/preferences.html", context)


@require_POST
def new_links(request: HttpRequest, token: str) -> HttpResponse:
    """Revoke every link sent so far and email a new preferences link (CSRF protected)."""
    subscriber = subscriptions.subscriber_for_token(token)
    if subscriber is None:
        return _problem(request, "invalid", 400)
    subscriptions.revoke_links(subscriber, send_new=True)
    return render(request, "digests/links_reset.html")


@csrf_exempt  # RFC 8058 one-click: the signed token is the credential (see the module docstring)
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriptions.subscriber_for_token(token)
    if subscriber is None:
        return _problem(request, "invalid", 400)
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber)
        return render(request, "digests/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "digests/unsubscribe.html", {"subscriber": subscriber})


@never_cache
@require_http_methods(["GET", "POST"])
def not_interested(request: HttpRequest, token: str) -> HttpResponse:
    target = subscriptions.not_interested_target(token)
    if target is None:
        return _problem(request, "invalid", 400)
    subscriber, paper = target
    if request.method == "POST":
        subscriptions.mark_not_interested(subscriber, paper)
        context = {"paper": paper, "token": subscriptions.manage_token(subscriber), "done": True}
        return render(request, "digests/not_interested.html", context)
    return render(request, "digests/not_interested.html", {"paper": paper, "done": False})
