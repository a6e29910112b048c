"""The paper page through Django's test client, on a real database.

Papers enter through the real import pipeline; one test imports real Hugging Face responses from
the shared data folder (skipped when it is absent) and checks the real ConvLLaVA page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.sources import hf
from tests.factories import make_paper, paper_record

pytestmark = pytest.mark.django_db

MAR_14 = dt.date(2025, 3, 14)


def full_paper(**overrides):
    fields = dict(
        arxiv_id="2503.22222",
        title="Regret bounds in $\\mathcal{O}(\\sqrt{K})$",
        abstract="First paragraph with $x^2$ math.\n\nSecond paragraph, see https://example.org/code.",
        authors=[
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Edsger Dijkstra",
            "Barbara Liskov",
        ],
        day=MAR_14,
        upvotes=12,
        organization="Tsinghua",
        submitter="akhaliq",
        num_comments=4,
        categories=["cs.LG", "stat.ML"],
        comment="12 pages, 3 figures",
        journal_ref="NeurIPS 2025",
        doi="10.1000/xyz-123",
        github_repo="https://github.com/owner/repo",
        github_stars=321,
        project_page="https://project.example.org/",
        ai_summary="A method that does things.",
        ai_keywords=["regret", "bandits"],
    )
    fields.update(overrides)
    return make_paper(**fields)


def test_paper_page_shows_the_whole_record(client):
    full_paper()

    response = client.get("/papers/2503.22222")

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<h1 id="paper-title"><bdi class="js-math">Regret bounds in $\\mathcal{O}(\\sqrt{K})$</bdi></h1>'
        in html
    )
    assert "<p>First paragraph with $x^2$ math.</p>" in html
    assert '<a href="https://example.org/code" rel="nofollow">https://example.org/code</a>' in html
    for name in [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Edsger Dijkstra",
        "Barbara Liskov",
    ]:
        assert f'<a href="/authors/{name.replace(" ", "%20")}"><bdi>{name}</bdi></a>' in html
    assert 'href="https://arxiv.org/abs/2503.22222"' in html
    assert 'href="https://arxiv.org/pdf/2503.22222"' in html
    assert 'href="https://github.com/owner/repo"' in html and "321" in html
    assert 'href="https://project.example.org/"' in html
    assert "<li><bdi>cs.LG</bdi></li>" in html and "<li><bdi>stat.ML</bdi></li>" in html
    assert "12 pages, 3 figures" in html
    assert "NeurIPS 2025" in html
    assert 'href="https://doi.org/10.1000/xyz-123"' in html
    assert "A method that does things." in html
    assert "<bdi>regret</bdi>" in html and "<bdi>bandits</bdi>" in html
    assert 'href="/organizations/Tsinghua"' in html
    assert (
        'href="/papers/date/2025-03-14"><time datetime="2025-03-14">Mar 14, 2025</time></a>, submitted by <bdi>akhaliq</bdi>'
        in html
    )


def test_paper_page_shows_its_ranking_badges(client):
    full_paper(upvotes=50)
    make_paper(upvotes=10, day=MAR_14)
    make_paper(upvotes=99, day=dt.date(2025, 3, 10))  # same week and month, another day

    html = client.get("/papers/2503.22222").content.decode()

    badges = re.findall(r'class="badge badge-rank-(\d)" href="([^"]+)">([^<]+)<', html)
    assert badges == [
        ("1", "/papers/date/2025-03-14", "#1 Paper of the day"),
        ("2", "/papers/week/2025-W11", "#2 Paper of the week"),
        ("2", "/papers/month/2025-03", "#2 Paper of the month"),
    ]


def test_bibtex_entry_is_selectable_text_with_a_copy_button(client):
    full_paper()

    html = client.get("/papers/2503.22222").content.decode()

    bibtex = re.search(r'<pre id="bibtex"[^>]*><code>(.*?)</code></pre>', html, re.S).group(1)
    assert bibtex.startswith("@misc{lovelace2025regret,")
    assert "title={Regret bounds in $\\mathcal{O}(\\sqrt{K})$}," in bibtex
    assert (
        "author={Ada Lovelace and Alan Turing and Grace Hopper and Edsger Dijkstra and Barbara Liskov},"
        in bibtex
    )
    assert "eprint={2503.22222}," in bibtex and "archivePrefix={arXiv}," in bibtex
    assert "primaryClass={cs.LG}," in bibtex and "doi={10.1000/xyz-123}," in bibtex
    # The button is revealed by static/js/site.js; without JavaScript the text is still selectable.
    assert '<button class="button copy-button" type="button" data-copy="bibtex" hidden>' in html


def test_bibtex_escapes_special_characters_and_drops_unbalanced_braces(client):
    full_paper(title="Q&A at 100% {accuracy", authors=["Ünal Çelik"])

    html = client.get("/papers/2503.22222").content.decode()

    assert "@misc{celik2025qa," in html
    assert "title={Q\\&amp;A at 100\\% accuracy}," in html


def test_old_style_arxiv_id_with_a_slash_has_a_page(client):
    make_paper(arxiv_id="hep-th/9901001", title="Strings, old style", day=None)

    response = client.get("/papers/hep-th/9901001")

    assert response.status_code == 200
    assert "Strings, old style" in response.content.decode()
    assert "arXiv:hep-th/9901001" in response.content.decode()


def test_paper_outside_the_daily_feed_has_a_page_without_feed_details(client):
    make_paper(arxiv_id="2503.33333", title="Never featured", day=None)

    html = client.get("/papers/2503.33333").content.decode()

    assert "Never featured" in html
    assert "In the daily feed" not in html
    assert "badge-rank" not in html


def test_versioned_id_redirects_to_the_paper_page(client):
    full_paper()

    response = client.get("/papers/2503.22222v3")

    assert response.status_code == 301
    assert response["Location"] == "/papers/2503.22222"


def test_unknown_paper_is_a_friendly_404(client):
    response = client.get("/papers/2501.99999")

    assert response.status_code == 404
    assert "There is no paper 2501.99999 here (yet)." in response.content.decode()


def test_withdrawn_paper_shows_a_clear_notice(client):
    full_paper(withdrawn=True, comment="This paper has been withdrawn by the author")

    html = client.get("/papers/2503.22222").content.decode()

    assert "This paper has been withdrawn." in html
    assert 'class="notice notice-withdrawn" role="note"' in html


def test_paper_that_is_not_withdrawn_has_no_notice(client):
    full_paper()

    assert "withdrawn" not in client.get("/papers/2503.22222").content.decode().lower()


def test_media_images_and_videos_are_shown_and_other_links_listed(client):
    record = paper_record(arxiv_id="2503.44444", day=MAR_14)
    record.daily.media_urls = [
        "https://cdn-uploads.huggingface.co/production/uploads/a/figure.png",
        "https://cdn-uploads.huggingface.co/production/uploads/a/demo.mp4",
        "https://cdn-uploads.huggingface.co/production/uploads/a/archive.zip",
        "http://insecure.example.org/figure.png",
    ]
    import_records([record])

    html = client.get("/papers/2503.44444").content.decode()

    assert (
        '<img src="https://cdn-uploads.huggingface.co/production/uploads/a/figure.png" alt="Figure 1'
        in html
    )
    assert (
        '<video src="https://cdn-uploads.huggingface.co/production/uploads/a/demo.mp4" controls preload="none"'
        in html
    )
    assert (
        '<a href="https://cdn-uploads.huggingface.co/production/uploads/a/archive.zip">Media file 3</a>'
        in html
    )
    assert "insecure.example.org" not in html  # plain http would be blocked as mixed content


def test_paper_page_loads_katex_and_marks_math_for_rendering(client):
    full_paper()

    html = client.get("/papers/2503.22222").content.decode()

    assert '<script src="/static/vendor/katex/katex.min.js" defer></script>' in html
    assert '<script src="/static/vendor/katex/auto-render.min.js" defer></script>' in html
    assert '<div class="paper-abstract js-math" dir="auto">' in html


def test_paper_page_query_count_does_not_grow_with_authors(client, django_assert_max_num_queries):
    full_paper(arxiv_id="2503.55555", authors=["One", "Two"])
    full_paper(arxiv_id="2503.66666", authors=[f"Author {n}" for n in range(120)])

    with django_assert_max_num_queries(6) as few:
        client.get("/papers/2503.55555")
    with django_assert_max_num_queries(6) as many:
        response = client.get("/papers/2503.66666")

    assert "Author 119" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.shared_data
def test_real_convllava_paper_page_from_hugging_face_data(client, shared_data):
    raw = shared_data / "hf_daily_papers" / "raw"
    import_records(
        record
        for name in ("2024-05-27.json", "2024-05-28.json")
        for record in hf.records_from_file(raw / name)
    )

    response = client.get("/papers/2405.15738")

    html = response.content.decode()
    assert response.status_code == 200
    assert "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models" in html
    authors = re.findall(r'<li><a href="/authors/[^"]+"><bdi>([^<]+)</bdi></a></li>', html)
    assert authors == [
        "Chunjiang Ge",
        "Sijie Cheng",
        "Ziming Wang",
        "Jiale Yuan",
        "Yuan Gao",
        "Jun Song",
        "Shiji Song",
        "Gao Huang",
        "Bo Zheng",
    ]
    assert (
        '<a href="https://github.com/alibaba/conv-llava" rel="nofollow">' in html
    )  # linked from the abstract
    assert 'href="/papers/date/2024-05-27"' in html
    assert '<span class="upvote-count">32</span>' in html
    assert "@misc{ge2024convllava," in html
    assert 'href="https://arxiv.org/pdf/2405.15738"' in html

    feed = client.get("/papers/date/2024-05-27").content.decode()
    assert 'href="/papers/2405.15738"' in feed
    assert 'href="/papers/date/2024-05-28" rel="next"' in feed
