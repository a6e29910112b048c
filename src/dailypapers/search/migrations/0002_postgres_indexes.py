"""The PostgreSQL search backend's tables (``search/postgres_index.py``), on PostgreSQL only.

On SQLite the indexes are files (tantivy, hnswlib) and this migration does nothing. On PostgreSQL
it creates the pgvector extension (installed by ``.ci/install-pgvector``; creating it needs a
superuser or a trusted extension) and two tables with a GIN and an HNSW index. When pgvector is
not installed the tables are not created and search falls back to the file indexes
(``DAILYPAPERS_SEARCH_BACKEND=auto``); with ``=postgres`` the search service creates them
(``ensure_postgres_tables``) once pgvector is there, or says why it cannot.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dailypapers.search.postgres_index import ensure_postgres_tables

    ensure_postgres_tables(schema_editor.connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS search_pgvector")
        cursor.execute("DROP TABLE IF EXISTS search_pgdocument")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
