"""Email in: every message received, kept whole, and what became of it.

A message is stored first (its raw bytes in a file, one row here), then processed: a reply
on a ticket, a new ticket, or set aside for the operator's staff to review. Nothing
received is ever deleted by the service desk; a reviewed message is marked, not dropped.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.lib.wording import labelled
from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import Operator

from .notifications import OutboundEmail
from .tickets import Comment, Ticket


class InboundSource(models.TextChoices):
    HOOK = "hook", _("inbound hook (HTTP)")
    PIPE = "pipe", _("mail server pipe")
    IMAP = "imap", _("IMAP mailbox")


class InboundStatus(models.TextChoices):
    # Stored, not processed yet (or processing was interrupted: shown for review).
    RECEIVED = "received", _("received, not processed")
    REPLIED = "replied", _("added as a reply")
    OPENED = "opened", _("opened a ticket")
    SET_ASIDE = "set_aside", _("set aside for review")
    DUPLICATE = "duplicate", _("duplicate delivery")
    DISCARDED = "discarded", _("discarded after review")


class InboundReason(models.TextChoices):
    """Why a message was set aside; the words are what the review page shows."""

    UNKNOWN_SENDER = "unknown_sender", _("sender is not a user of the operator or its members")
    AUTO_REPLY = "auto_reply", _("automatic reply (out of office, bounce, list)")
    # A delivery report about one of the desk's own emails (mail/inbound_bounce.py).
    BOUNCE = "bounce", _("delivery report of an email sent by the service desk")
    LOOP = "loop", _("our own email coming back (loop)")
    SPOOFED = "spoofed", _("sender address failed authentication (DMARC)")
    RATE_LIMITED = "rate_limited", _("too many messages from this sender in an hour")
    OVERSIZED = "oversized", _("message too large")
    MALFORMED = "malformed", _("malformed message")
    NOT_ALLOWED = "not_allowed", _("sender may not reply to the ticket it names")
    TICKET_CLOSED = "ticket_closed", _("reply to a closed ticket")
    CHOOSE_SITE = "choose_site", _("new request: the site must be chosen")
    NO_EMAIL_TYPE = "no_email_type", _("new request: no incident type for email requests")
    EMPTY = "empty", _("nothing written")
    ERROR = "error", _("error while processing")


# What the review page lists: set aside, and stored but never processed (interrupted).
TO_REVIEW = frozenset({InboundStatus.SET_ASIDE, InboundStatus.RECEIVED})


class InboundEmailQuerySet(OperatorDataQuerySet["InboundEmail"]):
    """The tenancy door: the operator's staff see their operator's mail; members none."""

    def to_review(self) -> InboundEmailQuerySet:
        return self.filter(status__in=TO_REVIEW)

    def from_address_since(self, operator_id: int, address: str, since: datetime) -> InboundEmailQuerySet:
        """What one sender sent the operator since a time (the rate limit's count)."""
        return self.filter(operator_id=operator_id, from_address=address, received_at__gte=since)


def raw_path(inbound: InboundEmail, filename: str) -> str:
    # A name of ours (the digest), never one from the message; beside the ticket files,
    # outside any directory the web server serves.
    now = timezone.now()
    return f"mail/{inbound.operator_id}/{now:%Y/%m}/{inbound.sha256[:2]}/{inbound.sha256}.eml"


class InboundEmail(models.Model):
    """One message received by the service desk, whatever became of it."""

    # No index of its own: inbound_email_review starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator"), db_index=False
    )
    source = models.CharField(_("received through"), max_length=8, choices=InboundSource.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # The message as received, byte for byte (RFC 5322): what any later reading starts from.
    raw = models.FileField(upload_to=raw_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Read from the headers when stored, before any processing (empty when missing).
    message_id = models.CharField(_("Message-ID"), max_length=500, blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    to = models.TextField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    reason = models.CharField(_("reason"), max_length=16, choices=InboundReason.choices, blank=True)
    # The reason in a sentence about this message (which ticket, which limit…).
    detail = models.TextField(_("details"), blank=True)
    # The written part, quoted history and signature removed: what a reply or ticket says.
    text = models.TextField(_("text"), blank=True)
    # Files that were not attached (refused type or size), one per line.
    notes = models.TextField(_("notes"), blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sender"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    comment = models.ForeignKey(Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A delivery report (bounce): the email of ours it is about.
    bounce_of = models.ForeignKey(
        OutboundEmail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounces",
        verbose_name=_("delivery report of"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    objects = InboundEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("email received")
        verbose_name_plural = _("emails received")
        constraints = [
            # A redelivered message (same Message-ID) is processed once: a second delivery
            # racing the first fails here and is stored as a duplicate instead.
            models.UniqueConstraint(
                fields=["operator", "message_id"],
                condition=~Q(message_id="") & ~Q(status="duplicate"),
                name="inbound_email_once_per_message_id",
            ),
        ]
        indexes = [
            # The review page: the operator's set-aside mail, newest first, by reason.
            models.Index(fields=["operator", "status", "id"], name="inbound_email_review"),
            # The rate limit counts a sender's messages of the last hour.
            models.Index(fields=["operator", "from_address", "received_at"], name="inbound_email_sender"),
        ]

    def __str__(self) -> str:
        return labelled(self.from_address, self.subject[:60])
