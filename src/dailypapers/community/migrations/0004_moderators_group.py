"""The ``Moderators`` group: staff who moderate in the admin without being superusers.

Members (with ``is_staff``) may view and correct papers, their links and daily entries, hide papers
and comments, suspend accounts and merge duplicates (``community.moderate``); they cannot delete
anything, edit groups or permissions, or make anyone staff or superuser (``accounts.admin`` shows
them only a user's active flag).
"""

from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("community", "comment", "moderate"),
    ("community", "comment", "view_comment"),
    ("community", "comment", "change_comment"),
    ("community", "vote", "view_vote"),
    ("community", "submission", "view_submission"),
    ("papers", "paper", "view_paper"),
    ("papers", "paper", "change_paper"),
    ("papers", "paperauthor", "view_paperauthor"),
    ("papers", "dailyentry", "view_dailyentry"),
    ("papers", "dailyentry", "change_dailyentry"),
    ("papers", "author", "view_author"),
    ("papers", "organization", "view_organization"),
    ("auth", "user", "view_user"),
    ("auth", "user", "change_user"),
    ("accounts", "profile", "view_profile"),
]


def create_moderators_group(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make them now so the
    # group can hold them on a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, codename in PERMISSIONS:
        permission = Permission.objects.get(
            content_type__app_label=app_label, content_type__model=model, codename=codename
        )
        group.permissions.add(permission)


def delete_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0003_comment"),
        ("papers", "0004_paper_hidden_merged_local_comments"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, delete_moderators_group)]
