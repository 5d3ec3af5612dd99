"""On PostgreSQL, the period indexes of the ticket copies also carry the day of declaration
and the ticket, so that the volumes panel reads the period from the index alone.

At a million tickets the operator's year of volumes was a parallel scan of the whole copies
table (18,000 pages, 142 MB, for the 308,125 rows of the period): 242 ms. With the day in
the index it is a parallel index-only scan of the period: 91 ms (docs/benchmarks-history.md, issue
5). As in 0004, only PostgreSQL's indexes are widened, under the same names: SQLite has no
INCLUDE and the model's declaration would make Django warn there (models.W040).
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
        schema_editor.execute(f"CREATE INDEX {name} ON insights_ticketfact ({columns}) INCLUDE ({include})")


def widen(apps, schema_editor):
    _rebuild(schema_editor, "take_charge_seconds, resolve_seconds, created_day, ticket_id")


def narrow(apps, schema_editor):
    _rebuild(schema_editor, "take_charge_seconds, resolve_seconds")


class Migration(migrations.Migration):
    dependencies = [("insights", "0004_ticket_fact_durations_covering")]

    operations = [migrations.RunPython(widen, narrow, elidable=False)]
