"""On PostgreSQL, the period indexes of the ticket copies also carry the two durations.

The durations panel reads the operator's year of declarations and sorts both durations for
the exact percentiles. With the durations in the index (INCLUDE), PostgreSQL reads the
period from the index alone instead of 5,600 pages of rows at a million tickets
(docs/benchmarks-history.md, issue 5). The model's indexes are unchanged for Django: SQLite has no
INCLUDE, and declaring it in the model makes Django warn (models.W040) on every command
there; only PostgreSQL's indexes are widened, under the same names.
"""

from django.db import migrations

INDEXES = {
    "ticket_fact_operator_created": "operator_id, created_at",
    "ticket_fact_member_created": "member_id, created_at",
}


def _rebuild(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {name} ON insights_ticketfact ({columns}){include}")


def widen(apps, schema_editor):
    _rebuild(schema_editor, " INCLUDE (take_charge_seconds, resolve_seconds)")


def narrow(apps, schema_editor):
    _rebuild(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("insights", "0003_ticket_facts")]

    operations = [migrations.RunPython(widen, narrow, elidable=False)]
