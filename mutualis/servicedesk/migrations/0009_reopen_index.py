"""A partial index of reopenings (a state event resolved → in progress) for the reopen
rate of incidentology: each ticket of a period is checked for one, and the events table
holds millions of rows (docs/benchmarks-history.md: 1.1 s for the operator's panel before)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0008_insights_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="ticketevent",
            index=models.Index(
                condition=models.Q(kind="state", new_value="in_progress", old_value="resolved"),
                fields=["ticket"],
                name="ticket_event_reopened",
            ),
        ),
    ]
