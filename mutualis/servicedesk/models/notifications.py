"""Email out: what people are told about tickets, in which words, and what was sent.

- `EmailTemplate`: an operator's own wording of one notification, in one language; without
  one, the default shipped in code (mutualis/servicedesk/mail/texts.py) is used.
- `NotificationPreference`: a person's choice to get, or not, one kind of notification;
  without one, the event's default applies (every notification is on).
- `OutboundEmail`: the outbox. A row is written in the same transaction as the change it
  announces, and a job sends it (mutualis/servicedesk/mail/outbound.py): a change rolled
  back sends nothing, a mail server down loses nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.lib.wording import labelled
from mutualis.people.roles import MEMBER_ROLES, OPERATOR_ROLES
from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator

from .tickets import Ticket


class NotificationEvent(models.TextChoices):
    # To the member's requester
    CREATED = "created", _("my request was received")
    STAFF_REPLY = "staff_reply", _("the operator replied to my request")
    STATE_CHANGED = "state_changed", _("my request changed state")
    RESOLVED = "resolved", _("my request was resolved")
    # To the operator's staff
    TEAM_NEW_TICKET = "team_new_ticket", _("a new ticket arrived in my team's queue")
    ASSIGNED = "assigned", _("a ticket was assigned to me")
    MEMBER_REPLY = "member_reply", _("a member replied to a ticket I handle")
    SLA_WARNING = "sla_warning", _("a ticket is about to miss its deadline")
    SLA_BREACH = "sla_breach", _("a ticket missed its deadline")


MEMBER_EVENTS = (
    NotificationEvent.CREATED,
    NotificationEvent.STAFF_REPLY,
    NotificationEvent.STATE_CHANGED,
    NotificationEvent.RESOLVED,
)
STAFF_EVENTS = (
    NotificationEvent.TEAM_NEW_TICKET,
    NotificationEvent.ASSIGNED,
    NotificationEvent.MEMBER_REPLY,
    NotificationEvent.SLA_WARNING,
    NotificationEvent.SLA_BREACH,
)


def events_for_roles(roles: set[str]) -> list[NotificationEvent]:
    """The notifications that concern someone holding these roles: a member's people hear
    about their requests, the operator's staff about their queue and their deadlines."""
    events: list[NotificationEvent] = []
    if roles & MEMBER_ROLES:
        events += MEMBER_EVENTS
    if roles & OPERATOR_ROLES:
        events += STAFF_EVENTS
    return events


class EmailTemplate(models.Model):
    """An operator's wording of one notification in one language (Django template syntax,
    restricted to the variables of mutualis/servicedesk/mail/rendering.py)."""

    # No index of its own: email_template_one_per_event_language starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="+", verbose_name=_("operator"), db_index=False
    )
    event = models.CharField(_("notification"), max_length=20, choices=NotificationEvent.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    objects = OperatorDataQuerySet["EmailTemplate"].as_manager()

    class Meta:
        ordering = ["event", "language"]
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "event", "language"], name="email_template_one_per_event_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.language})"


class NotificationPreference(models.Model):
    """One person's choice for one kind of notification (no row: the default, on)."""

    # No index of its own: notification_preference_one_per_event starts with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,
    )
    event = models.CharField(max_length=20, choices=NotificationEvent.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_preference_one_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}: {'on' if self.enabled else 'off'}"


class OutboundState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    # Refused by the relay (retried by the job unless the refusal is for good, a 5yz), or
    # returned later by the recipient's server (a delivery report, mail/inbound_bounce.py).
    FAILED = "failed", _("failed: not sent, or returned (see the last error or the delivery report)")


class DeliveryAction(models.TextChoices):
    """What a delivery report says became of an email at the recipient's side: the
    `Action` field of RFC 3464 §2.3.3."""

    FAILED = "failed", _("not delivered: returned by the recipient's mail server")
    DELAYED = "delayed", _("delayed: the recipient's mail server keeps trying")
    DELIVERED = "delivered", _("delivered")
    RELAYED = "relayed", _("relayed to a server that sends no report")
    EXPANDED = "expanded", _("delivered to the addresses of a list")


class OutboundEmailQuerySet(OperatorDataQuerySet["OutboundEmail"]):
    def named_by(self, operator_id: int, message_ids: list[str]) -> OutboundEmailQuerySet:
        """The operator's emails with these Message-IDs: what a delivery report may change
        (exact match on our unique, unguessable Message-ID; never a subject)."""
        return self.filter(operator_id=operator_id, message_id__in=message_ids)


class OutboundEmail(models.Model):
    """One email to one person about one ticket, from the change to its delivery to the
    mail server. `context` keeps the template's variables, so that two changes announced
    before the first email left (assigned, then in progress) make one up-to-date email."""

    # No index of its own: outbound_email_state starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("operator")
    )
    # No index of its own: outbound_email_pending starts with it.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="outbound_emails", db_index=False
    )
    event = models.CharField(_("notification"), max_length=20, choices=NotificationEvent.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    to = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=8, default="fr")
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("text"))
    context = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    state = models.CharField(
        _("state"), max_length=8, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The latest delivery report (bounce) received for it (RFC 3464 §2.3): a "failed" one
    # is kept over any later report, and the email is then failed for good.
    delivery_action = models.CharField(
        _("delivery report"), max_length=10, choices=DeliveryAction.choices, blank=True
    )
    delivery_status = models.CharField(_("delivery status"), max_length=16, blank=True)  # RFC 3463
    delivery_diagnostic = models.TextField(_("recipient server's diagnostic"), blank=True)
    delivery_reported_at = models.DateTimeField(_("delivery report received"), null=True, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            # A ticket's emails, and the pending one a new change of state updates.
            models.Index(fields=["ticket", "recipient", "state"], name="outbound_email_pending"),
            # The back-office list of what failed, newest first.
            models.Index(fields=["operator", "state", "created_at"], name="outbound_email_state"),
        ]

    def __str__(self) -> str:
        return labelled(self.to, self.subject)
