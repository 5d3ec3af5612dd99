"""On PostgreSQL, the period indexes of the ticket copies also carry the columns the
breakdowns group by (category, site, member, team) and the reopening, so that the breakdown
and reopen panels read the period from the index alone, as the volumes and durations panels
already do (0004, 0005).

At a million tickets the operator's year by category was a parallel scan of the whole
copies table (18,000 pages for the 308,125 rows of the period): 180 ms; from the widened
index, with the grouping by day (insights.measures._day), 68 ms. The operator's index grows
from 64 to 108 MB (docs/benchmarks-history.md, issue 5). As in 0004 and 0005, only PostgreSQL's
indexes are widened, under the same names: SQLite has no INCLUDE and the model's declaration
would make Django warn there (models.W040).
"""

from django.db import migrations

BEFORE = "take_charge_seconds, resolve_seconds, created_day, ticket_id"
INDEXES = {
    "ticket_fact_operator_created": (
        "operator_id, created_at",
        f"{BEFORE}, category_id, site_id, member_id, team_id, reopened",
    ),
    # The member's own key is the index's first column already.
    "ticket_fact_member_created": ("member_id, created_at", f"{BEFORE}, category_id, site_id, team_id, reopened"),
}


def _rebuild(schema_editor, wide: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (columns, include) in INDEXES.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE INDEX {name} ON insights_ticketfact ({columns}) INCLUDE ({include if wide else BEFORE})"
        )


def widen(apps, schema_editor):
    _rebuild(schema_editor, wide=True)


def narrow(apps, schema_editor):
    _rebuild(schema_editor, wide=False)


class Migration(migrations.Migration):
    dependencies = [("insights", "0005_ticket_fact_volumes_covering")]

    operations = [migrations.RunPython(widen, narrow, elidable=False)]
