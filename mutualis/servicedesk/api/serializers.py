"""What the ticket API returns. Read-only: request bodies are parsed by `inputs`.

A ticket carries small summaries of what it points at (member, site, type, team, people) so
that a client lists tickets without one call per row; the views fetch those in the same
query (`with_list_related()` and the view's `select_related`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from mutualis.people.models import User
from mutualis.people.tenancy import Scope
from mutualis.registry.api.serializers import (
    AssetTypeRefSerializer,
    MemberRefSerializer,
    RefSerializer,
    SiteKindRefSerializer,
    SiteRefSerializer,
)
from mutualis.registry.models import Asset

from .. import lifecycle, permissions, selectors
from ..models import (
    Attachment,
    AttachmentState,
    Category,
    Comment,
    FormField,
    IncidentType,
    Team,
    Ticket,
    TicketEvent,
)
from .fields import PriorityField, TicketChannelField, TicketStateField


class _ReadOnly(serializers.ModelSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class PersonRefSerializer(RefSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name"]


class TeamRefSerializer(RefSerializer):
    class Meta:
        model = Team
        fields = ["id", "code", "name"]


class IncidentTypeRefSerializer(RefSerializer):
    class Meta:
        model = IncidentType
        fields = ["id", "name"]


class CategoryRefSerializer(RefSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]


class TicketFileSerializer(_ReadOnly):
    url = serializers.SerializerMethodField(help_text="Where to download the file (with the same token).")
    state = serializers.ChoiceField(
        choices=AttachmentState.choices,
        help_text="`pending`: a HEIC photo being converted to JPEG (its download is a 409 until "
        "then; `content_type` and `size` are the photo's as sent); `failed`: it could not be "
        "converted (410), `failure` says why; `ready`: the file can be downloaded.",
    )
    failure = serializers.SerializerMethodField(
        help_text="Why a `failed` photo could not be kept; empty otherwise."
    )

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "internal", "created_at", "url", "state", "failure"]

    def get_failure(self, attachment: Attachment) -> str:
        return attachment.failure_message if attachment.state == AttachmentState.FAILED else ""

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        # Files are listed with their ticket in hand: its number is their address.
        ticket: Ticket = self.context["ticket"]
        return reverse(
            "desk-api:ticket-file", args=[ticket.number, attachment.pk], request=self.context.get("request")
        )


class TicketAssetSerializer(_ReadOnly):
    asset_type = AssetTypeRefSerializer()

    class Meta:
        model = Asset
        fields = ["id", "inventory_tag", "label", "asset_type"]


class AnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    # DRF takes declared fields out of the class body, so this name does not replace the
    # Field.label attribute it shadows for mypy.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The question, as asked when the ticket was declared."
    )
    kind = serializers.CharField()
    value = serializers.JSONField(help_text="For machines: text, number as text, ISO date, list, asset id.")
    display = serializers.CharField(help_text="For people: the answer as the pages show it.")


class TicketSerializer(_ReadOnly):
    state = TicketStateField()
    priority = PriorityField()
    channel = TicketChannelField()
    member = MemberRefSerializer()
    site = SiteRefSerializer()
    site_kind = SiteKindRefSerializer(source="site.kind")
    incident_type = IncidentTypeRefSerializer()
    category = CategoryRefSerializer()
    team = TeamRefSerializer(allow_null=True)
    assignee = PersonRefSerializer(allow_null=True)
    requester = PersonRefSerializer(allow_null=True)
    merged_into = serializers.IntegerField(
        source="merged_into.number",
        allow_null=True,
        help_text="For a duplicate: the number of the ticket it was merged into.",
    )

    class Meta:
        model = Ticket
        fields = [
            "number",
            "title",
            "state",
            "priority",
            "channel",
            "member",
            "site",
            "site_kind",
            "incident_type",
            "category",
            "team",
            "assignee",
            "requester",
            "merged_into",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
        ]


# What TicketSerializer shows of a ticket, as plain values, in the order `list_rows` reads them.
_LIST_VALUES = (
    "id",
    "number",
    "title",
    "state",
    "priority",
    "channel",
    "member_id",
    "member__name",
    "site_id",
    "site__name",
    "site__kind__code",
    "site__kind__name",
    "incident_type_id",
    "incident_type__name",
    "category_id",
    "category__name",
    "team_id",
    "team__code",
    "team__name",
    "assignee_id",
    "assignee__full_name",
    "requester_id",
    "requester__full_name",
    "merged_into__number",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
)


def list_rows(ids: list[int]) -> list[dict[str, Any]]:
    """TicketSerializer's representation of the tickets `ids`, in that order, built from
    plain values: a page of 50 through the serializer made ~420 model instances and walked
    19 fields with two calls each per row, two thirds of the API list's time at a million
    tickets (docs/benchmarks-history.md). The serializer stays what the schema describes;
    tests/api/test_tickets.py checks that both give the same JSON. By id alone, as
    `selectors.rows_by_ids`: the ids come from the list's tenancy door and filters."""
    if not ids:
        return []
    # DRF's own rendering of instants (the current time zone, ISO 8601, "Z" for UTC).
    instant = serializers.DateTimeField().to_representation
    found: dict[int, dict[str, Any]] = {}
    for (
        pk,
        number,
        title,
        state,
        priority,
        channel,
        member_id,
        member_name,
        site_id,
        site_name,
        kind_code,
        kind_name,
        type_id,
        type_name,
        category_id,
        category_name,
        team_id,
        team_code,
        team_name,
        assignee_id,
        assignee_name,
        requester_id,
        requester_name,
        merged_number,
        created_at,
        updated_at,
        first_response_at,
        resolved_at,
        closed_at,
    ) in Ticket.objects.filter(pk__in=ids).values_list(*_LIST_VALUES):
        found[pk] = {
            "number": number,
            "title": title,
            "state": state,
            "priority": priority,
            "channel": channel,
            "member": {"id": member_id, "name": member_name},
            "site": {"id": site_id, "name": site_name},
            "site_kind": {"code": kind_code, "name": kind_name},
            "incident_type": {"id": type_id, "name": type_name},
            "category": {"id": category_id, "name": category_name},
            "team": None if team_id is None else {"id": team_id, "code": team_code, "name": team_name},
            "assignee": None if assignee_id is None else {"id": assignee_id, "full_name": assignee_name},
            "requester": None if requester_id is None else {"id": requester_id, "full_name": requester_name},
            "merged_into": merged_number,
            "created_at": instant(created_at),
            "updated_at": instant(updated_at),
            "first_response_at": instant(first_response_at),
            "resolved_at": instant(resolved_at),
            "closed_at": instant(closed_at),
        }
    return [found[pk] for pk in ids if pk in found]


class TicketDetailSerializer(TicketSerializer):
    """A ticket with what its page shows: answers, equipment, files, what the caller may do."""

    answers = AnswerSerializer(many=True)
    assets = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField(
        help_text="Internal files are listed for the operator's staff only."
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The states the caller may move the ticket to now (POST …/transitions/)."
    )
    reopen_deadline = serializers.SerializerMethodField(
        help_text="For a resolved ticket: until when its member may reopen it; null otherwise."
    )

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "description",
            "answers",
            "assets",
            "files",
            "allowed_transitions",
            "reopen_deadline",
            "take_charge_due",
            "resolve_due",
            "sla_paused_at",
        ]
        extra_kwargs = {
            "take_charge_due": {"help_text": "Deadline to take charge (service level); null without one."},
            "resolve_due": {"help_text": "Deadline to resolve; moves when the clock stops and resumes."},
            "sla_paused_at": {
                "help_text": "Since when the clock stands still (waiting, resolved); null if running."
            },
        }

    @property
    def scope(self) -> Scope:
        scope: Scope = self.context["scope"]
        return scope

    @extend_schema_field(TicketAssetSerializer(many=True))
    def get_assets(self, ticket: Ticket) -> Any:
        return TicketAssetSerializer(ticket.assets.select_related("asset_type"), many=True).data

    @extend_schema_field(TicketFileSerializer(many=True))
    def get_files(self, ticket: Ticket) -> Any:
        files = selectors.ticket_files(ticket, staff=self.scope.is_operator_staff)
        return TicketFileSerializer(files, many=True, context={**self.context, "ticket": ticket}).data

    @extend_schema_field(serializers.ListField(child=TicketStateField()))
    def get_allowed_transitions(self, ticket: Ticket) -> list[str]:
        if permissions.can_handle(self.scope):
            return lifecycle.allowed_targets(ticket.state, staff=True)
        return [
            target
            for target in lifecycle.allowed_targets(ticket.state, staff=False)
            if permissions.member_may(self.scope, ticket, target)
        ]

    # Nullable: the schema said a string, and clients generated from it choked on the null
    # every ticket that is not resolved has.
    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_reopen_deadline(self, ticket: Ticket) -> str | None:
        deadline = permissions.reopen_deadline(ticket)
        # In the current time zone, like the ticket's other times.
        return serializers.DateTimeField().to_representation(deadline) if deadline else None


class TimelineEventSerializer(_ReadOnly):
    actor = PersonRefSerializer(allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["kind", "actor", "old_value", "new_value", "old_label", "new_label"]


class TimelineCommentSerializer(_ReadOnly):
    author = PersonRefSerializer(allow_null=True)

    channel = TicketChannelField()

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "internal", "channel"]


class TimelineEntrySerializer(serializers.Serializer):
    """One line of a ticket's timeline: an event (a change) or a comment with its files."""

    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["event", "comment"])
    internal = serializers.BooleanField(
        help_text="Internal notes and changes: for the operator's staff only."
    )
    event = TimelineEventSerializer(
        allow_null=True, help_text="For an event: what changed, from what to what."
    )
    comment = TimelineCommentSerializer(allow_null=True, help_text="For a comment: the reply or note.")
    files = TicketFileSerializer(many=True, help_text="Files sent with the comment.")


class TeamSerializer(_ReadOnly):
    lead = PersonRefSerializer(allow_null=True)
    members = PersonRefSerializer(many=True)

    class Meta:
        model = Team
        fields = ["id", "code", "name", "email", "is_active", "lead", "members"]


class QuestionSerializer(_ReadOnly):
    help = serializers.CharField(source="help_text")
    choices = serializers.ListField(
        child=serializers.CharField(), help_text="For choice questions: the options."
    )

    class Meta:
        model = FormField
        fields = ["key", "label", "kind", "required", "help", "choices"]


class CatalogueTypeSerializer(_ReadOnly):
    category = CategoryRefSerializer()
    priority = PriorityField(
        source="default_priority", help_text="The priority a declared ticket starts with."
    )
    asset_type = AssetTypeRefSerializer(
        allow_null=True,
        help_text="The type of equipment to pick among the site's (GET /api/v1/assets/?site={id}&asset_type={code}).",
    )
    questions = QuestionSerializer(many=True, source="fields", help_text="The form: send answers by `key`.")

    class Meta:
        model = IncidentType
        fields = [
            "id",
            "name",
            "description",
            "category",
            "priority",
            "asset_type",
            "asset_required",
            "questions",
        ]


class CatalogueSectionSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="The category's path, e.g. “Réseau > Wi-Fi”.")
    types = CatalogueTypeSerializer(many=True)


class SiteCatalogueSerializer(serializers.Serializer):
    site = SiteRefSerializer()
    site_kind = SiteKindRefSerializer(source="site.kind")
    categories = CatalogueSectionSerializer(many=True)
