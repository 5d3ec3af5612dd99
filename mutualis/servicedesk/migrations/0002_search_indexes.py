"""GIN indexes for full-text search, on PostgreSQL only (SQLite searches with LIKE).

Django's GinIndex would be emitted on SQLite too and fail there, hence plain SQL guarded
by the database vendor.
"""

from django.db import migrations

INDEXES = {
    "ticket_search_gin": "search_vector",
    "ticket_search_internal_gin": "search_vector_internal",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON servicedesk_ticket USING gin ({column})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
