"""Satisfaction surveys on resolution (issue 4)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0006_inbound_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations: list[migrations.operations.base.Operation] = [
        # The last migration of issue 4 holds the whole list of event kinds (the kinds of
        # service levels from 0004, and "rated"): a choices change only, no SQL.
        migrations.AlterField(
            model_name="ticketevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "declared"),
                    ("state", "state changed"),
                    ("assignee", "assignee changed"),
                    ("team", "team changed"),
                    ("priority", "priority changed"),
                    ("category", "category changed"),
                    ("incident_type", "incident type changed"),
                    ("asset_linked", "equipment linked"),
                    ("asset_unlinked", "equipment unlinked"),
                    ("merged_into", "merged into another ticket"),
                    ("merged_from", "a duplicate was merged in"),
                    ("attachment", "file attached"),
                    ("deadline", "deadlines changed"),
                    ("escalated", "escalated"),
                    ("rated", "satisfaction rated"),
                ],
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="SatisfactionRating",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "rating",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (1, "1 – very dissatisfied"),
                            (2, "2 – dissatisfied"),
                            (3, "3 – neither satisfied nor dissatisfied"),
                            (4, "4 – satisfied"),
                            (5, "5 – very satisfied"),
                        ],
                        verbose_name="rating",
                    ),
                ),
                ("comment", models.TextField(blank=True, max_length=2000, verbose_name="comment")),
                (
                    "channel",
                    models.CharField(
                        choices=[("web", "portal"), ("email_link", "link in the email")],
                        max_length=12,
                        verbose_name="channel",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="rated")),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="last change")),
                (
                    "rated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="rated by",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicedesk.team",
                        verbose_name="team at resolution",
                    ),
                ),
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="satisfaction",
                        to="servicedesk.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "satisfaction rating",
                "verbose_name_plural": "satisfaction ratings",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("rating__gte", 1), ("rating__lte", 5)),
                        name="satisfaction_rating_1_to_5",
                    )
                ],
            },
        ),
    ]
