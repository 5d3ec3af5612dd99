from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator


class DeskSettings(models.Model):
    """How the operator's service desk behaves; edited by operator admins."""

    operator = models.OneToOneField(
        Operator, on_delete=models.CASCADE, related_name="desk_settings", verbose_name=_("operator")
    )
    reopen_days = models.PositiveIntegerField(
        _("days a resolved ticket can be reopened"),
        default=14,
        validators=[MaxValueValidator(365)],
        help_text=_("After this, the member is asked to open a new ticket."),
    )
    close_after_days = models.PositiveIntegerField(
        _("days before a resolved ticket is closed"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    max_attachment_mb = models.PositiveIntegerField(
        _("largest attachment (MB)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_attachments = models.PositiveIntegerField(
        _("attachments per message"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    # Email in (docs/email.md): a message to the desk's address without a ticket reference
    # opens a ticket of this type ("Autre demande"); unset, such messages are set aside.
    email_incident_type = models.ForeignKey(
        "servicedesk.IncidentType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident type of requests by email"),
        help_text=_(
            "A new email without a ticket number opens a ticket of this type; empty, it is set aside."
        ),
    )
    # More than this from one address within an hour is a mail bomb or a loop with a
    # stranger's robot: the rest is set aside, not processed.
    mail_per_sender_per_hour = models.PositiveIntegerField(
        _("emails processed per sender and hour"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )

    objects = OperatorDataQuerySet["DeskSettings"].as_manager()

    class Meta:
        verbose_name = _("service desk settings")
        verbose_name_plural = _("service desk settings")

    def __str__(self) -> str:
        return str(self.operator)

    @classmethod
    def for_operator(cls, operator_id: int) -> DeskSettings:
        """The operator's settings, or the defaults (unsaved) when it never changed them:
        reading a page must not write to the database."""
        return cls.objects.filter(operator_id=operator_id).first() or cls(operator_id=operator_id)
