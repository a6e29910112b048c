"""The Hugging Face-compatible API through Django's test client: shapes, parameters, ordering,
pagination, query counts, the response cache, CORS, and the OpenAPI/docs pages."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.db.models import F
from pydantic import TypeAdapter

from dailypapers.api.schemas import DailyPaperOut, ErrorOut, PaperInfoOut
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import AuthorRecord, DailyRecord, OrganizationRecord
from dailypapers.papers.models import Paper
from tests.factories import make_paper, paper_record

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 14)


def make_full_paper(**overrides) -> Paper:
    """A paper with every field the API can show, imported through the real pipeline."""
    fields = dict(
        arxiv_id="2503.11111",
        title="Scaling Laws for Everything",
        abstract="We scale things.\n\nThen we scale more.",
        github_repo="https://github.com/example/scaling",
        github_stars=42,
        project_page="https://example.org/scaling",
        thumbnail_url="https://cdn.example.org/thumbs/2503.11111.png",
        num_comments=3,
        discussion_id="67d3f0a1b2c3d4e5f6a7b8c9",
        ai_summary="Things scale.",
        ai_keywords=["scaling", "laws"],
        upvotes=17,
    )
    fields.update(overrides)
    record = paper_record(**fields)
    record.authors = [
        AuthorRecord(name="Ada Lovelace", hf_id="a1"),
        AuthorRecord(name="Alan Turing", hf_id="a2", hidden=True),
        AuthorRecord(name="Grace Hopper"),
    ]
    record.organization = OrganizationRecord(
        name="acme", fullname="Acme Research", avatar_url="https://example.org/acme.png", hf_id="o1"
    )
    record.daily = DailyRecord(
        date=DAY,
        submitted_at=dt.datetime(2025, 3, 14, 4, 5, 6, 789000, tzinfo=dt.UTC),
        submitter_name="akhaliq",
        submitter_fullname="AK",
        submitter_avatar_url="https://huggingface.co/avatars/ak.svg",
        media_urls=["https://cdn.example.org/video.mp4"],
    )
    import_records([record])
    return Paper.objects.get(arxiv_id=record.arxiv_id)


def ids(response) -> list[str]:
    return [item["paper"]["id"] for item in response.json()]


# --- shapes -------------------------------------------------------------------------------------


def test_daily_item_has_hugging_face_field_names_nesting_and_date_format(client):
    make_full_paper()

    response = client.get("/api/daily_papers", {"date": "2025-03-14"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    organization = {
        "_id": "o1",
        "name": "acme",
        "fullname": "Acme Research",
        "avatar": "https://example.org/acme.png",
    }
    assert response.json() == [
        {
            "paper": {
                "id": "2503.11111",
                "authors": [
                    {"_id": "a1", "name": "Ada Lovelace", "hidden": False},
                    {"_id": "a2", "name": "Alan Turing", "hidden": True},
                    {"name": "Grace Hopper", "hidden": False},
                ],
                "mediaUrls": ["https://cdn.example.org/video.mp4"],
                "publishedAt": "2025-03-12T00:00:00.000Z",
                "submittedOnDailyAt": "2025-03-14T04:05:06.789Z",
                "title": "Scaling Laws for Everything",
                "submittedOnDailyBy": {
                    "avatarUrl": "https://huggingface.co/avatars/ak.svg",
                    "fullname": "AK",
                    "user": "akhaliq",
                    "type": "user",
                    "name": "akhaliq",
                },
                "summary": "We scale things.\n\nThen we scale more.",
                "upvotes": 17,
                "discussionId": "67d3f0a1b2c3d4e5f6a7b8c9",
                "projectPage": "https://example.org/scaling",
                "githubRepo": "https://github.com/example/scaling",
                "ai_summary": "Things scale.",
                "ai_keywords": ["scaling", "laws"],
                "githubStars": 42,
                "organization": organization,
            },
            "publishedAt": "2025-03-14T04:05:06.789Z",
            "title": "Scaling Laws for Everything",
            "summary": "We scale things.\n\nThen we scale more.",
            "mediaUrls": ["https://cdn.example.org/video.mp4"],
            "thumbnail": "https://cdn.example.org/thumbs/2503.11111.png",
            "numComments": 3,
            "submittedBy": {
                "avatarUrl": "https://huggingface.co/avatars/ak.svg",
                "fullname": "AK",
                "type": "user",
                "name": "akhaliq",
            },
            "organization": organization,
            "isAuthorParticipating": False,
        }
    ]


def test_daily_item_omits_keys_that_have_no_value_as_hugging_face_does(client):
    make_paper(arxiv_id="2503.22222", day=DAY)

    item = client.get("/api/daily_papers", {"date": "2025-03-14"}).json()[0]

    assert set(item) == {
        "paper",
        "publishedAt",
        "title",
        "summary",
        "numComments",
        "isAuthorParticipating",
    }
    assert set(item["paper"]) == {
        "id",
        "authors",
        "publishedAt",
        "submittedOnDailyAt",
        "title",
        "summary",
        "upvotes",
    }
    # No submission time known: midnight UTC of the feed day, as HF's newer captures write it.
    assert item["paper"]["submittedOnDailyAt"] == "2025-03-14T00:00:00.000Z"
    assert item["publishedAt"] == "2025-03-14T00:00:00.000Z"
    assert None not in item.values() and None not in item["paper"].values()


def test_responses_match_the_published_openapi_schemas_exactly(client):
    make_full_paper()
    make_paper(arxiv_id="2503.22222", day=DAY)
    make_paper(arxiv_id="hep-th/9901001", day=None)
    strict_daily = TypeAdapter(list[DailyPaperOut])
    strict_info = TypeAdapter(list[PaperInfoOut])

    daily = client.get("/api/daily_papers", {"date": "2025-03-14"}).json()
    listed = client.get("/api/papers").json()

    # extra="forbid": a key served but not documented (or typed differently) fails here.
    assert len(strict_daily.validate_python(daily)) == 2
    assert len(strict_info.validate_python(listed)) == 3


def test_paper_info_is_the_paper_object_plus_comment_count(client):
    make_full_paper()

    daily_paper = client.get("/api/daily_papers", {"date": "2025-03-14"}).json()[0]["paper"]
    info = client.get("/api/papers/2503.11111").json()

    assert info == {**daily_paper, "numComments": 3}


def test_paper_info_accepts_old_style_ids_with_a_slash(client):
    make_paper(arxiv_id="hep-th/9901001", title="Old style", day=None)

    plain = client.get("/api/papers/hep-th/9901001")
    encoded = client.get("/api/papers/hep-th%2F9901001")

    assert plain.status_code == 200
    assert plain.json()["id"] == "hep-th/9901001"
    assert plain.json()["title"] == "Old style"
    assert encoded.json() == plain.json()


def test_paper_info_ignores_a_version_suffix(client):
    make_paper(arxiv_id="2503.33333", title="Versioned")

    response = client.get("/api/papers/2503.33333v4")

    assert response.status_code == 200
    assert response.json()["id"] == "2503.33333"


def test_paper_outside_the_daily_feed_has_no_daily_fields(client):
    make_paper(arxiv_id="2503.44444", day=None)

    info = client.get("/api/papers/2503.44444").json()

    assert "submittedOnDailyAt" not in info
    assert "submittedOnDailyBy" not in info
    assert info["numComments"] == 0


def test_unknown_paper_is_a_json_404(client):
    response = client.get("/api/papers/2503.99999")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "paper 2503.99999 not found"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/no/such/endpoint"),
        ("post", "/api/no/such/endpoint"),
        # A line break stops ninja's path converters: found by the schemathesis run.
        ("get", "/api/papers/%0A2503.00001"),
        ("post", "/api/papers/%0A%F0%A4%B8%B9/upvote"),
        ("delete", "/api/papers/x%0Ay/upvote"),
    ],
)
def test_every_unknown_api_path_is_a_json_404_whatever_the_method(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "no such API endpoint; see /api/docs"}


def test_upvotes_shown_include_votes_cast_on_this_site(client):
    make_paper(arxiv_id="2503.55555", upvotes=10)
    Paper.objects.filter(arxiv_id="2503.55555").update(
        local_upvotes=5, upvotes=F("imported_upvotes") + 5
    )

    item = client.get("/api/daily_papers", {"date": "2025-03-14"}).json()[0]
    info = client.get("/api/papers/2503.55555").json()

    assert item["paper"]["upvotes"] == 15
    assert info["upvotes"] == 15


def test_hostile_text_comes_back_unchanged_as_json_strings(client):
    hostile = "</script><img src=x onerror=alert(1)> \"q\" 'q' & \\ 日本語 \u2028 🙂 ' OR 1=1 --"
    make_paper(arxiv_id="2503.66666", title=hostile, abstract=hostile, authors=[hostile])

    response = client.get("/api/papers/2503.66666")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = response.json()
    assert data["title"] == hostile
    assert data["summary"] == hostile
    assert data["authors"][0]["name"] == hostile
    assert b"&lt;" not in response.content  # JSON-escaped only, never HTML-escaped


# --- periods, ordering, pagination, filters ----------------------------------------------------


def test_date_week_and_month_select_the_papers_of_that_period(client):
    make_paper(arxiv_id="2503.00001", day=dt.date(2025, 3, 10))  # Monday of 2025-W11
    make_paper(arxiv_id="2503.00002", day=dt.date(2025, 3, 14))  # Friday of 2025-W11
    make_paper(arxiv_id="2503.00003", day=dt.date(2025, 3, 17))  # 2025-W12
    make_paper(arxiv_id="2502.00004", day=dt.date(2025, 2, 28))  # February

    by_date = client.get("/api/daily_papers", {"date": "2025-03-14"})
    by_week = client.get("/api/daily_papers", {"week": "2025-W11"})
    by_month = client.get("/api/daily_papers", {"month": "2025-03"})
    empty_day = client.get("/api/daily_papers", {"date": "2025-03-15"})

    assert ids(by_date) == ["2503.00002"]
    assert sorted(ids(by_week)) == ["2503.00001", "2503.00002"]
    assert sorted(ids(by_month)) == ["2503.00001", "2503.00002", "2503.00003"]
    assert empty_day.status_code == 200 and empty_day.json() == []


def test_a_period_ranks_by_upvotes_and_ties_break_on_the_newer_arxiv_id(client):
    make_paper(arxiv_id="2503.00010", upvotes=5)
    make_paper(arxiv_id="2503.00011", upvotes=50)
    make_paper(arxiv_id="2503.00012", upvotes=5)

    response = client.get("/api/daily_papers", {"date": "2025-03-14"})
    trending = client.get("/api/daily_papers", {"date": "2025-03-14", "sort": "trending"})

    assert ids(response) == ["2503.00011", "2503.00012", "2503.00010"]
    assert ids(trending) == ids(response)  # trending falls back to upvotes until scores exist


def test_sort_published_at_and_no_period_list_the_newest_feed_day_first(client):
    make_paper(arxiv_id="2503.00020", day=dt.date(2025, 3, 12), upvotes=90)
    make_paper(arxiv_id="2503.00021", day=dt.date(2025, 3, 14), upvotes=1)
    make_paper(arxiv_id="2503.00022", day=dt.date(2025, 3, 13), upvotes=50)
    make_paper(arxiv_id="2503.00023", day=None)  # not in the feed: never listed

    whole_feed = client.get("/api/daily_papers")
    month_newest = client.get("/api/daily_papers", {"month": "2025-03", "sort": "publishedAt"})

    assert ids(whole_feed) == ["2503.00021", "2503.00022", "2503.00020"]
    assert ids(month_newest) == ["2503.00021", "2503.00022", "2503.00020"]


def test_p_and_limit_page_through_the_feed_without_overlap(client):
    for n in range(7):
        make_paper(arxiv_id=f"2503.{n + 100:05d}", upvotes=n)

    pages = [
        ids(client.get("/api/daily_papers", {"date": "2025-03-14", "p": p, "limit": 3}))
        for p in range(4)
    ]
    default_limit = client.get("/api/daily_papers", {"date": "2025-03-14"})

    assert [len(page) for page in pages] == [3, 3, 1, 0]
    assert sum(pages, []) == ids(default_limit)
    assert len(set(sum(pages, []))) == 7


def test_submitter_filter_keeps_only_that_users_papers(client):
    make_paper(arxiv_id="2503.00030", submitter="alice", day=dt.date(2025, 3, 1))
    make_paper(arxiv_id="2503.00031", submitter="bob")
    make_paper(arxiv_id="2503.00032", submitter="alice")

    mine = client.get("/api/daily_papers", {"submitter": "alice"})
    mine_today = client.get("/api/daily_papers", {"submitter": "alice", "date": "2025-03-14"})
    nobody = client.get("/api/daily_papers", {"submitter": "' OR 1=1 --"})

    assert ids(mine) == ["2503.00032", "2503.00030"]
    assert ids(mine_today) == ["2503.00032"]
    assert nobody.json() == []


def test_papers_list_holds_every_paper_newest_arxiv_date_first(client):
    undated = paper_record(arxiv_id="2503.00040", day=None)
    undated.published_at = None
    newest = paper_record(arxiv_id="2503.00041", day=None)
    newest.published_at = dt.datetime(2025, 3, 20, tzinfo=dt.UTC)
    import_records([undated, newest])
    make_paper(arxiv_id="2503.00042")  # published 2025-03-12 by the factory

    first = client.get("/api/papers", {"limit": 2})
    second = client.get("/api/papers", {"limit": 2, "p": 1})

    assert [p["id"] for p in first.json()] == ["2503.00041", "2503.00042"]
    assert [p["id"] for p in second.json()] == ["2503.00040"]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"date": "2025-13-01"}, "date"),
        ({"date": "14/03/2025"}, "date"),
        ({"date": "2025-02-30"}, "date"),
        ({"week": "2025-W54"}, "week"),
        ({"week": "9999-W52"}, "week"),
        ({"week": "2025-11"}, "week"),
        ({"month": "2025-00"}, "month"),
        ({"month": "0000-01"}, "month"),
        ({"date": "2025-03-14", "week": "2025-W11"}, "week"),
        ({"date": "2025-03-14", "month": "2025-03"}, "month"),
        ({"limit": "101"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"p": "-1"}, "p"),
        ({"p": "1.5"}, "p"),
        ({"p": "99999999999999999999999999"}, "p"),
        ({"sort": "upvotes"}, "sort"),
        ({"submitter": "a\x00b"}, "submitter"),
        ({"submitter": "x" * 151}, "submitter"),
    ],
)
def test_bad_parameter_is_a_400_naming_the_parameter(client, query, param):
    response = client.get("/api/daily_papers", query)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["param"] == param
    assert param in body["error"]
    ErrorOut.model_validate(body)  # the documented error shape, nothing else


HOSTILE = [
    "x" * 10_240,
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "' OR '1'='1' --",
    "1; DROP TABLE papers_paper; --",
    "日本語🙂\u202e",
    "\x00",
    "%00",
    "<script>alert(1)</script>",
    "2025-03-14\n",
    "2025-W11' --",
    "9999999999-99-99",
    "-1",
    "1e400",
    "",
]


def test_hostile_parameters_never_cause_a_server_error(client):
    make_paper(arxiv_id="2503.00050")
    urls = []
    for value in HOSTILE:
        for name in ("date", "week", "month", "submitter", "sort", "p", "limit"):
            urls.append(("/api/daily_papers", {name: value}))
        urls.append(("/api/papers", {"p": value, "limit": value}))
    paths = [
        "/api/papers/" + "9" * 10_240,
        "/api/papers/../../etc/passwd",
        "/api/papers/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/papers/2503.00050%00",
        "/api/papers/%ff%fe",
        "/api/papers/' OR 1=1 --",
        "/api/papers/日本語",
        "/api/papers/hep-th/9901001/extra",
        "/api/papers/",
        "/api/no/such/endpoint",
        # Raw query strings: bytes that are not UTF-8, an encoded lone surrogate, an encoded NUL.
        "/api/daily_papers?date=%ff%fe",
        "/api/daily_papers?submitter=%ED%A0%80",
        "/api/daily_papers?submitter=%00&week=%00",
        "/api/daily_papers?limit=1&limit=1000",
        "/api/daily_papers?p[]=1&date[]=2025-03-14",
    ]

    responses = [client.get(url, query) for url, query in urls] + [
        client.get(path) for path in paths
    ]

    for response in responses:
        assert response.status_code < 500, response.content[:200]
        assert response["Content-Type"].startswith("application/json"), response.request
        assert isinstance(response.json(), list | dict)
    errors = [r for r in responses if r.status_code >= 400]
    assert errors and all("error" in r.json() for r in errors)


def test_malformed_paper_id_is_a_400_naming_id(client):
    response = client.get("/api/papers/not-an-id")

    assert response.status_code == 400
    assert response.json()["param"] == "id"


# --- headers, performance, cache ---------------------------------------------------------------


def test_every_api_response_allows_any_origin(client):
    make_paper(arxiv_id="2503.00060")

    ok = client.get("/api/daily_papers", HTTP_ORIGIN="https://elsewhere.example")
    bad = client.get("/api/daily_papers", {"limit": "0"})
    missing = client.get("/api/papers/2503.99999")

    assert [r["Access-Control-Allow-Origin"] for r in (ok, bad, missing)] == ["*", "*", "*"]


def test_query_count_does_not_grow_with_the_page_size(client, django_assert_num_queries):
    for n in range(30):
        make_full_paper(arxiv_id=f"2503.{n + 200:05d}", title=f"Paper {n}")

    for limit in (1, 30):
        # One query for the papers (organization and daily entry joined), one for the authors.
        with django_assert_num_queries(2):
            response = client.get("/api/daily_papers", {"date": "2025-03-14", "limit": limit})
        assert len(response.json()) == limit
        with django_assert_num_queries(2):
            assert len(client.get("/api/papers", {"limit": limit}).json()) == limit


def test_repeated_anonymous_get_is_served_from_the_cache(client, django_assert_num_queries):
    make_paper(arxiv_id="2503.00070")
    first = client.get("/api/daily_papers", {"date": "2025-03-14"})

    with django_assert_num_queries(0):
        again = client.get("/api/daily_papers", {"limit": "50", "date": "2025-03-14", "junk": "1"})

    assert again.content == first.content


def test_a_committed_import_invalidates_cached_responses(
    client, django_capture_on_commit_callbacks
):
    make_paper(arxiv_id="2503.00080")
    before = client.get("/api/daily_papers", {"date": "2025-03-14"})
    info_before = client.get("/api/papers/2503.00080")

    record = paper_record(arxiv_id="2503.00080", upvotes=99)
    newcomer = paper_record(arxiv_id="2503.00081")
    # execute=True runs the on-commit hooks the test transaction would otherwise never reach:
    # that is where the importer bumps the feed generation.
    with django_capture_on_commit_callbacks(execute=True):
        import_records([record, newcomer])
    after = client.get("/api/daily_papers", {"date": "2025-03-14"})
    info_after = client.get("/api/papers/2503.00080")

    assert ids(before) == ["2503.00080"]
    assert ids(after) == ["2503.00080", "2503.00081"]
    assert info_before.json()["upvotes"] == 0
    assert info_after.json()["upvotes"] == 99


def test_clients_accepting_gzip_get_the_cached_body_compressed(client):
    for n in range(5):
        make_paper(arxiv_id=f"2503.{n + 300:05d}")
    plain = client.get("/api/daily_papers", {"date": "2025-03-14"})

    compressed = client.get(
        "/api/daily_papers", {"date": "2025-03-14"}, HTTP_ACCEPT_ENCODING="gzip, br"
    )

    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert "Content-Encoding" not in plain
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content)


def test_signed_in_users_are_not_served_shared_cache_entries(client, django_user_model):
    make_paper(arxiv_id="2503.00090")
    client.get("/api/daily_papers", {"date": "2025-03-14"})
    Paper.objects.filter(arxiv_id="2503.00090").update(title="Changed without an import")
    client.force_login(django_user_model.objects.create_user("reader", password="x" * 20))

    item = client.get("/api/daily_papers", {"date": "2025-03-14"}).json()[0]

    assert item["title"] == "Changed without an import"


# --- OpenAPI and docs ---------------------------------------------------------------------------


def test_openapi_schema_describes_every_endpoint(client):
    schema = client.get("/api/openapi.json").json()

    assert set(schema["paths"]) == {
        "/api/daily_papers",
        "/api/papers",
        "/api/papers/{paper_id}",
        "/api/papers/search",
        # The write API (tests/functional/test_write_api.py).
        "/api/papers/submit",
        "/api/papers/{arxiv_id}/upvote",
    }
    daily = schema["paths"]["/api/daily_papers"]["get"]
    assert {p["name"] for p in daily["parameters"]} == {
        "p",
        "limit",
        "date",
        "week",
        "month",
        "submitter",
        "sort",
    }
    author = schema["components"]["schemas"]["AuthorOut"]
    assert "_id" in author["properties"]  # HF's key, not the Python attribute name


def test_docs_page_loads_swagger_ui_from_our_static_files_not_a_cdn(client):
    page = client.get("/api/docs")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
