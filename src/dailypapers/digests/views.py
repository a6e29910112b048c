"""HTML views of the digest pages: thin, calling ``services.subscriptions``.

No state changes on GET: the confirmation, unsubscribe and "not interested" links open a page
with a button (a mail scanner following links changes nothing). The one exception to CSRF is the
unsubscribe endpoint: RFC 8058 one-click unsubscribe is a POST from the mail client with no
cookie and no form token, so that view is ``csrf_exempt`` and its signed link is the only
credential (an unsubscribe token can do nothing but unsubscribe the reader it names). Each page
takes its own kind of token only (the salts are listed in ``services.subscriptions``), and no
page hands out a token more powerful than the one it was opened with. Subscribing is rate
limited per IP and per address (``subscribe`` in ``DAILYPAPERS_RATE_LIMITS``) and answers
"check your inbox" for every address but the signed-in member's own verified one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.digests.forms import PreferencesForm, SubscribeForm
from dailypapers.digests.services import subscriptions
from dailypapers.ratelimit import client_key, rate_limited


def email_key(request: HttpRequest) -> str:
    return "email:" + request.POST.get("email", "").strip().lower()[:254]


def token_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page whose URL holds a signed token: never cached, and its links and redirects send
    the site's origin as ``Referer``, never the path (the token would otherwise reach the next
    server and its access log). Not ``no-referrer``: browsers then send ``Origin: null`` with the
    page's forms, and the CSRF check rightly refuses them."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "strict-origin"
        return response

    return never_cache(wrapper)


def _problem(request: HttpRequest, problem: str) -> HttpResponse:
    """A link that cannot be used: 410 Gone when it was good once (expired, used), else 400."""
    status = 410 if problem in {"expired", "used"} else 400
    return render(request, "digests/link_problem.html", {"problem": problem}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("subscribe", key=client_key)
@rate_limited("subscribe", key=email_key)
def subscribe(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    initial = {"email": user.email} if user is not None else {}
    form = SubscribeForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        subscription = subscriptions.subscribe(form.cleaned_data["email"], user=user)
        if subscription.by_account:
            # The member's own verified address needs no confirmation: straight to the
            # preferences. Any other address, subscribed or not, gets the same answer below.
            messages.success(request, "You are subscribed. Tell us what you want to read.")
            token = subscriptions.preferences_token(subscription.subscriber)
            return redirect("digests.preferences", token)
        return redirect("digests.subscribe_sent")
    return render(request, "digests/subscribe.html", {"form": form})


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "digests/subscribe_sent.html")


@token_page
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        check = subscriptions.confirm_subscription(token)  # single use: checked and spent
    else:
        check = subscriptions.check_confirmation_token(token)
    if check.subscriber is None:
        return _problem(request, check.problem)
    if request.method == "POST":
        messages.success(request, "Subscription confirmed. Tell us what you want to read.")
        return redirect("digests.preferences", subscriptions.preferences_token(check.subscriber))
    return render(request, "digests/confirm.html", {"subscriber": check.subscriber})


@token_page
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriptions.subscriber_for_preferences(token)
    if subscriber is None:
        return _problem(request, "invalid")
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
    context = {
        "form": form,
        "subscriber": subscriber,
        "token": token,
        # The page's own unsubscribe link carries an unsubscribe token (preferences tokens do
        # not unsubscribe): holding the preferences, the reader may of course unsubscribe.
        "unsubscribe_token": subscriptions.unsubscribe_token(subscriber),
    }
    return render(request, "digests/preferences.html", context)


@token_page
@require_POST
def new_links(request: HttpRequest, token: str) -> HttpResponse:
    """Revoke every link sent so far and email a new preferences link (CSRF protected)."""
    subscriber = subscriptions.subscriber_for_preferences(token)
    if subscriber is None:
        return _problem(request, "invalid")
    subscriptions.revoke_links(subscriber, send_new=True)
    return render(request, "digests/links_reset.html")


@csrf_exempt  # RFC 8058 one-click: the signed token is the credential (see the module docstring)
@token_page
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriptions.subscriber_to_unsubscribe(token)
    if subscriber is None:
        return _problem(request, "invalid")
    if request.method == "POST":
        subscriptions.unsubscribe(subscriber)
        return render(request, "digests/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "digests/unsubscribe.html", {"subscriber": subscriber})


@token_page
@require_http_methods(["GET", "POST"])
def not_interested(request: HttpRequest, token: str) -> HttpResponse:
    target = subscriptions.not_interested_target(token)
    if target is None:
        return _problem(request, "invalid")
    subscriber, paper = target
    done = request.method == "POST"
    if done:
        subscriptions.mark_not_interested(subscriber, paper)
    # No link to the preferences here: this token may only say "not interested" in one paper.
    return render(request, "digests/not_interested.html", {"paper": paper, "done": done})
