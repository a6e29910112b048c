"""BM25 in the PostgreSQL keyword index (issue 10): the body's length, the average length, and
``dp_phrase_tf`` (how often a phrase occurs in a tsvector), on installs that have the search tables.

The tsvectors themselves change too (the tantivy analyzer's tokens, title and abstract as one
text); ``documents.DOCUMENT_FORMAT`` 3 starts a new index generation, so ``dailypapers index
update`` (or the daily job) writes every row again, reusing the stored embeddings. Nothing happens
on SQLite or without pgvector (no search tables).
"""

from django.db import migrations


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from dailypapers.search.postgres_index import KEYWORD_TABLE, ensure_postgres_tables

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [KEYWORD_TABLE])
        if not cursor.fetchone()[0]:
            return
    ensure_postgres_tables(connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS dp_phrase_tf(tsvector, text[], int[])")
        cursor.execute("ALTER TABLE IF EXISTS search_pgtermstate DROP COLUMN IF EXISTS average_length")
        cursor.execute("ALTER TABLE IF EXISTS search_pgdocument DROP COLUMN IF EXISTS length")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_postgres_term_statistics")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
