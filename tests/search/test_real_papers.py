"""Ranking sanity on real arXiv papers (the listings corpus in ../shared/data; skipped when absent)."""

from __future__ import annotations

import pytest

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.sources.bulk import listing_records
from dailypapers.papers.models import Paper
from dailypapers.search import indexing
from dailypapers.search.queries import search, similar_papers

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

LISTINGS = "scale/arxiv_cs_daily_listings_2025-03_2026-07_dedup.jsonl.gz"
PAPERS = 150  # embedding is the slow part: enough to rank among, few enough to keep the test quick


@pytest.fixture
def real_papers(shared_data, search_data_dir):
    import_records(listing_records(shared_data / LISTINGS, limit=PAPERS))
    papers = list(Paper.objects.order_by("pk").prefetch_related("authors"))
    report = indexing.index_papers([p.pk for p in papers])
    assert report.indexed == len(papers) >= PAPERS - 5
    return papers


def test_real_papers_rank_sensibly_by_title_author_category_and_similarity(real_papers):
    sample = real_papers[:: len(real_papers) // 10][:10]

    for paper in sample:
        # The exact title finds the paper first, in every mode.
        for mode in ("bm25", "hybrid"):
            top = search(paper.title, mode=mode).hits[0].paper
            assert top == paper, f"{mode}: {paper.title!r} ranked {top.title!r} first"
        # A few words of the abstract, without the title, still find it in the top 3.
        words = " ".join(paper.abstract.split()[:25])
        assert paper in [h.paper for h in search(words, mode="hybrid", limit=3).hits]

        first_author = paper.authors.all().order_by("authorships__position")[0].name
        by_author = search(f'author:"{first_author}"', limit=50).hits
        assert paper in [h.paper for h in by_author]
        assert all(first_author in [a.name for a in h.paper.authors.all()] for h in by_author)

        category = paper.categories[0]
        in_category = search(f"cat:{category}", limit=50).hits
        assert in_category and all(category in h.paper.categories for h in in_category)

        similar = similar_papers(paper.pk, k=5)
        assert len(similar) == 5 and paper not in [s.paper for s in similar]

    assert indexing.index_status().consistent
