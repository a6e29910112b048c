"""Who may lift a suspension: the same rank as who made it (SQLite and PostgreSQL).

Only a superuser unsuspends staff or superusers, or lifts a suspension a superuser made (or one
whose author is unknown: an account since deleted, or a suspension older than the record). A
moderator lifts a moderator's. Through the service and through the admin's actions and form.
Confirming an address never lifts a suspension.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from dailypapers.accounts import services as accounts
from dailypapers.accounts.models import Profile
from dailypapers.community.services.moderation import (
    SuspensionRefused,
    suspend_users,
    unsuspend_users,
)
from tests.accounts.conftest import make_user as make_account
from tests.community.test_moderation import admin_action, make_moderator, make_superuser

pytestmark = pytest.mark.django_db

User = get_user_model()


def active(user) -> bool:
    user.refresh_from_db()
    return user.is_active


def test_a_moderator_cannot_lift_a_superusers_suspension_from_the_admin(client):
    ada = make_account("ada")
    root = make_superuser()
    suspend_users(root, [ada.pk])
    client.force_login(make_moderator())

    response = admin_action(client, "auth/user", "unsuspend", [ada.pk])

    assert "Only a superuser can lift a suspension made by a superuser" in response.content.decode()
    assert not active(ada)
    assert Profile.objects.get(user=ada).suspended_by_id == root.pk  # the record stays


def test_a_moderator_cannot_unsuspend_staff_from_the_admin(client):
    staff = make_moderator("other-mod")
    suspend_users(make_superuser(), [staff.pk])
    client.force_login(make_moderator())

    response = admin_action(client, "auth/user", "unsuspend", [staff.pk])

    assert "Only a superuser can unsuspend staff" in response.content.decode()
    assert not active(staff)


def test_a_moderator_cannot_unsuspend_staff_or_superusers():
    root = make_superuser()
    staff = make_moderator("other-mod")
    other_root = make_superuser("root2")
    suspend_users(root, [staff.pk, other_root.pk])
    moderator = make_moderator()

    for victim in (staff, other_root):
        with pytest.raises(SuspensionRefused, match="unsuspend staff or superuser"):
            unsuspend_users(moderator, [victim.pk])
        assert not active(victim)
    assert unsuspend_users(root, [staff.pk, other_root.pk]) == 2  # a superuser can


def test_one_account_beyond_the_moderator_refuses_the_whole_selection():
    ada, bob = make_account("ada"), make_account("bob")
    moderator = make_moderator()
    suspend_users(moderator, [ada.pk])
    suspend_users(make_superuser(), [bob.pk])

    with pytest.raises(SuspensionRefused):
        unsuspend_users(moderator, [ada.pk, bob.pk])

    assert not active(ada) and not active(bob)


def test_a_moderator_lifts_a_moderators_suspension_and_the_record_goes():
    ada = make_account("ada")
    suspend_users(make_moderator("first-mod"), [ada.pk])
    profile = Profile.objects.get(user=ada)
    assert profile.suspended_at is not None

    assert unsuspend_users(make_moderator("second-mod"), [ada.pk]) == 1

    assert active(ada)
    profile.refresh_from_db()
    assert (profile.suspended_at, profile.suspended_by_id) == (None, None)


def test_a_superuser_suspending_again_makes_the_suspension_theirs():
    ada = make_account("ada")
    moderator = make_moderator()
    suspend_users(moderator, [ada.pk])
    root = make_superuser()

    assert suspend_users(root, [ada.pk]) == 0  # already inactive

    assert Profile.objects.get(user=ada).suspended_by_id == root.pk
    with pytest.raises(SuspensionRefused):
        unsuspend_users(moderator, [ada.pk])


def test_a_suspension_whose_author_is_gone_or_unrecorded_needs_a_superuser():
    ada, bob = make_account("ada"), make_account("bob")
    departed = make_moderator("departed")
    suspend_users(departed, [ada.pk])
    departed.delete()
    User.objects.filter(pk=bob.pk).update(is_active=False)  # suspended before the record existed
    moderator = make_moderator()

    for user in (ada, bob):
        with pytest.raises(SuspensionRefused):
            unsuspend_users(moderator, [user.pk])
    assert unsuspend_users(make_superuser(), [ada.pk, bob.pk]) == 2


def test_a_superuser_deactivating_in_the_user_form_records_the_suspension(client):
    ada = make_account("ada")
    root = make_superuser()
    client.force_login(root)
    form = client.get(f"/admin/auth/user/{ada.pk}/change/").context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in {"password", "groups", "user_permissions"}
    }
    data.update({"is_active": "", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = client.post(f"/admin/auth/user/{ada.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not active(ada)
    assert Profile.objects.get(user=ada).suspended_by_id == root.pk
    with pytest.raises(SuspensionRefused):
        unsuspend_users(make_moderator(), [ada.pk])


def test_confirming_the_address_does_not_lift_a_suspension():
    sleeper = make_account("sleeper", confirmed=False)
    suspend_users(make_superuser(), [sleeper.pk])

    assert accounts.confirm_email(sleeper) is True  # the address is confirmed...

    assert not active(sleeper)  # ...but the account stays suspended
    assert Profile.objects.get(user=sleeper).email_verified_at is not None


def test_a_moderator_cannot_clear_a_superusers_suspension_of_an_unconfirmed_account():
    sleeper = make_account("sleeper", confirmed=False)
    suspend_users(make_superuser(), [sleeper.pk])

    with pytest.raises(SuspensionRefused):
        unsuspend_users(make_moderator(), [sleeper.pk])

    accounts.confirm_email(sleeper)
    assert not active(sleeper)
