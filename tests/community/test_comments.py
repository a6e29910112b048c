"""Comment services: posting, replies, editing and deleting your own, hiding, and the counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dailypapers.community.models import Comment
from dailypapers.community.queries import get_discussion, query_user_comments
from dailypapers.community.services.comments import (
    CommentNotFound,
    CommentRefused,
    NotAllowed,
    delete_comment,
    edit_comment,
    post_comment,
    set_comments_hidden,
)
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


def make_moderator(name: str = "mod"):
    user = make_user(name)
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def counts(paper: Paper) -> tuple[int, int]:
    paper.refresh_from_db()
    return paper.local_comments, paper.comment_count


def test_a_comment_is_stored_with_its_markdown_and_safe_html_and_counted():
    paper, ada = make_paper(), make_user("ada")

    comment = post_comment(ada, paper.pk, "Nice **result**")

    assert comment.body == "Nice **result**"
    assert comment.body_html == "<p>Nice <strong>result</strong></p>"
    assert counts(paper) == (1, 1)


def test_local_comments_add_to_the_imported_count():
    paper = make_paper(num_comments=4)
    post_comment(make_user(), paper.pk, "one more")

    assert counts(paper) == (1, 5)


def test_a_reply_goes_under_its_comment_and_a_reply_to_a_reply_joins_the_thread():
    paper, ada, bob = make_paper(), make_user("ada"), make_user("bob")
    top = post_comment(ada, paper.pk, "top")
    reply = post_comment(bob, paper.pk, "reply", parent_id=top.pk)
    deeper = post_comment(ada, paper.pk, "reply to the reply", parent_id=reply.pk)

    discussion = get_discussion(paper.pk)

    assert reply.parent_id == top.pk and deeper.parent_id == top.pk
    assert [t.comment.pk for t in discussion.threads] == [top.pk]
    assert [r.comment.pk for r in discussion.threads[0].replies] == [reply.pk, deeper.pk]
    assert discussion.count == 3


def test_a_reply_to_a_comment_of_another_paper_is_refused():
    first, second, ada = make_paper(), make_paper(), make_user()
    elsewhere = post_comment(ada, first.pk, "on the first paper")

    with pytest.raises(CommentNotFound):
        post_comment(ada, second.pk, "misplaced", parent_id=elsewhere.pk)
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("body", ["", "   \n\t ", "\x00\x01"])
def test_an_empty_comment_is_refused_with_a_reason(body):
    with pytest.raises(CommentRefused, match="cannot be empty"):
        post_comment(make_user(), make_paper().pk, body)
    assert Comment.objects.count() == 0


def test_a_comment_over_the_limit_is_refused_with_the_counts(settings):
    settings.COMMENT_MAX_CHARS = 100
    paper = make_paper()

    with pytest.raises(CommentRefused) as refused:
        post_comment(make_user(), paper.pk, "x" * 101)

    assert "at most 100 characters" in refused.value.message
    assert "this one has 101" in refused.value.message
    assert counts(paper) == (0, 0)


def test_a_one_megabyte_comment_is_refused():
    with pytest.raises(CommentRefused, match="1,000,000"):
        post_comment(make_user(), make_paper().pk, "a" * 1_000_000)


def test_control_characters_are_dropped_and_line_ends_unified():
    comment = post_comment(make_user(), make_paper().pk, "a\x00b\r\nc")

    assert comment.body == "ab\nc"


def test_anonymous_and_suspended_users_cannot_post():
    paper = make_paper()
    suspended = make_user()
    suspended.is_active = False
    suspended.save()

    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        post_comment(AnonymousUser(), paper.pk, "hello")
    with pytest.raises(NotAllowed):
        post_comment(suspended, paper.pk, "hello")
    assert Comment.objects.count() == 0


def test_a_hidden_paper_takes_no_comments():
    paper = make_paper()
    Paper.objects.filter(pk=paper.pk).update(hidden=True)

    with pytest.raises(CommentNotFound):
        post_comment(make_user(), paper.pk, "hello")


def test_the_author_edits_their_comment_and_it_is_marked_edited():
    ada = make_user()
    comment = post_comment(ada, make_paper().pk, "frist")

    edit_comment(ada, comment.pk, "first, _fixed_")

    comment.refresh_from_db()
    assert comment.body == "first, _fixed_"
    assert comment.body_html == "<p>first, <em>fixed</em></p>"
    assert comment.edited_at is not None


def test_nobody_else_can_edit_or_delete_a_comment_not_even_a_moderator():
    ada, bob, moderator = make_user("ada"), make_user("bob"), make_moderator()
    comment = post_comment(ada, make_paper().pk, "mine")

    for intruder in (bob, moderator):
        with pytest.raises(NotAllowed):
            edit_comment(intruder, comment.pk, "not yours")
        with pytest.raises(NotAllowed):
            delete_comment(intruder, comment.pk)

    comment.refresh_from_db()
    assert (comment.body, comment.deleted) == ("mine", False)


def test_deleting_keeps_the_thread_and_the_replies_but_not_the_text():
    paper, ada, bob = make_paper(), make_user("ada"), make_user("bob")
    top = post_comment(ada, paper.pk, "a secret I regret")
    reply = post_comment(bob, paper.pk, "a reply", parent_id=top.pk)

    delete_comment(ada, top.pk)

    top.refresh_from_db()
    assert top.deleted and top.body == "" and top.body_html == ""
    discussion = get_discussion(paper.pk)
    assert discussion.threads[0].comment.pk == top.pk
    assert not discussion.threads[0].shown
    assert [r.comment.pk for r in discussion.threads[0].replies] == [reply.pk]
    assert counts(paper) == (1, 1)


def test_a_deleted_comment_without_replies_leaves_the_discussion():
    paper, ada = make_paper(), make_user()
    comment = post_comment(ada, paper.pk, "oops")

    delete_comment(ada, comment.pk)

    assert get_discussion(paper.pk).threads == []
    with pytest.raises(CommentNotFound):
        delete_comment(ada, comment.pk)
    with pytest.raises(CommentNotFound):
        edit_comment(ada, comment.pk, "back")


def test_a_deleted_comment_takes_no_replies():
    paper, ada = make_paper(), make_user()
    comment = post_comment(ada, paper.pk, "gone soon")
    delete_comment(ada, comment.pk)

    with pytest.raises(CommentRefused):
        post_comment(make_user(), paper.pk, "reply", parent_id=comment.pk)


def test_moderators_hide_and_unhide_any_comment_and_the_count_follows():
    paper, ada = make_paper(), make_user()
    first = post_comment(ada, paper.pk, "spam")
    post_comment(ada, paper.pk, "fine")

    assert set_comments_hidden(make_moderator(), [first.pk], True) == 1
    assert counts(paper) == (1, 1)
    assert [t.comment.body for t in get_discussion(paper.pk).threads] == ["fine"]

    assert set_comments_hidden(make_moderator("mod2"), [first.pk], False) == 1
    assert counts(paper) == (2, 2)


def test_ordinary_users_cannot_hide_comments():
    paper, ada = make_paper(), make_user()
    comment = post_comment(ada, paper.pk, "mine")

    with pytest.raises(NotAllowed):
        set_comments_hidden(ada, [comment.pk], True)
    comment.refresh_from_db()
    assert not comment.hidden


def test_the_profile_list_holds_shown_comments_on_shown_papers_newest_first():
    ada = make_user()
    shown_paper, hidden_paper = make_paper(), make_paper()
    older = post_comment(ada, shown_paper.pk, "older")
    newer = post_comment(ada, shown_paper.pk, "newer")
    deleted = post_comment(ada, shown_paper.pk, "deleted")
    delete_comment(ada, deleted.pk)
    post_comment(ada, hidden_paper.pk, "on a paper that gets hidden")
    Paper.objects.filter(pk=hidden_paper.pk).update(hidden=True)

    assert [c.pk for c in query_user_comments(ada)] == [newer.pk, older.pk]
