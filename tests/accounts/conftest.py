"""Fixtures of the accounts tests: users made through the real services, and a POST helper that
runs on-commit callbacks (mail jobs are queued after commit; each test runs inside one
transaction). Jobs run as soon as they are queued (huey's immediate mode), so the mail reaches
the SMTP server within the request, as a worker would send it.

The SMTP server fixture (``smtp_server``) lives in tests/conftest.py: digests use it too.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from dailypapers.accounts import services

PASSWORD = "correct horse battery staple"


def make_user(
    username: str = "ada",
    *,
    email: str | None = None,
    password: str = PASSWORD,
    display_name: str = "",
    confirmed: bool = True,
) -> User:
    user = get_user_model().objects.create_user(
        username=username,
        email=email or f"{username}@example.org",
        password=password,
        is_active=False,
    )
    services.profile_of(user)
    services.update_display_name(user, display_name)
    if confirmed:
        services.confirm_email(user)
    user.refresh_from_db()
    return user


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


@pytest.fixture(autouse=True)
def _mail_jobs_run_at_once(huey_immediate):
    yield


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """``post(url, data, **extra)``: ``client.post`` whose after-commit emails are sent."""

    def post(url: str, data: dict | None = None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return post
