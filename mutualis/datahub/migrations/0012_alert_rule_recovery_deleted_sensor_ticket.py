# A rule's own return-to-normal delay (alerts/machine.py): existing rules get the 15
# minutes every rule had until now (a constant default: metadata only on PostgreSQL 11 and
# later, no rewrite of the rules' table). The open tickets of deleted sensors' alerts, for
# a sensor created again under the same id (alerts/tickets.py).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0011_alert_state_recovery"),
        ("servicedesk", "0012_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertrule",
            name="recovery_minutes",
            field=models.PositiveIntegerField(
                default=15,
                help_text="For a rule without a “back to normal past” value, and for a state rule: once fired, the alert ends only when the values have stayed normal this long. From 1 minute to 24 hours (1,440 minutes).",
                verbose_name="return-to-normal delay (minutes)",
            ),
        ),
        migrations.AlterField(
            model_name="alertrule",
            name="clear_value",
            field=models.FloatField(
                blank=True,
                help_text="Hysteresis: once fired, the alert ends only when the value goes back past this value (below it for an “above” rule). Empty: when the value has stayed back within the threshold for the return-to-normal delay.",
                null=True,
                verbose_name="back to normal past",
            ),
        ),
        migrations.CreateModel(
            name="DeletedSensorTicket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("entity_id", models.CharField(max_length=512, verbose_name="entity id")),
                ("deleted_at", models.DateTimeField(verbose_name="sensor deleted at")),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="datahub.alertrule"
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="datahub.tenant",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="servicedesk.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "ticket of a deleted sensor",
                "verbose_name_plural": "tickets of deleted sensors",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tenant", "entity_id", "rule"), name="datahub_deleted_sensor_ticket_unique"
                    )
                ],
            },
        ),
    ]
