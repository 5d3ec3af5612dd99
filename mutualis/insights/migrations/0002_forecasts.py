"""Forecasts and their backtests (issue 5)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_initial"),
        ("registry", "0002_import_batch"),
        ("servicedesk", "0007_satisfaction"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ForecastBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "waiting"),
                            ("running", "computing"),
                            ("done", "done"),
                            ("failed", "failed"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="requested"),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                ("series_total", models.PositiveIntegerField(default=0)),
                ("series_done", models.PositiveIntegerField(default=0)),
                (
                    "school_zone",
                    models.CharField(blank=True, max_length=1, verbose_name="school holiday zone"),
                ),
                ("first_week", models.DateField(blank=True, null=True)),
                ("asset_model", models.JSONField(blank=True, default=dict)),
                ("error", models.TextField(blank=True)),
                (
                    "operator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="registry.operator"
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "forecast computation",
                "verbose_name_plural": "forecast computations",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="AssetRisk",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("expected", models.FloatField(verbose_name="expected incidents in 90 days")),
                ("probability", models.FloatField(verbose_name="probability of an incident in 90 days")),
                ("factors", models.JSONField(default=list)),
                (
                    "asset",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="registry.asset"
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="registry.operator"
                    ),
                ),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="asset_risks",
                        to="insights.forecastbatch",
                    ),
                ),
            ],
            options={
                "verbose_name": "asset risk",
                "verbose_name_plural": "asset risks",
                "ordering": ["-expected", "asset_id"],
            },
        ),
        migrations.CreateModel(
            name="ForecastRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scope_key", models.CharField(default="operator", max_length=40)),
                ("series_key", models.CharField(max_length=40)),
                ("label", models.CharField(blank=True, max_length=200, verbose_name="series")),
                ("position", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("method", models.CharField(max_length=20, verbose_name="method")),
                ("distribution", models.CharField(blank=True, max_length=20)),
                ("notes", models.JSONField(blank=True, default=list)),
                ("coefficients", models.JSONField(blank=True, default=dict)),
                ("history", models.JSONField(blank=True, default=list)),
                ("weekly", models.JSONField(blank=True, default=list)),
                ("monthly", models.JSONField(blank=True, default=list)),
                ("backtest", models.JSONField(blank=True, default=dict)),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="insights.forecastbatch",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="servicedesk.category",
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="registry.operator"
                    ),
                ),
            ],
            options={
                "verbose_name": "forecast",
                "verbose_name_plural": "forecasts",
                "ordering": ["batch", "position"],
            },
        ),
        migrations.AddIndex(
            model_name="forecastbatch",
            index=models.Index(fields=["operator", "state", "-created_at"], name="forecast_batch_latest"),
        ),
        migrations.AddIndex(
            model_name="assetrisk",
            index=models.Index(fields=["batch", "-expected"], name="asset_risk_ranking"),
        ),
        migrations.AddConstraint(
            model_name="assetrisk",
            constraint=models.UniqueConstraint(fields=("batch", "asset"), name="asset_risk_per_batch"),
        ),
        migrations.AddConstraint(
            model_name="forecastrun",
            constraint=models.UniqueConstraint(
                fields=("batch", "scope_key", "series_key"), name="forecast_run_series"
            ),
        ),
    ]
