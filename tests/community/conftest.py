"""Fixtures of the community tests: users, and huey in immediate mode (jobs run inline)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model

_users = itertools.count(1)


def make_user(name: str | None = None, password: str = "correct horse battery"):
    number = next(_users)
    name = name or f"voter{number}"
    return get_user_model().objects.create_user(
        username=name, email=f"{name}@example.org", password=password
    )


@pytest.fixture(autouse=True)
def huey_immediate() -> Iterator[object]:
    """Jobs run at once in the test's process (in memory); a test may switch it off again."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous
