"""Indexes for incidentology (issue 5): its dashboard panels and member reports read the
tickets declared in a period, for the whole operator or for one member. With the period
filter written as a range on created_at (selectors.start_of_day), these serve it; before,
every panel read all of the operator's tickets (docs/benchmarks-history.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0007_satisfaction")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["operator", "created_at"], name="ticket_operator_created"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["member", "created_at"], name="ticket_member_created"),
        ),
    ]
