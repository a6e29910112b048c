"""Reads of the accounts feature: what the profile and token pages show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.http import Http404

from dailypapers.accounts.models import ApiToken, Profile


@dataclass(frozen=True)
class ProfilePage:
    """A public profile. Community activity (upvotes, submissions, comments) joins it once the
    community app provides it; the template has a named block for each."""

    user: User
    username: str
    display_name: str
    joined: dt.datetime
    has_activity: bool = False


def get_profile_page(username: str) -> ProfilePage:
    """The profile of the active account ``username``; 404 for unknown or unconfirmed accounts."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Http404("No such user.")
    profile = Profile.objects.filter(user=user).first()
    return ProfilePage(
        user=user,
        username=user.get_username(),
        display_name=(profile.display_name if profile else "") or user.get_username(),
        joined=user.date_joined,
    )


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))
