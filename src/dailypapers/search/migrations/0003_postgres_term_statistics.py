"""Term statistics for the PostgreSQL keyword index (``search_pgterm``, ``search_pgtermstate``).

Ranking weighs each word by its inverse document frequency (``postgres_index``); this creates the
two tables on PostgreSQL installs that have the search tables, and fills them from the documents
already indexed. Nothing happens on SQLite or without pgvector (no search tables).
"""

from django.db import migrations


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from dailypapers.search.postgres_index import (
        KEYWORD_TABLE,
        PostgresKeywordIndex,
        ensure_postgres_tables,
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [KEYWORD_TABLE])
        if not cursor.fetchone()[0]:
            return
    ensure_postgres_tables(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {KEYWORD_TABLE}")
        documents = int(cursor.fetchone()[0])
        PostgresKeywordIndex().refresh_term_statistics(cursor, documents)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS search_pgtermstate")
        cursor.execute("DROP TABLE IF EXISTS search_pgterm")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_postgres_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
