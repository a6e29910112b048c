"""The feed classes: one RSS 2.0 class per list, and an Atom twin of each.

Items are papers read through the same queries as the pages (``papers.queries``,
``community.queries``), so a feed lists what its page shows, in the same order. Links are absolute
on ``settings.SITE_URL``. The search feed runs the search page's query and filters
(``search.browse``): its items are the ``SEARCH_ITEMS`` best matches, newest first, so a reader
subscribed to a query sees each new paper that makes the list.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from dailypapers.community.queries import query_trending
from dailypapers.feeds.text import NAME_LIMIT, TITLE_LIMIT, clean, description_html
from dailypapers.papers.models import Author, Organization, Paper
from dailypapers.papers.queries import (
    Period,
    get_author,
    get_latest_feed_date,
    get_latest_period,
    get_organization,
    query_author_papers,
    query_feed,
    query_organization_papers,
)
from dailypapers.search.browse import SearchForm
from dailypapers.search.queries import search

ITEMS = 50
SEARCH_ITEMS = 50
DAILY_DAYS = 3  # the daily feed holds the last three days that have papers
DAILY_ITEMS = 150


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


class PaperFeed(Feed):
    """What every paper feed shares: items are ``Paper`` rows with their byline prefetched."""

    feed_type = Rss201rev2Feed
    route = ""  # the URL name of this feed; the format is its ``fmt`` argument
    fmt = "rss"

    def feed_url(self, obj=None) -> str:
        return absolute(reverse(self.route, kwargs={"fmt": self.fmt, **self.route_kwargs(obj)}))

    def route_kwargs(self, obj) -> dict:
        return {}

    def feed_extra_kwargs(self, obj) -> dict:
        return {}

    def item_title(self, paper: Paper) -> str:
        return clean(paper.title, TITLE_LIMIT) or paper.arxiv_id

    def item_link(self, paper: Paper) -> str:
        return absolute(paper.get_absolute_url())

    def item_guid(self, paper: Paper) -> str:
        return self.item_link(paper)

    item_guid_is_permalink = True

    def _names(self, paper: Paper) -> list[str]:
        return [authorship.author.name for authorship in paper.authorships.all()]

    def item_description(self, paper: Paper) -> str:
        return description_html(paper.abstract, self._names(paper), self.item_extra_line(paper))

    def item_extra_line(self, paper: Paper) -> str:
        return f"{paper.upvotes} upvote{'s' if paper.upvotes != 1 else ''}"

    def item_author_name(self, paper: Paper) -> str | None:
        names = self._names(paper)
        if not names:
            return None
        first = clean(names[0], NAME_LIMIT)
        return f"{first} et al." if len(names) > 1 else first

    def item_categories(self, paper: Paper) -> list[str]:
        return [clean(c, NAME_LIMIT) for c in paper.categories or [] if isinstance(c, str)]

    def item_pubdate(self, paper: Paper) -> dt.datetime | None:
        entry = getattr(paper, "daily", None)
        if entry is not None:
            return entry.submitted_at or dt.datetime.combine(entry.date, dt.time(), tzinfo=dt.UTC)
        return paper.published_at or paper.created

    def item_updateddate(self, paper: Paper) -> dt.datetime:
        return paper.modified


def _period_title(kind: str, period: Period | None) -> str:
    heading = {"day": "Daily Papers", "week": "Weekly Papers", "month": "Monthly Papers"}[kind]
    return f"{settings.SITE_NAME}: {heading}" + (f", {period.label}" if period else "")


class DailyFeed(PaperFeed):
    route = "feeds.daily"
    description = "Papers of the last days in the daily list, newest day first, then by upvotes."

    def title(self) -> str:
        return f"{settings.SITE_NAME}: Daily Papers"

    def link(self) -> str:
        return absolute(reverse("papers.feed"))

    def items(self) -> QuerySet[Paper]:
        latest = get_latest_feed_date()
        if latest is None:
            return Paper.objects.none()
        days = list(
            query_feed()
            .filter(daily__date__lte=latest)
            .order_by("-daily__date")
            .values_list("daily__date", flat=True)
            .distinct()[:DAILY_DAYS]
        )
        return (
            query_feed()
            .filter(daily__date__gte=min(days))
            .order_by("-daily__date", "-upvotes", "-arxiv_id")[:DAILY_ITEMS]
        )


class _PeriodFeed(PaperFeed):
    kind = "week"
    page_route = ""

    def get_object(self, request: HttpRequest, **kwargs) -> Period | None:
        return get_latest_period(self.kind)  # type: ignore[arg-type]

    def title(self, period: Period | None) -> str:
        return _period_title(self.kind, period)

    def link(self, period: Period | None) -> str:
        return absolute(reverse(self.page_route))

    def description(self, period: Period | None) -> str:
        return f"The latest {self.kind}'s top {ITEMS} papers by upvotes."

    def items(self, period: Period | None) -> QuerySet[Paper]:
        if period is None:
            return Paper.objects.none()
        return query_feed(period)[:ITEMS]


class WeeklyFeed(_PeriodFeed):
    route, kind, page_route = "feeds.weekly", "week", "papers.latest_week"


class MonthlyFeed(_PeriodFeed):
    route, kind, page_route = "feeds.monthly", "month", "papers.latest_month"


class TrendingFeed(PaperFeed):
    route = "feeds.trending"
    description = "Papers by upvotes weighted by how recent they are."

    def title(self) -> str:
        return f"{settings.SITE_NAME}: Trending Papers"

    def link(self) -> str:
        return absolute(reverse("papers.trending"))

    def items(self) -> QuerySet[Paper]:
        return query_trending()[:ITEMS]


NEWEST_FIRST = (F("published_at").desc(nulls_last=True), "-arxiv_id")


class OrganizationFeed(PaperFeed):
    route = "feeds.organization"

    def get_object(self, request: HttpRequest, name: str, **kwargs) -> Organization:
        organization = get_organization(name)
        if organization is None:
            raise Http404("There is no organization of that name here.")
        return organization

    def route_kwargs(self, organization: Organization) -> dict:
        return {"name": organization.name}

    def title(self, organization: Organization) -> str:
        return f"{settings.SITE_NAME}: papers from {clean(organization.display_name, NAME_LIMIT)}"

    def link(self, organization: Organization) -> str:
        return absolute(organization.get_absolute_url())

    def description(self, organization: Organization) -> str:
        return f"The newest papers from {clean(organization.display_name, NAME_LIMIT)}."

    def items(self, organization: Organization) -> QuerySet[Paper]:
        return query_organization_papers(organization).order_by(*NEWEST_FIRST)[:ITEMS]


class AuthorFeed(PaperFeed):
    route = "feeds.author"

    def get_object(self, request: HttpRequest, name: str, **kwargs) -> Author:
        author = get_author(name)
        if author is None:
            raise Http404("There is no author of that name here.")
        return author

    def route_kwargs(self, author: Author) -> dict:
        return {"name": author.name}

    def title(self, author: Author) -> str:
        return f"{settings.SITE_NAME}: papers by {clean(author.name, NAME_LIMIT)}"

    def link(self, author: Author) -> str:
        return absolute(author.get_absolute_url())

    def description(self, author: Author) -> str:
        return f"The newest papers by {clean(author.name, NAME_LIMIT)}."

    def items(self, author: Author) -> QuerySet[Paper]:
        return query_author_papers(author.name)[:ITEMS]


class SearchFeed(PaperFeed):
    """The best matches of a search (query and filters as on ``/search``), newest first."""

    route = "feeds.search"

    def get_object(self, request: HttpRequest, **kwargs) -> SearchForm:
        return kwargs["form"]

    def feed_url(self, form: SearchForm | None = None) -> str:
        assert form is not None
        return f"{super().feed_url(form)}?{form.feed_params()}"

    def title(self, form: SearchForm) -> str:
        return f"{settings.SITE_NAME}: papers matching {clean(form.describe(), TITLE_LIMIT)}"

    def link(self, form: SearchForm) -> str:
        return absolute(f"{reverse('papers.search')}?{form.feed_params()}")

    def description(self, form: SearchForm) -> str:
        return f"The {SEARCH_ITEMS} papers that best match this search, newest first."

    def items(self, form: SearchForm) -> list[Paper]:
        hits = search(form.query_text(), form.filters(), limit=SEARCH_ITEMS).hits
        papers = [hit.paper for hit in hits]
        undated = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(papers, key=lambda paper: paper.published_at or undated, reverse=True)


def atom(feed_class: type[PaperFeed]) -> type[PaperFeed]:
    """The Atom twin of an RSS feed class (Atom's ``subtitle`` is RSS's ``description``)."""

    class AtomFeed(feed_class):  # type: ignore[valid-type, misc]
        feed_type = Atom1Feed
        fmt = "atom"

        def subtitle(self, obj=None) -> str:
            # Django's own lookup: ``description`` may be a string or take the object or not.
            return self._get_dynamic_attr("description", obj)

    AtomFeed.__name__ = f"{feed_class.__name__}Atom"
    AtomFeed.__qualname__ = AtomFeed.__name__
    return AtomFeed
