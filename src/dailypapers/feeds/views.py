"""Feed views: ``/feeds/<list>.<rss|atom>``, ``/feeds/organizations/<name>.<fmt>``,
``/feeds/authors/<name>.<fmt>``. Each URL names its format; one view per list picks the class."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from dailypapers.feeds import feeds
from dailypapers.ratelimit import limit_request
from dailypapers.search.browse import SearchForm

RSS_FEEDS: list[type[feeds.PaperFeed]] = [
    feeds.DailyFeed,
    feeds.WeeklyFeed,
    feeds.MonthlyFeed,
    feeds.TrendingFeed,
    feeds.OrganizationFeed,
    feeds.AuthorFeed,
    feeds.SearchFeed,
]


def _view(rss: type[feeds.PaperFeed]) -> Callable[..., HttpResponse]:
    by_format = {"rss": rss(), "atom": feeds.atom(rss)()}

    def view(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
        return by_format[fmt](request, **kwargs)

    view.__name__ = f"{rss.__name__.removesuffix('Feed').lower()}_feed"
    return view


daily = _view(feeds.DailyFeed)
weekly = _view(feeds.WeeklyFeed)
monthly = _view(feeds.MonthlyFeed)
trending = _view(feeds.TrendingFeed)
organization = _view(feeds.OrganizationFeed)
author = _view(feeds.AuthorFeed)


_search_feed = _view(feeds.SearchFeed)


def search(request: HttpRequest, fmt: str) -> HttpResponse:
    """``/feeds/search.<fmt>?q=...``: the search page's parameters; a bad one is a 400 naming it.

    Each fetch runs a search, so it counts against the ``search`` rate limit as ``/search`` does.
    """
    form, errors = SearchForm.from_params(request.GET)
    if errors:
        message = "; ".join(f"{name}: {text}" for name, text in sorted(errors.items()))
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    if form.is_empty:
        return HttpResponseBadRequest(
            "a search feed needs q= or a filter (cat, org, author, from, to, code)",
            content_type="text/plain; charset=utf-8",
        )
    if (refused := limit_request(request, "search")) is not None:
        return refused
    return _search_feed(request, fmt, form=form)
