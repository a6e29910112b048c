"""Who may do what beyond an ordinary account: the moderator role.

A moderator is a superuser, a member of the group named ``Moderators`` (the name settled with the
admin's moderation tools), or a user granted the ``community.moderate`` permission directly or
through any group. Moderators are exempt from the submission window and daily cap
(``community.services.submissions``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

MODERATORS_GROUP = "Moderators"
MODERATE_PERMISSION = "community.moderate"


def is_moderator(user: User | AnonymousUser | None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.groups.filter(name=MODERATORS_GROUP).exists():
        return True
    return user.has_perm(MODERATE_PERMISSION)
