"""Business calendars and service levels (issue 4)."""

import datetime

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import mutualis.servicedesk.models.calendars


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_import_batch"),
        ("servicedesk", "0003_ticket_member_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="BusinessCalendar",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "timezone",
                    models.CharField(
                        default="Europe/Paris",
                        help_text="Opening hours are read in this time zone, e.g. Europe/Paris.",
                        max_length=64,
                        validators=[mutualis.servicedesk.models.calendars.validate_timezone],
                        verbose_name="time zone",
                    ),
                ),
                (
                    "always_open",
                    models.BooleanField(
                        default=False,
                        help_text="Checked: the opening hours below are not used.",
                        verbose_name="open 24 hours a day, 7 days a week",
                    ),
                ),
                (
                    "public_holidays",
                    models.BooleanField(
                        default=True,
                        help_text="French public holidays; sites in Moselle, Bas-Rhin and Haut-Rhin also get Good Friday and 26 December.",
                        verbose_name="closed on public holidays",
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.operator",
                        verbose_name="operator",
                    ),
                ),
            ],
            options={
                "verbose_name": "business calendar",
                "verbose_name_plural": "business calendars",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="OpeningRange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (0, "Monday"),
                            (1, "Tuesday"),
                            (2, "Wednesday"),
                            (3, "Thursday"),
                            (4, "Friday"),
                            (5, "Saturday"),
                            (6, "Sunday"),
                        ],
                        verbose_name="day",
                    ),
                ),
                ("starts_at", models.TimeField(verbose_name="opens at")),
                ("ends_at", models.TimeField(help_text="00:00 is midnight.", verbose_name="closes at")),
                (
                    "calendar",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="opening_ranges",
                        to="servicedesk.businesscalendar",
                    ),
                ),
            ],
            options={
                "verbose_name": "opening hours",
                "verbose_name_plural": "opening hours",
                "ordering": ["weekday", "starts_at"],
            },
        ),
        migrations.CreateModel(
            name="Closure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("label", models.CharField(max_length=100, verbose_name="reason")),
                ("first_day", models.DateField(verbose_name="first day closed")),
                ("last_day", models.DateField(verbose_name="last day closed")),
                (
                    "calendar",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closures",
                        to="servicedesk.businesscalendar",
                    ),
                ),
            ],
            options={
                "verbose_name": "closure",
                "verbose_name_plural": "closures",
                "ordering": ["first_day"],
            },
        ),
        migrations.CreateModel(
            name="SlaPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "is_default",
                    models.BooleanField(
                        default=False,
                        help_text="For members without a contract naming their service level.",
                        verbose_name="operator's default",
                    ),
                ),
                (
                    "warn_percent",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(99),
                        ],
                        verbose_name="warn when this share of the time is used (%)",
                    ),
                ),
                (
                    "warn_minutes_before",
                    models.PositiveIntegerField(
                        blank=True,
                        null=True,
                        verbose_name="warn this many business minutes before the deadline",
                    ),
                ),
                (
                    "calendar",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="policies",
                        to="servicedesk.businesscalendar",
                        verbose_name="business calendar",
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.operator",
                        verbose_name="operator",
                    ),
                ),
            ],
            options={
                "verbose_name": "service level",
                "verbose_name_plural": "service levels",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="SlaTarget",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "priority",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "P1 – critical"), (2, "P2 – high"), (3, "P3 – normal"), (4, "P4 – low")],
                        verbose_name="priority",
                    ),
                ),
                (
                    "take_charge_minutes",
                    models.PositiveIntegerField(
                        blank=True,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="time to take charge (business minutes)",
                    ),
                ),
                (
                    "resolve_minutes",
                    models.PositiveIntegerField(
                        blank=True,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="time to resolve (business minutes)",
                    ),
                ),
            ],
            options={
                "verbose_name": "deadline by priority",
                "verbose_name_plural": "deadlines by priority",
                "ordering": ["priority"],
            },
        ),
        migrations.AddField(
            model_name="slatarget",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="targets",
                to="servicedesk.slapolicy",
            ),
        ),
        migrations.CreateModel(
            name="CategoryServiceLevel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "category",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="service_level",
                        to="servicedesk.category",
                        verbose_name="category",
                    ),
                ),
                (
                    "policy",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="categories",
                        to="servicedesk.slapolicy",
                        verbose_name="service level",
                    ),
                ),
            ],
            options={
                "verbose_name": "service level of a category",
                "verbose_name_plural": "service levels of categories",
            },
        ),
        migrations.CreateModel(
            name="ServiceContract",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reference", models.CharField(blank=True, max_length=60, verbose_name="reference")),
                ("starts_on", models.DateField(verbose_name="from")),
                (
                    "ends_on",
                    models.DateField(
                        blank=True, help_text="Empty: until further notice.", null=True, verbose_name="until"
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="service_contracts",
                        to="registry.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "policy",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts",
                        to="servicedesk.slapolicy",
                        verbose_name="service level",
                    ),
                ),
            ],
            options={
                "verbose_name": "service contract",
                "verbose_name_plural": "service contracts",
                "ordering": ["member", "-starts_on"],
            },
        ),
        migrations.CreateModel(
            name="EscalationRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "level",
                    models.CharField(
                        choices=[("warning", "deadline near"), ("breach", "deadline missed")],
                        max_length=10,
                        verbose_name="when",
                    ),
                ),
                (
                    "target",
                    models.CharField(
                        choices=[("take_charge", "take charge"), ("resolve", "resolve")],
                        max_length=12,
                        verbose_name="deadline",
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("notify", "tell the team lead and supervisors"),
                            ("raise_priority", "raise the priority by one"),
                            ("route", "give the ticket to a team"),
                        ],
                        max_length=16,
                        verbose_name="action",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        help_text="For “give the ticket to a team”.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicedesk.team",
                        verbose_name="team",
                    ),
                ),
                (
                    "policy",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="escalation_rules",
                        to="servicedesk.slapolicy",
                    ),
                ),
            ],
            options={
                "verbose_name": "escalation rule",
                "verbose_name_plural": "escalation rules",
                "ordering": ["target", "level", "pk"],
            },
        ),
        migrations.CreateModel(
            name="SlaBreach",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "target",
                    models.CharField(
                        choices=[("take_charge", "take charge"), ("resolve", "resolve")],
                        max_length=12,
                        verbose_name="deadline",
                    ),
                ),
                ("due_at", models.DateTimeField(verbose_name="due")),
                (
                    "breached_at",
                    models.DateTimeField(
                        help_text="The deadline itself for a ticket still waiting; the late action otherwise.",
                        verbose_name="missed at",
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="recorded"),
                ),
                (
                    "priority",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "P1 – critical"), (2, "P2 – high"), (3, "P3 – normal"), (4, "P4 – low")],
                        verbose_name="priority then",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sla_breaches",
                        to="servicedesk.ticket",
                    ),
                ),
                (
                    "policy",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicedesk.slapolicy",
                        verbose_name="service level",
                    ),
                ),
            ],
            options={
                "verbose_name": "missed deadline",
                "verbose_name_plural": "missed deadlines",
                "ordering": ["-due_at", "pk"],
            },
        ),
        migrations.AddField(
            model_name="ticket",
            name="resolve_due",
            field=models.DateTimeField(blank=True, null=True, verbose_name="resolve before"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="resolve_warn_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="resolve_warned_for",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_paused_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="clock stopped since"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_paused_time",
            field=models.DurationField(
                default=datetime.timedelta, editable=False, verbose_name="business time stopped"
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="take_charge_due",
            field=models.DateTimeField(blank=True, null=True, verbose_name="take charge before"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="take_charge_warn_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="take_charge_warned_for",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
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
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_policy",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tickets",
                to="servicedesk.slapolicy",
                verbose_name="service level",
            ),
        ),
        migrations.AddConstraint(
            model_name="businesscalendar",
            constraint=models.UniqueConstraint(
                fields=("operator", "name"), name="business_calendar_name_per_operator"
            ),
        ),
        migrations.AddConstraint(
            model_name="slapolicy",
            constraint=models.UniqueConstraint(
                fields=("operator", "name"), name="sla_policy_name_per_operator"
            ),
        ),
        migrations.AddConstraint(
            model_name="slapolicy",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("operator",),
                name="sla_policy_one_default_per_operator",
                violation_error_message="The operator already has a default service level.",
            ),
        ),
        migrations.AddConstraint(
            model_name="slatarget",
            constraint=models.UniqueConstraint(fields=("policy", "priority"), name="sla_target_per_priority"),
        ),
        migrations.AddIndex(
            model_name="servicecontract",
            index=models.Index(fields=["member", "starts_on"], name="service_contract_member"),
        ),
        migrations.AddIndex(
            model_name="slabreach",
            index=models.Index(fields=["due_at"], name="sla_breach_due"),
        ),
        migrations.AddConstraint(
            model_name="slabreach",
            constraint=models.UniqueConstraint(
                fields=("ticket", "target"), name="sla_breach_once_per_target"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("first_response_at__isnull", True),
                    (
                        "state__in",
                        ["assigned", "in_progress", "new", "waiting_member", "waiting_third_party"],
                    ),
                ),
                fields=["take_charge_warn_at"],
                name="ticket_take_charge_warn",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("state__in", ["assigned", "in_progress", "new", "waiting_member", "waiting_third_party"])
                ),
                fields=["resolve_warn_at"],
                name="ticket_resolve_warn",
            ),
        ),
    ]
