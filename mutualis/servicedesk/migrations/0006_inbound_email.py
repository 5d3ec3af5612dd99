"""Email in: received messages and those set aside for review (issue 4)."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import mutualis.servicedesk.models.inbound


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_import_batch"),
        ("servicedesk", "0005_notifications"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="desksettings",
            name="email_incident_type",
            field=models.ForeignKey(
                blank=True,
                help_text="A new email without a ticket number opens a ticket of this type; empty, it is set aside.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="servicedesk.incidenttype",
                verbose_name="incident type of requests by email",
            ),
        ),
        migrations.AddField(
            model_name="desksettings",
            name="mail_per_sender_per_hour",
            field=models.PositiveIntegerField(
                default=20,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(1000),
                ],
                verbose_name="emails processed per sender and hour",
            ),
        ),
        migrations.CreateModel(
            name="InboundEmail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[("hook", "inbound hook (HTTP)"), ("pipe", "mail server pipe"), ("imap", "IMAP mailbox")],
                        max_length=8,
                        verbose_name="received through",
                    ),
                ),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="received")),
                ("raw", models.FileField(max_length=255, upload_to=mutualis.servicedesk.models.inbound.raw_path)),
                ("sha256", models.CharField(max_length=64)),
                ("size", models.PositiveIntegerField(verbose_name="size (bytes)")),
                ("message_id", models.CharField(blank=True, max_length=500, verbose_name="Message-ID")),
                ("from_address", models.CharField(blank=True, max_length=254, verbose_name="from")),
                ("from_name", models.CharField(blank=True, max_length=200, verbose_name="sender's name")),
                ("to", models.TextField(blank=True, verbose_name="to")),
                ("subject", models.CharField(blank=True, max_length=500, verbose_name="subject")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("received", "received, not processed"),
                            ("replied", "added as a reply"),
                            ("opened", "opened a ticket"),
                            ("set_aside", "set aside for review"),
                            ("duplicate", "duplicate delivery"),
                            ("discarded", "discarded after review"),
                        ],
                        default="received",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("unknown_sender", "sender is not a user of the operator or its members"),
                            ("auto_reply", "automatic reply (out of office, bounce, list)"),
                            ("loop", "our own email coming back (loop)"),
                            ("spoofed", "sender address failed authentication (DMARC)"),
                            ("rate_limited", "too many messages from this sender in an hour"),
                            ("oversized", "message too large"),
                            ("malformed", "malformed message"),
                            ("not_allowed", "sender may not reply to the ticket it names"),
                            ("ticket_closed", "reply to a closed ticket"),
                            ("choose_site", "new request: the site must be chosen"),
                            ("no_email_type", "new request: no incident type for email requests"),
                            ("empty", "nothing written"),
                            ("error", "error while processing"),
                        ],
                        max_length=16,
                        verbose_name="reason",
                    ),
                ),
                ("detail", models.TextField(blank=True, verbose_name="details")),
                ("text", models.TextField(blank=True, verbose_name="text")),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                ("reviewed_at", models.DateTimeField(blank=True, null=True, verbose_name="reviewed")),
                (
                    "comment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="servicedesk.comment",
                    ),
                ),
                (
                    "duplicate_of",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="servicedesk.inboundemail",
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
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
                (
                    "sender",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="sender",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="servicedesk.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "email received",
                "verbose_name_plural": "emails received",
                "ordering": ["-id"],
                # The review page: the operator's set-aside mail, newest first, by reason; the
                # rate limit: a sender's messages of the last hour.
                "indexes": [
                    models.Index(fields=["operator", "status", "id"], name="inbound_email_review"),
                    models.Index(fields=["operator", "from_address", "received_at"], name="inbound_email_sender"),
                ],
                # A redelivered message (same Message-ID) is processed once.
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(
                            models.Q(("message_id", ""), _negated=True),
                            models.Q(("status", "duplicate"), _negated=True),
                        ),
                        fields=("operator", "message_id"),
                        name="inbound_email_once_per_message_id",
                    )
                ],
            },
        ),
    ]
