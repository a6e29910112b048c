"""Feed views: ``/feeds/<list>.<rss|atom>``, ``/feeds/organizations/<name>.<fmt>``,
``/feeds/authors/<name>.<fmt>``. Each URL names its format; one view per list picks the class."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dailypapers.feeds import feeds

RSS_FEEDS: list[type[feeds.PaperFeed]] = [
    feeds.DailyFeed,
    feeds.WeeklyFeed,
    feeds.MonthlyFeed,
    feeds.TrendingFeed,
    feeds.OrganizationFeed,
    feeds.AuthorFeed,
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
