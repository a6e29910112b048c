"""``TokenAuth``: django-ninja authentication by personal API token, for the write API.

Use it on a write endpoint or router::

    from dailypapers.accounts.auth import TokenAuth

    @router.post("/papers/{arxiv_id}/upvote", auth=TokenAuth())
    def upvote(request, arxiv_id: str):
        user = request.auth  # also request.user

A request with ``Authorization: Bearer dp_...`` for a token of an active account gets that user
as ``request.auth`` and ``request.user``; anything else is answered 401 by ninja. The token's
``last_used_at`` is written at most once a minute. Tokens are created and revoked on
``/accounts/tokens``.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

from dailypapers.accounts.services import user_for_api_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user
