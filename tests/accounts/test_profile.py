"""Public profiles: names, upvoted papers (newest vote first, a bounded number of queries),
owner-only links; settings edit the display name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dailypapers.accounts import queries
from dailypapers.community.services.votes import upvote_paper
from tests.accounts.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


def test_the_profile_shows_the_display_name_and_handle(client):
    make_user("ada", display_name="Ada Lovelace")

    page = client.get(reverse("accounts.profile", args=["ada"])).content.decode()

    assert "<h1><bdi>Ada Lovelace</bdi></h1>" in page
    assert "@<bdi>ada</bdi>" in page
    assert "No public activity yet." in page


def test_the_profile_lists_upvoted_papers_newest_vote_first(client):
    ada = make_user("ada")
    first = make_paper(title="Attention is all you need, again")
    second = make_paper(title="Regret bounds in $O(\\sqrt{K})$")
    make_paper(title="A paper nobody upvoted")
    upvote_paper(ada.pk, first.pk)
    upvote_paper(ada.pk, second.pk)

    response = client.get(reverse("accounts.profile", args=["ada"]))

    assert [vote.paper.title for vote in response.context["page"].upvoted] == [
        second.title,
        first.title,
    ]
    page = response.content.decode()
    assert "Upvoted papers" in page
    assert f'href="{reverse("papers.detail", args=[first.arxiv_id])}"' in page
    assert "A paper nobody upvoted" not in page
    assert "No public activity yet." not in page


def test_the_profile_shows_a_bounded_list_and_how_many_more(client, monkeypatch):
    monkeypatch.setattr(queries, "UPVOTED_ON_PROFILE", 2)
    ada = make_user("ada")
    for n in range(5):
        upvote_paper(ada.pk, make_paper(title=f"Paper {n}").pk)

    response = client.get(reverse("accounts.profile", args=["ada"]))

    assert len(response.context["page"].upvoted) == 2
    assert "and 3 more" in response.content.decode()


def test_profile_queries_do_not_grow_with_upvotes(client, django_assert_max_num_queries):
    ada = make_user("ada")
    papers = [make_paper() for _ in range(12)]
    upvote_paper(ada.pk, papers[0].pk)
    url = reverse("accounts.profile", args=["ada"])
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for paper in papers[1:]:
        upvote_paper(ada.pk, paper.pk)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_only_the_owner_sees_the_settings_links(client):
    ada = make_user("ada")
    make_user("bob")
    client.force_login(ada)

    own = client.get(reverse("accounts.profile", args=["ada"])).content.decode()
    other = client.get(reverse("accounts.profile", args=["bob"])).content.decode()

    assert "Edit profile" in own
    assert "Edit profile" not in other


def test_settings_save_the_display_name(client):
    client.force_login(make_user("ada", display_name="Old"))

    saved = client.post(reverse("accounts.settings"), {"display_name": "  Ada King  "})
    page = client.get(reverse("accounts.profile", args=["ada"])).content.decode()

    assert saved.status_code == 302
    assert "<bdi>Ada King</bdi>" in page


def test_an_empty_display_name_falls_back_to_the_username(client):
    client.force_login(make_user("ada", display_name="Ada"))

    client.post(reverse("accounts.settings"), {"display_name": ""})
    page = client.get(reverse("accounts.profile", args=["ada"])).content.decode()

    assert "<h1><bdi>ada</bdi></h1>" in page


def test_an_account_made_without_sign_up_has_a_profile_too(client, django_user_model):
    django_user_model.objects.create_user("root", "root@example.org", "x")

    response = client.get(reverse("accounts.profile", args=["root"]))

    assert response.status_code == 200
    assert "<h1><bdi>root</bdi></h1>" in response.content.decode()
