"""Report subscriptions and generated reports (issue 5)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import mutualis.insights.models.reports


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("registry", "0002_import_batch"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GeneratedReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("member_monthly", "monthly report of a member"),
                            ("operator_yearly", "yearly activity report of the operator"),
                        ],
                        max_length=16,
                        verbose_name="report",
                    ),
                ),
                ("period_start", models.DateField(verbose_name="from")),
                (
                    "period_end",
                    models.DateField(help_text="The last day of the period, included.", verbose_name="to"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "waiting"),
                            ("running", "in progress"),
                            ("done", "ready"),
                            ("failed", "failed"),
                        ],
                        default="queued",
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                ("progress", models.PositiveSmallIntegerField(default=0, verbose_name="progress (%)")),
                (
                    "file",
                    models.FileField(
                        blank=True, max_length=255, upload_to=mutualis.insights.models.reports.report_path
                    ),
                ),
                ("size", models.PositiveIntegerField(default=0, verbose_name="size (bytes)")),
                ("summary", models.TextField(blank=True, verbose_name="summary")),
                ("version", models.PositiveIntegerField(default=0, verbose_name="version")),
                ("error", models.TextField(blank=True, editable=False)),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
                ),
                ("generated_at", models.DateTimeField(blank=True, null=True, verbose_name="generated")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty when the schedule generated it.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="asked by",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="generated_reports",
                        to="registry.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.operator",
                    ),
                ),
            ],
            options={
                "verbose_name": "generated report",
                "verbose_name_plural": "generated reports",
                "ordering": ["-period_start", "kind", "member__name"],
            },
        ),
        migrations.CreateModel(
            name="ReportDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("to", models.EmailField(max_length=254, verbose_name="to")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="insights.generatedreport",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "report sent by email",
                "verbose_name_plural": "reports sent by email",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="ReportSubscription",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("member_monthly", "monthly report of a member"),
                            ("operator_yearly", "yearly activity report of the operator"),
                        ],
                        max_length=16,
                        verbose_name="report",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
                ),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        help_text="For a member's monthly report; empty for the operator's yearly report.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="report_subscriptions",
                        to="registry.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registry.operator",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="report_subscriptions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "report subscription",
                "verbose_name_plural": "report subscriptions",
                "ordering": ["kind", "member__name", "user__full_name"],
            },
        ),
        migrations.AddIndex(
            model_name="generatedreport",
            index=models.Index(fields=["member", "-period_start"], name="generated_report_member"),
        ),
        migrations.AddIndex(
            model_name="generatedreport",
            index=models.Index(fields=["operator", "-period_start"], name="generated_report_operator"),
        ),
        migrations.AddConstraint(
            model_name="generatedreport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("member__isnull", False)),
                fields=("kind", "member", "period_start"),
                name="generated_report_once_per_member_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="generatedreport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("member__isnull", True)),
                fields=("kind", "operator", "period_start"),
                name="generated_report_once_per_operator_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="generatedreport",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "member_monthly"), ("member__isnull", False)),
                    models.Q(("kind", "operator_yearly"), ("member__isnull", True)),
                    _connector="OR",
                ),
                name="generated_report_member_matches_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="reportdelivery",
            constraint=models.UniqueConstraint(
                fields=("report", "user"), name="report_delivery_once_per_user"
            ),
        ),
        migrations.AddConstraint(
            model_name="reportsubscription",
            constraint=models.UniqueConstraint(
                condition=models.Q(("member__isnull", False)),
                fields=("user", "kind", "member"),
                name="report_subscription_once_per_member",
            ),
        ),
        migrations.AddConstraint(
            model_name="reportsubscription",
            constraint=models.UniqueConstraint(
                condition=models.Q(("member__isnull", True)),
                fields=("user", "kind", "operator"),
                name="report_subscription_once_per_operator",
            ),
        ),
        migrations.AddConstraint(
            model_name="reportsubscription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "member_monthly"), ("member__isnull", False)),
                    models.Q(("kind", "operator_yearly"), ("member__isnull", True)),
                    _connector="OR",
                ),
                name="report_subscription_member_matches_kind",
            ),
        ),
    ]
