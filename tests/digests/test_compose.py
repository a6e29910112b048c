"""Composing digests: the period's top papers, personal picks with their reasons, through the site's
search code; a paper never twice to one reader; nothing for an empty period."""

from __future__ import annotations

import pytest

from dailypapers.community.services.votes import upvote_paper
from dailypapers.digests.models import Digest, SentPaper
from dailypapers.digests.services import subscriptions
from dailypapers.digests.services.compose import compose_digests, compose_one, period_key
from dailypapers.papers.queries import period_of
from tests.accounts.conftest import make_user

from .conftest import DAY, NEXT_DAY, make_day, make_subscriber

pytestmark = pytest.mark.django_db


def picks(items):
    return [(item.paper, item.reason) for item in items if item.section == "pick"]


def titles(items, papers, section):
    by_id = {paper.pk: paper.title for paper in papers}
    return [by_id[item.paper] for item in items if item.section == section]


def test_digest_starts_with_the_periods_top_trending_papers(day_papers):
    reader = make_subscriber()
    items = compose_one(period_of("day", DAY), reader)
    assert titles(items, day_papers, "top") == [
        "Diffusion Distillation in Four Steps",
        "Retrieval Augmented Generation for Question Answering",
    ]


def test_interest_picks_come_from_hybrid_search_with_a_reason(day_papers):
    reader = make_subscriber(interests="diffusion image generation")
    items = compose_one(period_of("day", DAY), reader)
    picked = titles(items, day_papers, "pick")
    # The top paper about diffusion is already in the top section: never twice in one digest.
    assert picked[0] == "Faster Sampling for Score-Based Diffusion Models"
    assert "Diffusion Distillation in Four Steps" not in picked
    reasons = [reason for _, reason in picks(items)]
    assert reasons[0] == "matches “diffusion image generation”"


def test_followed_authors_and_organizations_come_first(day_papers):
    reader = make_subscriber(
        interests="language models",
        authors=["rosalind  franklin"],
        organizations=["roboticslab"],
    )
    items = compose_one(period_of("day", DAY), reader)
    picked = picks(items)
    assert picked[0][1] == "by Rosalind Franklin, an author you follow"
    assert picked[1][1] == "from roboticslab, an organization you follow"
    assert picked[2][1] == "matches “language models”"


def test_followed_category_picks_say_so(day_papers):
    reader = make_subscriber(categories=["q-bio"])
    items = compose_one(period_of("day", DAY), reader)
    assert picks(items) == [(day_papers[3].pk, "in q-bio, a category you follow")]


def test_papers_like_the_ones_i_upvoted(day_papers, search_data_dir):
    user = make_user("ada")
    older = make_day(
        DAY.replace(day=1),
        [
            dict(
                title="Consistency Models for One-Step Image Diffusion",
                abstract="Distilling diffusion image generators into one-step samplers.",
            )
        ],
    )[0]
    upvote_paper(user.pk, older.pk)
    reader = make_subscriber("ada@example.org", like_upvoted=True)
    reader.user = user
    reader.save()
    reader = subscriptions.update_preferences(
        reader,
        frequency="daily",
        hour=7,
        time_zone="UTC",
        interests="",
        authors=[],
        organizations=[],
        categories=[],
        like_upvoted=True,
    )
    items = compose_one(period_of("day", DAY), reader)
    picked = picks(items)
    assert picked, "a paper similar to the upvoted one is picked"
    assert picked[0][0] == day_papers[5].pk
    assert picked[0][1] == (
        "similar to “Consistency Models for One-Step Image Diffusion”, which you upvoted"
    )


def test_like_upvoted_needs_an_account(day_papers):
    reader = make_subscriber(like_upvoted=True)
    assert reader.like_upvoted is False


def test_not_interested_paper_and_close_ones_are_not_picked_again(day_papers):
    reader = make_subscriber(interests="diffusion image generation sampling")
    period = period_of("day", DAY)
    before = [paper for paper, _ in picks(compose_one(period, reader))]
    assert day_papers[5].pk in before
    subscriptions.mark_not_interested(reader, day_papers[5])
    after = [paper for paper, _ in picks(compose_one(period, reader))]
    assert day_papers[5].pk not in after


def test_compose_records_one_digest_per_reader_and_the_papers_sent(day_papers):
    readers = [make_subscriber(f"r{i}@example.org", interests="robot") for i in range(3)]
    period = period_of("day", DAY)
    report = compose_digests(period, [r.pk for r in readers])
    assert report.composed == 3 and report.papers == 6 and report.distinct_interests == 1
    digests = Digest.objects.filter(period=period_key(period))
    assert digests.count() == 3
    assert all(d.status == Digest.Status.PENDING and d.message_id for d in digests)
    assert SentPaper.objects.filter(subscriber=readers[0]).count() == len(digests[0].items)
    again = compose_digests(period, [r.pk for r in readers])
    assert again.composed == 0 and again.already == 3
    assert Digest.objects.filter(period=period_key(period)).count() == 3


def test_a_paper_is_never_sent_twice_to_the_same_reader(day_papers):
    reader = make_subscriber(interests="diffusion")
    compose_digests(period_of("day", DAY), [reader.pk])
    first = {item["paper"] for item in Digest.objects.get(subscriber=reader).items}
    make_day(NEXT_DAY, [dict(title="A new robot paper", abstract="Robots.", upvotes=99)])
    # The weekly digest covers both days: only papers the reader has not had yet.
    compose_digests(period_of("week", DAY), [reader.pk])
    weekly = Digest.objects.get(subscriber=reader, period__startswith="week:")
    again = {item["paper"] for item in weekly.items}
    assert again and not (first & again)


def test_empty_period_composes_nothing(day_papers):
    reader = make_subscriber(interests="diffusion")
    report = compose_digests(period_of("day", DAY.replace(day=20)), [reader.pk])
    assert report.papers == 0 and report.composed == 0
    assert not Digest.objects.exists()


def test_reader_with_nothing_new_gets_no_digest(day_papers):
    reader = make_subscriber()
    for paper in day_papers:
        SentPaper.objects.create(subscriber=reader, paper=paper)
    report = compose_digests(period_of("day", DAY), [reader.pk])
    assert report.nothing_new == 1 and not Digest.objects.exists()
