"""Tickets, their timeline (events and comments) and their attachments."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mutualis.lib.choices import FastChoiceDisplay
from mutualis.lib.search import SearchVectorField
from mutualis.lib.wording import labelled
from mutualis.registry.models import Asset, Member, Operator, Site

from ..attachments import HEIC, photo_refusal
from .catalogue import Category, IncidentType, Priority
from .teams import Team

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class TicketState(models.TextChoices):
    # A context: "closed" is "clos" for a ticket but "fermé" for a site's opening hours.
    NEW = "new", pgettext_lazy("ticket state", "new")
    ASSIGNED = "assigned", pgettext_lazy("ticket state", "assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket state", "in progress")
    WAITING_MEMBER = "waiting_member", pgettext_lazy("ticket state", "waiting for the member")
    WAITING_THIRD_PARTY = "waiting_third_party", pgettext_lazy("ticket state", "waiting for a third party")
    RESOLVED = "resolved", pgettext_lazy("ticket state", "resolved")
    CLOSED = "closed", pgettext_lazy("ticket state", "closed")
    CANCELLED = "cancelled", pgettext_lazy("ticket state", "cancelled")


OPEN_STATES = frozenset(
    {
        TicketState.NEW,
        TicketState.ASSIGNED,
        TicketState.IN_PROGRESS,
        TicketState.WAITING_MEMBER,
        TicketState.WAITING_THIRD_PARTY,
    }
)
# The clock of a service level stops while the ball is in someone else's court.
WAITING_STATES = frozenset({TicketState.WAITING_MEMBER, TicketState.WAITING_THIRD_PARTY})


class TicketChannel(models.TextChoices):
    WEB = "web", _("portal")
    API = "api", _("API")
    PHONE = "phone", _("phone (entered by the service desk)")
    EMAIL = "email", _("email")
    ALERT = "alert", _("alert from a sensor or an alarm")


# The names a list shows of what a ticket points to (TicketQuerySet.for_lists).
LIST_NAMES = {
    "member_name": F("member__name"),
    "site_name": F("site__name"),
    "site_kind_name": F("site__kind__name"),
    "category_name": F("category__name"),
    "incident_type_name": F("incident_type__name"),
    "team_name": F("team__name"),
    "assignee_name": F("assignee__full_name"),
}
# The columns of a ticket that the members' ticket list shows (for_ticket_list).
TICKET_LIST_SHOWN = ("number", "title", "state", "priority", "created_at", "updated_at")
LIST_DEFERRED = (
    "search_text",
    "search_internal",
    "search_vector",
    "search_vector_internal",
    "description",
    "answers",
)


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, scope: Scope) -> TicketQuerySet:
        """The tenancy door for tickets: the operator's for its staff, the member's for its
        users, those of their sites for a site contact."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        qs = self.filter(member_id=scope.member_id)
        if scope.site_ids is not None:
            qs = qs.filter(site_id__in=scope.site_ids)
        return qs

    def open(self) -> TicketQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def with_list_related(self) -> TicketQuerySet:
        """What a list of tickets shows, fetched in the same query."""
        return self.select_related(
            "member", "site", "site__kind", "incident_type", "category", "team", "assignee"
        )

    def for_lists(self) -> TicketQuerySet:
        """What the lists (the members' list, the desk's queue) show of a page of tickets,
        read by id once the page's ids are known (selectors.keyset_page): the ticket without
        the columns no list shows (both search vectors and texts, the description and the
        answers are most of a ticket row's bytes), and the names of what it points to as
        columns (LIST_NAMES: `ticket.site_name`…) rather than seven related model instances
        per row. A page of 50 at a million tickets: 3.4 instead of 11.5 ms, most of it the
        building of those instances (docs/benchmarks-history.md)."""
        return self.defer(*LIST_DEFERRED).annotate(**LIST_NAMES)

    def for_ticket_list(self) -> TicketQuerySet:
        """What the members' list shows of a page of tickets (templatetags/ticket_rows.py),
        and nothing more: a ticket row's twelve dates and times were parsed and its model
        filled for two of them, 2.2 instead of 1.6 ms a page at a million tickets
        (docs/benchmarks-history.md, ninth session)."""
        names = ("member_name", "site_name", "category_name", "incident_type_name")
        return self.only(*TICKET_LIST_SHOWN).annotate(**{name: LIST_NAMES[name] for name in names})


class Ticket(FastChoiceDisplay, models.Model):
    # No index of its own: ticket_operator_state_id starts with it.
    operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
        verbose_name=_("operator"),
    )
    # The number people quote ("numéro"), not a count ("nombre"): the plain msgid "number" is
    # the form field kind, translated as a count.
    number = models.PositiveIntegerField(pgettext_lazy("identifying number", "number"), editable=False)
    # No index of its own: ticket_member_id starts with it.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("member"), db_index=False
    )
    # No index of its own: ticket_site_id starts with it.
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("site"), db_index=False
    )
    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("incident type")
    )
    # Copied from the type when declared; staff may reclassify without changing the type.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The form's answers as asked when declared: [{key, label, kind, value, display}], so a
    # later change of the form does not change what the ticket says.
    answers = models.JSONField(_("answers"), default=list, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    state = models.CharField(_("state"), max_length=24, choices=TicketState.choices, default=TicketState.NEW)
    # No index of its own: ticket_team_state_id starts with it.
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
        db_index=False,
    )
    # No index of its own: ticket_assignee_state_id starts with it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
        db_index=False,
    )
    # No index of its own: ticket_requester_id starts with it.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_tickets",
        verbose_name=_("requester"),
        db_index=False,
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=TicketChannel.choices, default=TicketChannel.WEB
    )
    assets = models.ManyToManyField(Asset, blank=True, related_name="tickets", verbose_name=_("equipment"))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("declared"), default=timezone.now)
    updated_at = models.DateTimeField(_("last change"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Service level (issue 4): the policy the ticket is held to and its deadlines, set when
    # declared (services.deadlines); the clock stops while the ticket waits (WAITING_STATES)
    # or is resolved, and the business time it stood still is added to the deadlines.
    sla_policy = models.ForeignKey(
        "servicedesk.SlaPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service level"),
    )
    take_charge_due = models.DateTimeField(_("take charge before"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve before"), null=True, blank=True)
    # When the sweep warns that a deadline is near (the deadline itself without a warning),
    # and the deadline it last warned about: warned once, unless the deadline moves.
    # Labelled: the back-office shows them (read-only) on a ticket's page.
    take_charge_warn_at = models.DateTimeField(
        _("take-charge warning due"), null=True, blank=True, editable=False
    )
    resolve_warn_at = models.DateTimeField(_("resolution warning due"), null=True, blank=True, editable=False)
    take_charge_warned_for = models.DateTimeField(
        _("take-charge deadline warned about"), null=True, blank=True, editable=False
    )
    resolve_warned_for = models.DateTimeField(
        _("resolution deadline warned about"), null=True, blank=True, editable=False
    )
    sla_paused_at = models.DateTimeField(_("clock stopped since"), null=True, blank=True)
    sla_paused_time = models.DurationField(_("business time stopped"), default=timedelta, editable=False)
    # Search: normalised public text (title, description, answers, public replies) and
    # internal notes, kept apart so a member's search never matches an internal note.
    search_text = models.TextField(default="", editable=False)
    search_internal = models.TextField(default="", editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    search_vector_internal = SearchVectorField(null=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            # The number people quote on the phone; unique within the operator.
            models.UniqueConstraint(fields=["operator", "number"], name="ticket_number_per_operator"),
        ]
        indexes = [
            # Lists are paged newest first by id (keyset): each list's filter + id.
            models.Index(fields=["member", "id"], name="ticket_member_id"),
            models.Index(fields=["member", "state", "id"], name="ticket_member_state_id"),
            # A member's list of one category, and its capped count from the index alone
            # (docs/benchmarks-history.md: 142 ms without it for a member with 65,000 tickets).
            models.Index(fields=["member", "category", "id"], name="ticket_member_category_id"),
            models.Index(fields=["site", "id"], name="ticket_site_id"),
            models.Index(fields=["requester", "id"], name="ticket_requester_id"),
            models.Index(fields=["team", "state", "id"], name="ticket_team_state_id"),
            models.Index(fields=["assignee", "state", "id"], name="ticket_assignee_state_id"),
            models.Index(fields=["operator", "state", "id"], name="ticket_operator_state_id"),
            # A member's ticket page, found by its number: (operator, number) is unique but a
            # member's lookup does not name the operator (docs/benchmarks-history.md).
            models.Index(fields=["member", "number"], name="ticket_member_number"),
            # Incidentology's panels and reports read a period of declarations, for the
            # operator or one member: a range on created_at (docs/benchmarks-history.md).
            models.Index(fields=["operator", "created_at"], name="ticket_operator_created"),
            models.Index(fields=["member", "created_at"], name="ticket_member_created"),
            # The sweep (servicedesk.sla) and the desk's "near or past deadline" filter read
            # open tickets whose warning time has come, every few minutes. Partial, on open
            # tickets only: a few thousand rows out of a million, so the index stays small and
            # each run reads only the tickets it acts on (a breach is past its warning too).
            models.Index(
                fields=["take_charge_warn_at"],
                condition=models.Q(state__in=sorted(OPEN_STATES), first_response_at__isnull=True),
                name="ticket_take_charge_warn",
            ),
            models.Index(
                fields=["resolve_warn_at"],
                condition=models.Q(state__in=sorted(OPEN_STATES)),
                name="ticket_resolve_warn",
            ),
        ]

    def __str__(self) -> str:
        return f"n° {self.number} – {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class TicketCounter(models.Model):
    """The last ticket number given by an operator (locked while a ticket is numbered)."""

    operator = models.OneToOneField(Operator, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")

    def __str__(self) -> str:
        return f"{self.operator_id}: {self.last}"


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("declared")
    STATE = "state", _("state changed")
    ASSIGNEE = "assignee", _("assignee changed")
    TEAM = "team", _("team changed")
    PRIORITY = "priority", _("priority changed")
    CATEGORY = "category", _("category changed")
    INCIDENT_TYPE = "incident_type", _("incident type changed")
    ASSET_LINKED = "asset_linked", _("equipment linked")
    ASSET_UNLINKED = "asset_unlinked", _("equipment unlinked")
    MERGED_INTO = "merged_into", _("merged into another ticket")
    MERGED_FROM = "merged_from", _("a duplicate was merged in")
    ATTACHMENT = "attachment", _("file attached")
    DEADLINE = "deadline", _("deadlines changed")
    ESCALATED = "escalated", _("escalated")
    RATED = "rated", _("satisfaction rated")


class TicketEvent(models.Model):
    """One change of a ticket: who, when, from what to what."""

    # No index of its own: ticket_event_timeline starts with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=TicketEventKind.choices)
    # Stable values (codes, ids) for machines and a readable label for people, each side.
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    old_label = models.CharField(max_length=250, blank=True)
    new_label = models.CharField(max_length=250, blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            # The timeline of a ticket, and state histories for service levels.
            models.Index(fields=["ticket", "at"], name="ticket_event_timeline"),
            # Reopenings (resolved → in progress), for incidentology's reopen rate: a few
            # rows among millions of events, found without reading the others.
            models.Index(
                fields=["ticket"],
                name="ticket_event_reopened",
                condition=models.Q(kind="state", old_value="resolved", new_value="in_progress"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.old_value}→{self.new_value}"


class Comment(models.Model):
    """A public reply, seen by the member, or an internal note, seen by operator staff only."""

    # No index of its own: comment_timeline starts with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    channel = models.CharField(max_length=8, choices=TicketChannel.choices, default=TicketChannel.WEB)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_timeline")]

    def __str__(self) -> str:
        # The ticket's number as people know it, not its row's id.
        return labelled(_("n° %(number)s") % {"number": self.ticket.number}, self.body[:40])


def attachment_path(attachment: Attachment, filename: str) -> str:
    # A name of ours, never the uploaded one: nothing a person types reaches the file system.
    now = timezone.now()
    # A photo waiting for its conversion is the file as sent, its place included: in a
    # folder of its own, which the job empties, so that it is never taken for a kept file.
    folder = "pending" if attachment.state == AttachmentState.PENDING else "tickets"
    return f"{folder}/{attachment.ticket.operator_id}/{now:%Y/%m}/{attachment.sha256[:2]}/{attachment.sha256}"


class AttachmentState(models.TextChoices):
    """Whether a file can be read. Only a HEIC photo waits (its conversion to JPEG is a job,
    services/files.py); every other file is ready as it is kept."""

    READY = "ready", _("ready")
    PENDING = "pending", _("being prepared")
    FAILED = "failed", _("could not be converted")


# The moves allowed, in one place (services/files.py enforces them): a pending photo is
# converted, or fails; a ready or failed file stays so.
ATTACHMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AttachmentState.PENDING: frozenset({AttachmentState.READY, AttachmentState.FAILED}),
    AttachmentState.READY: frozenset(),
    AttachmentState.FAILED: frozenset(),
}


class AttachmentFailure(models.TextChoices):
    """Why a photo could not be converted; the pages say it as attachments.photo_refusal."""

    UNREADABLE = "unreadable", _("cannot be decoded")
    TOO_MANY_PIXELS = "too_many_pixels", _("too many pixels")
    LOST = "lost", _("file lost before its conversion")


class Attachment(models.Model):
    """A file attached to a ticket (or to one of its comments). Served only by a view that
    checks the ticket is visible, and for an internal note's file, that the reader is staff."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=AttachmentState.choices, default=AttachmentState.READY)
    failure = models.CharField(max_length=20, choices=AttachmentFailure.choices, blank=True)
    # A converted photo as it was sent: its name (IMG_2041.HEIC), and its digest, by which
    # a declaration sent twice is still known once the JPEG has replaced it.
    sent_name = models.CharField(max_length=255, blank=True)
    sent_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def failure_message(self) -> str:
        """Why the photo could not be kept, and what to do, for the people of the ticket."""
        if self.failure == AttachmentFailure.LOST:
            return gettext("“%(name)s” was lost before it could be converted: attach it again.") % {
                "name": self.sent_name
            }
        return photo_refusal(self.failure, self.sent_name, HEIC)
