"""Reads of the accounts feature: what the profile and token pages show, and whom mail goes to.

The profile lists the papers a user upvoted (``community.Vote``), newest vote first, and the
papers they submitted (``community.Submission``), newest first, and their comments
(``community.queries.query_user_comments``), newest first. Papers a moderator hid are left out.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import User
from django.http import Http404

from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.community.models import Comment, Submission, Vote
from dailypapers.community.queries import query_user_comments

UPVOTED_ON_PROFILE = 30
SUBMITTED_ON_PROFILE = 30
COMMENTS_ON_PROFILE = 30


@dataclass(frozen=True)
class ProfilePage:
    """A public profile: names, and the papers the user upvoted (the latest ``UPVOTED_ON_PROFILE``)."""

    user: User
    username: str
    display_name: str
    joined: dt.datetime
    upvoted: list[Vote]
    upvoted_total: int
    submitted: list[Submission]
    submitted_total: int
    commented: list[Comment]
    commented_total: int

    @property
    def upvoted_more(self) -> int:
        return self.upvoted_total - len(self.upvoted)

    @property
    def submitted_more(self) -> int:
        return self.submitted_total - len(self.submitted)

    @property
    def commented_more(self) -> int:
        return self.commented_total - len(self.commented)

    @property
    def has_activity(self) -> bool:
        return self.upvoted_total > 0 or self.submitted_total > 0 or self.commented_total > 0


def get_profile_page(username: str) -> ProfilePage:
    """The profile of the active account ``username``; 404 for unknown or unconfirmed accounts."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Http404("No such user.")
    profile = Profile.objects.filter(user=user).first()
    votes = Vote.objects.filter(user=user, paper__hidden=False)
    upvoted = list(
        votes.select_related("paper")
        .only("created", "paper__arxiv_id", "paper__title", "paper__upvotes")
        .order_by("-created", "-pk")[:UPVOTED_ON_PROFILE]
    )
    submissions = Submission.objects.filter(user=user, paper__hidden=False)
    submitted = list(
        submissions.select_related("paper")
        .only("created", "paper__arxiv_id", "paper__title", "paper__upvotes")
        .order_by("-created", "-pk")[:SUBMITTED_ON_PROFILE]
    )
    comments = query_user_comments(user)
    commented = list(comments[:COMMENTS_ON_PROFILE])
    return ProfilePage(
        user=user,
        username=user.get_username(),
        display_name=(profile.display_name if profile else "") or user.get_username(),
        joined=user.date_joined,
        upvoted=upvoted,
        upvoted_total=len(upvoted) if len(upvoted) < UPVOTED_ON_PROFILE else votes.count(),
        submitted=submitted,
        submitted_total=(
            len(submitted) if len(submitted) < SUBMITTED_ON_PROFILE else submissions.count()
        ),
        commented=commented,
        commented_total=(
            len(commented) if len(commented) < COMMENTS_ON_PROFILE else comments.count()
        ),
    )


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


def get_login_account(login: str) -> User | None:
    """The account a typed login names: a username in any case, or an email address.

    The login form authenticates this account, and the login limits count against it, so case,
    spaces and email-versus-username variants of one name are one account everywhere.
    """
    text = login.strip()[:254]
    if not text:
        return None
    users = get_user_model().objects
    if "@" in text:
        return users.filter(email__iexact=normalize_email(text)).order_by("pk").first()
    return users.filter(username=text).first() or users.filter(username__iexact=text).first()


def normalize_email(email: str) -> str:
    """An address as stored: trimmed, its domain lower-cased (Django's rule)."""
    return BaseUserManager.normalize_email(email.strip())


def _same_address(typed: str, stored: str) -> bool:
    # As Django's PasswordResetForm compares them: Unicode-normalized, case-folded.
    def fold(address: str) -> str:
        return unicodedata.normalize("NFKC", address).casefold()

    return fold(typed) == fold(stored)


def get_unconfirmed_user(user_id: int) -> User | None:
    """The account, if it exists and has not confirmed its address yet."""
    return (
        get_user_model()
        .objects.filter(pk=user_id, is_active=False, profile__email_verified_at__isnull=True)
        .first()
    )


def query_unconfirmed_users(email: str) -> list[User]:
    """Accounts of ``email`` (any case) that have not confirmed it yet."""
    return list(
        get_user_model().objects.filter(
            email__iexact=normalize_email(email),
            is_active=False,
            profile__email_verified_at__isnull=True,
        )
    )


def query_password_reset_users(email: str) -> list[User]:
    """Active accounts of ``email`` with a usable password: those a reset link may go to."""
    candidates = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)
    return [
        user
        for user in candidates.select_related("profile")
        if user.has_usable_password() and _same_address(email.strip(), user.email)
    ]
