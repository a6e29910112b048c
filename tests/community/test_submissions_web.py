"""``/papers/submit`` through the HTTP client: signed-in only, CSRF-checked, nothing on GET, each
refusal shown beside its field, hostile text escaped, rate limited; the header links to it and the
profile lists what a user submitted. arXiv is the recorded answers served by a local HTTP server.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dailypapers.community.models import Submission
from dailypapers.papers.models import DailyEntry, Paper
from dailypapers.settings import RateLimit
from tests.community.arxiv_stub import (
    HEAT_BATH,
    UNKNOWN,
    arxiv_fixture,  # noqa: F401 (the ``arxiv`` fixture)
)
from tests.conftest import Exchange
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

SUBMIT = "/papers/submit"
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(1)>\u202e'


@pytest.fixture(autouse=True)
def rules(settings):
    settings.SUBMISSION_WINDOW_DAYS = 0  # the recorded papers are years old
    settings.SUBMISSIONS_PER_DAY = 5
    settings.SUBMISSION_FETCH_TIMEOUT_SECONDS = 5


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create_user("ada", "ada@example.org", password=None)


@pytest.fixture
def signed_in(client, ada) -> Client:
    client.force_login(ada)
    return client


def test_the_route_is_named_papers_submit():
    assert reverse("papers.submit") == SUBMIT


def test_signed_out_visitors_are_sent_to_log_in_and_back(client, arxiv):
    for response in (client.get(SUBMIT), client.post(SUBMIT, {"arxiv": HEAT_BATH})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts.login')}?next=/papers/submit"
    assert arxiv.asked_for == [] and not Paper.objects.exists()


def test_the_form_has_a_csrf_token_and_every_field(signed_in):
    page = signed_in.get(SUBMIT)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html
    for name in ("arxiv", "organization", "github_repo", "project_page"):
        assert f'name="{name}"' in html
    assert f'action="{SUBMIT}"' in html and 'method="post"' in html
    assert "Papers of any age, up to 5 a day per person" in html


def test_the_form_states_the_window_when_there_is_one(signed_in, settings):
    settings.SUBMISSION_WINDOW_DAYS = 14

    assert "in the last 14 days" in signed_in.get(SUBMIT).content.decode()


def test_a_get_with_the_fields_in_the_query_submits_nothing(signed_in, arxiv):
    response = signed_in.get(SUBMIT, {"arxiv": HEAT_BATH, "github_repo": "https://github.com/a/b"})

    assert response.status_code == 200
    assert arxiv.asked_for == []
    assert not Paper.objects.exists() and not Submission.objects.exists()


def test_other_methods_are_refused(signed_in, arxiv):
    assert signed_in.put(SUBMIT, {"arxiv": HEAT_BATH}).status_code == 405
    assert signed_in.delete(SUBMIT).status_code == 405
    assert arxiv.asked_for == []


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(ada, arxiv):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)

    response = client.post(SUBMIT, {"arxiv": HEAT_BATH})

    assert response.status_code == 403
    assert arxiv.asked_for == [] and not Paper.objects.exists()


def test_a_post_with_the_csrf_token_from_the_form_submits(ada, arxiv):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    token = client.get(SUBMIT).cookies["csrftoken"].value

    response = client.post(SUBMIT, {"arxiv": HEAT_BATH, "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Submission.objects.get().user == ada


def test_a_submission_redirects_to_the_paper_with_a_message_and_is_on_todays_feed(signed_in, arxiv):
    response = signed_in.post(
        SUBMIT,
        {
            "arxiv": "https://arxiv.org/pdf/1605.08386v1",
            "organization": "",
            "github_repo": "https://github.com/cstanley/heat-bath",
            "project_page": "https://example.org/heat-bath",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/papers/{HEAT_BATH}"
    page = signed_in.get(response["Location"]).content.decode()
    assert "Thank you: the paper is on today&#x27;s feed." in page
    assert "Heat-bath random walks with Markov bases" in page
    assert 'href="https://github.com/cstanley/heat-bath"' in page
    assert 'href="https://example.org/heat-bath"' in page
    today = timezone.now().date()
    feed = signed_in.get(f"/papers/date/{today.isoformat()}").content.decode()
    assert "Heat-bath random walks with Markov bases" in feed
    entry = DailyEntry.objects.get()
    assert (entry.date, entry.submitter_name) == (today, "ada")


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        ("unknown", 404, "arXiv has no paper with the id 0808.05394."),
        ("upstream_500", 502, "arXiv could not be reached or gave an answer we could not read"),
        ("window", 422, "only papers from the last 14 days can be submitted"),
    ],
)
def test_refusals_show_the_form_again_with_the_reason(
    signed_in, arxiv, settings, answer, status, message
):
    reference = UNKNOWN if answer == "unknown" else HEAT_BATH
    if answer == "upstream_500":
        arxiv.answers[HEAT_BATH] = Exchange(500, b"oops", "text/plain")
    if answer == "window":
        settings.SUBMISSION_WINDOW_DAYS = 14

    response = signed_in.post(SUBMIT, {"arxiv": reference, "organization": "lab"})

    html = response.content.decode()
    assert response.status_code == status
    assert message in html
    assert f'value="{reference}"' in html and 'value="lab"' in html  # what was typed is kept
    assert not Paper.objects.exists() and not Submission.objects.exists()


def test_a_duplicate_links_to_the_paper_already_on_the_feed(signed_in, arxiv):
    make_paper(arxiv_id=HEAT_BATH, title="Heat-bath <walks>", day=dt.date(2026, 11, 2))

    response = signed_in.post(SUBMIT, {"arxiv": f"arXiv:{HEAT_BATH}"})

    html = response.content.decode()
    assert response.status_code == 409
    assert "arXiv:1605.08386 is already on the daily feed (since Nov 2, 2026)." in html
    assert f'<a href="/papers/{HEAT_BATH}"><bdi>Heat-bath &lt;walks&gt;</bdi></a>' in html
    assert arxiv.asked_for == []


def test_the_daily_cap_is_shown_with_retry_after(signed_in, arxiv, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    signed_in.post(SUBMIT, {"arxiv": HEAT_BATH})

    response = signed_in.post(SUBMIT, {"arxiv": "1707.08567"})

    assert response.status_code == 429
    assert (
        "You have submitted 1 paper today, the most allowed per day." in response.content.decode()
    )
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("field", ["arxiv", "organization", "github_repo", "project_page"])
def test_hostile_text_in_any_field_is_refused_and_shown_escaped(signed_in, arxiv, field):
    data = {"arxiv": HEAT_BATH, field: HOSTILE}

    response = signed_in.post(SUBMIT, data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # echoed in its input, escaped
    assert 'class="form-errors"' in html
    assert arxiv.asked_for == [] and not Paper.objects.exists()


def test_a_one_megabyte_field_is_refused_with_a_short_message(signed_in, arxiv):
    response = signed_in.post(SUBMIT, {"arxiv": HEAT_BATH, "project_page": "x" * 1_000_000})

    assert response.status_code == 400
    assert "at most 500 characters" in response.content.decode()
    assert not Paper.objects.exists()


def test_submissions_are_rate_limited_with_retry_after(signed_in, arxiv, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": RateLimit(2, 600)}

    statuses = [signed_in.post(SUBMIT, {"arxiv": "nope"}).status_code for _ in range(2)]
    limited = signed_in.post(SUBMIT, {"arxiv": HEAT_BATH})

    assert statuses == [400, 400]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 600
    assert arxiv.asked_for == [] and not Paper.objects.exists()
    assert signed_in.get(SUBMIT).status_code == 200  # reading the form is not limited


def test_the_header_links_to_the_form_for_signed_in_users_only(client, ada):
    make_paper()
    anonymous = client.get("/papers").content.decode()
    client.force_login(ada)
    signed_in = client.get("/papers").content.decode()

    assert f'href="{SUBMIT}"' not in anonymous
    assert f'href="{SUBMIT}"' in signed_in


def test_the_profile_lists_the_papers_a_user_submitted(signed_in, arxiv, client):
    signed_in.post(SUBMIT, {"arxiv": HEAT_BATH})
    signed_in.logout()

    page = client.get("/users/ada").content.decode()

    assert "Submitted papers" in page
    assert "Heat-bath random walks with Markov bases" in page
    assert f'href="/papers/{HEAT_BATH}"' in page
    assert "No public activity yet" not in page


def test_the_profile_costs_the_same_queries_for_few_and_many_submissions(client, ada):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dailypapers.community.models import Submission as Row

    def queries_for_profile() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/users/ada").status_code == 200
        return len(captured)

    for _ in range(2):
        Row.objects.create(user=ada, paper=make_paper())
    few = queries_for_profile()
    for _ in range(8):
        Row.objects.create(user=ada, paper=make_paper())
    many = queries_for_profile()

    assert many == few
    assert client.get("/users/ada").content.decode().count('class="profile-paper-title') == 10
