"""What accounts store beyond Django's ``auth.User``: a public profile and personal API tokens.

The login itself is Django's ``User`` (argon2 password hashes, see ``PASSWORD_HASHERS``). A user is
created inactive and becomes active when the email address is confirmed; ``Profile`` records when.
A moderator's suspension also makes the account inactive; ``Profile`` records when and by whom,
because only someone of that rank may lift it (``community.services.moderation``).
An API token is stored only as the SHA-256 of its secret, plus a short prefix to look it up and to
show it in the token list; the secret itself is shown once, at creation, and never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="profile",
    )
    display_name = models.CharField(max_length=80, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="When a moderator suspended the account (empty: not)."
    )
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who suspended it; empty with a date: an account since deleted, or a command.",
    )

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=60)
    # The first characters of the token: an indexed lookup key and what the token list shows.
    prefix = models.CharField(max_length=16, db_index=True)
    # Hex SHA-256 of the whole token. A random 240-bit secret needs no salt or slow hash.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
